import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

// build/test/examples/ -> repository root
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const cli = join(root, 'build/examples/cli.js');
const fashion = resolve(root, '../shared/data/fashion-mnist');
const work = mkdtempSync(join(tmpdir(), 'chainrule-cli-'));
after(() => rmSync(work, { recursive: true, force: true }));

function chainrule(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd: root });
  const lines = r.stdout.trim().split('\n');
  let summary: Record<string, unknown> | null = null;
  try {
    summary = JSON.parse(lines[lines.length - 1]);
  } catch {
    summary = null;
  }
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, summary };
}

describe('chainrule CLI', () => {
  it('lists the examples', () => {
    const r = chainrule('list');
    assert.equal(r.code, 0);
    for (const name of ['digits-mlp', 'fashion-mlp', 'xor'])
      assert.match(r.stdout, new RegExp(`^${name} `, 'm'));
  });

  it('trains digits-mlp, prints the JSON line, writes summary.json and a checkpoint, and resumes', () => {
    const out = join(work, 'digits');
    const r = chainrule('train', 'digits-mlp', '--quick', '--plain', '--out', out);
    assert.equal(r.code, 0, r.stderr);
    const s = r.summary!;
    assert.equal(s.example, 'digits-mlp');
    assert.equal(typeof s.valAccuracy, 'number');
    assert.ok((s.valAccuracy as number) > 0.5, `valAccuracy ${s.valAccuracy}`);
    assert.deepEqual(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')), s);
    assert.ok(existsSync(join(out, 'checkpoint.safetensors')));
    assert.match(r.stdout, /epoch 2 {2}loss/);
    assert.match(r.stdout, /--resume/);
    const resumed = chainrule(
      'train',
      'digits-mlp',
      '--resume',
      join(out, 'checkpoint.safetensors'),
      '--epochs',
      '3',
      '--plain',
      '--out',
      join(work, 'digits2'),
    );
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stdout, /resumed from .* after epoch 2/);
    assert.match(resumed.stdout, /^epoch 3 /m);
    assert.doesNotMatch(resumed.stdout, /^epoch 1 /m);
  });

  it('runs fashion-mlp on the shared Fashion-MNIST files', () => {
    const r = chainrule(
      'train',
      'fashion-mlp',
      '--quick',
      '--plain',
      '--data',
      fashion,
      '--out',
      join(work, 'fashion'),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.summary!.example, 'fashion-mlp');
    assert.ok((r.summary!.testAccuracy as number) > 0.3);
    for (const key of ['testLoss', 'seconds', 'samplesPerSecond'])
      assert.equal(typeof r.summary![key], 'number');
  });

  it('says clearly what is wrong', () => {
    const unknown = chainrule('train', 'nope');
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown example 'nope'/);
    const missing = chainrule('train', 'fashion-mlp', '--quick', '--data', join(work, 'missing'));
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /missing.*does not exist/);
    const bad = chainrule('train', 'xor', '--epochs', 'ten');
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /--epochs must be/);
  });
});
