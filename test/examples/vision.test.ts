import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readPng } from '../../src/node/index.js';

// build/test/examples/ -> repository root
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const cli = join(root, 'build/examples/cli.js');
const fashion = resolve(root, '../shared/data/fashion-mnist');
const work = mkdtempSync(join(tmpdir(), 'chainrule-vision-'));
after(() => rmSync(work, { recursive: true, force: true }));

function chainrule(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd: root });
  const lines = r.stdout.trim().split('\n');
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, summary: JSON.parse(lines[lines.length - 1]) };
}

describe('vision examples (smoke runs on a few hundred Fashion-MNIST images)', () => {
  it('fashion-cnn trains, writes pictures and a checkpoint that eval reloads to the same accuracy', () => {
    const out = join(work, 'cnn');
    const r = chainrule('train', 'fashion-cnn', '--quick', '--plain', '--data', fashion, '--out', out);
    assert.equal(r.code, 0, r.stderr);
    const s = r.summary;
    assert.equal(s.example, 'fashion-cnn');
    assert.ok(s.testAccuracy > 0.3, `a few hundred images already beat chance: ${s.testAccuracy}`);
    assert.match(r.stdout, /samples\/s/);
    assert.equal(Object.keys(s.perClassAccuracy).length, 10);
    assert.deepEqual(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')), s);
    for (const png of s.pictures as string[]) {
      const img = readPng(png);
      assert.ok(img.width > 100 && img.height > 100, `${png} is a picture`);
    }
    const ev = chainrule('eval', join(out, 'checkpoint.safetensors'), '--quick', '--data', fashion);
    assert.equal(ev.code, 0, ev.stderr);
    assert.equal(ev.summary.testAccuracy, s.testAccuracy, 'the reloaded model scores the same');
    assert.equal(ev.summary.confusionMatrix.length, 10);
  });

  it('fashion-resnet trains with augmentation', () => {
    const out = join(work, 'resnet');
    const r = chainrule('train', 'fashion-resnet', '--quick', '--plain', '--data', fashion, '--out', out);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.summary.example, 'fashion-resnet');
    assert.equal(typeof r.summary.testAccuracy, 'number');
    assert.ok(existsSync(join(out, 'checkpoint.safetensors')));
  });

  it('eval refuses a file that no example saved', () => {
    const r = spawnSync(process.execPath, [cli, 'eval', join(root, 'package.json')], { encoding: 'utf8' });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /package\.json/);
  });
});
