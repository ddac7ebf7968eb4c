/**
 * Smoke tests of the teaching examples (vanishing-gradients, optimizers, regularization) in their
 * quick configurations: the summary's keys and values, the printed tables, determinism, and the
 * effect each example exists to show where the quick size already shows it.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it, mock } from 'node:test';
import { data, Generator, tensor } from '../../src/index.js';
import type { Summary } from '../../examples/common.js';
import {
  example as optimizersExample,
  buildModel as optimizersModel,
  LEARNING_RATES,
} from '../../examples/optimizers/main.js';
import { example as regularization, withLabelNoise } from '../../examples/regularization/main.js';
import { formatTable } from '../../examples/teaching-common.js';
import {
  buildVariant,
  example as vanishing,
  layerGradNorms,
  VARIANTS,
} from '../../examples/vanishing-gradients/main.js';

const work = mkdtempSync(join(tmpdir(), 'chainrule-teaching-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** Runs an example quietly, returning its summary and what it printed. */
async function quiet(run: () => Promise<Summary>): Promise<{ summary: Summary; printed: string }> {
  const lines: string[] = [];
  const log = mock.method(console, 'log', (...args: unknown[]) => lines.push(args.map(String).join(' ')));
  try {
    return { summary: await run(), printed: lines.join('\n') };
  } finally {
    log.mock.restore();
  }
}

const withoutSeconds = (s: Summary) => ({ ...s, seconds: 0 });

function assertProbability(x: unknown, what: string): void {
  assert.equal(typeof x, 'number', what);
  assert.ok((x as number) >= 0 && (x as number) <= 1, `${what} = ${String(x)}`);
}

describe('teaching-common formatTable', () => {
  it('right-aligns columns under a rule', () => {
    assert.equal(formatTable(['a', 'bbb'], [['10', 2]]), ' a  bbb\n--  ---\n10    2');
  });
});

describe('vanishing-gradients example', () => {
  it('builds 20 weight layers in every variant, deterministically from the seed', () => {
    for (const v of VARIANTS) {
      const a = buildVariant(v, { depth: 20, width: 8, seed: 3 });
      const b = buildVariant(v, { depth: 20, width: 8, seed: 3 });
      assert.equal(a.linears.length, 20, v);
      assert.deepEqual(a.linears[0].weight.shape, [8, 64]);
      assert.deepEqual(a.linears[19].weight.shape, [10, 8]);
      assert.deepEqual(a.model.forward(tensor([Array(64).fill(0.5), Array(64).fill(0.25)])).shape, [2, 10]);
      assert.deepEqual(a.linears[5].weight.toArray(), b.linears[5].weight.toArray(), v);
    }
  });

  it('measures the sigmoid gradient collapsing across the layers, the others not', () => {
    const x = tensor(
      Array.from({ length: 16 }, (_, i) => Array.from({ length: 64 }, (_, k) => ((i * 7 + k) % 17) / 16)),
    );
    const y = tensor(Int32Array.from({ length: 16 }, (_, i) => i % 10));
    const ratio = (v: (typeof VARIANTS)[number]) => {
      const { model, linears } = buildVariant(v, { depth: 20, width: 16, seed: 0 });
      const norms = layerGradNorms(model, linears, x, y);
      assert.equal(norms.length, 20);
      assert.ok(
        norms.every((n) => Number.isFinite(n) && n > 0),
        `${v}: ${norms.join(', ')}`,
      );
      assert.ok(
        linears.every((l) => l.weight.grad === null),
        'gradients are cleared afterwards',
      );
      return norms[0] / norms[19];
    };
    assert.ok(ratio('sigmoid') < 1e-6, `sigmoid first/last ${ratio('sigmoid')}`);
    for (const v of ['relu', 'relu-bn', 'residual'] as const)
      assert.ok(ratio(v) > 1e-2, `${v} first/last ${ratio(v)}`);
  });

  it('runs quick: per-variant ratios and accuracies, the tables, and CSV files', async () => {
    const out = join(work, 'vanishing');
    const { summary: s, printed } = await quiet(() => vanishing.run({ quick: true, out }));
    assert.equal(s.example, 'vanishing-gradients');
    assert.equal(s.depth, 20);
    const ratio = s.gradNormRatio as Record<string, number>;
    const acc = s.valAccuracy as Record<string, number>;
    assert.deepEqual(Object.keys(ratio), [...VARIANTS]);
    assert.deepEqual(Object.keys(acc), [...VARIANTS]);
    assert.deepEqual(Object.keys(s.gradNormRatioTrained as object), [...VARIANTS]);
    for (const v of VARIANTS) assertProbability(acc[v], `valAccuracy.${v}`);
    assert.ok(ratio.sigmoid < 1e-6, `sigmoid ratio ${ratio.sigmoid}`);
    for (const v of ['relu', 'relu-bn', 'residual'])
      assert.ok(ratio[v] > 1e4 * ratio.sigmoid, `${v} ratio ${ratio[v]}`);
    assert.equal(typeof s.seconds, 'number');
    assert.match(printed, /^ +layer +sigmoid +relu +relu-bn +residual$/m);
    assert.match(printed, /^ +20 /m);
    assert.match(printed, /first\/last/);
    assert.match(readFileSync(join(out, 'grad-norms.csv'), 'utf8'), /^variant,when,layer1,/);
    assert.ok(existsSync(join(out, 'curves.csv')));
  });
});

describe('optimizers example', () => {
  it('starts every optimizer from the same weights', () => {
    const a = optimizersModel(16, 5).stateDict();
    const b = optimizersModel(16, 5).stateDict();
    for (const k of Object.keys(a)) assert.deepEqual(a[k].toArray(), b[k].toArray(), k);
  });

  it('runs quick: final loss and accuracy per optimizer, the loss table, deterministically', async () => {
    const out = join(work, 'optimizers');
    const { summary: s, printed } = await quiet(() => optimizersExample.run({ quick: true, out }));
    const names = ['sgd', 'momentum', 'nesterov', 'rmsprop', 'adagrad', 'adam', 'adamw'];
    assert.equal(s.example, 'optimizers');
    assert.equal(s.epochs, 3);
    assert.deepEqual(s.lr, LEARNING_RATES);
    for (const key of ['finalLoss', 'trainAccuracy', 'valLoss', 'valAccuracy']) {
      assert.deepEqual(Object.keys(s[key] as object), names, key);
    }
    const finalLoss = s.finalLoss as Record<string, number>;
    // From ln 3 ≈ 1.0986 at the start, every optimizer makes progress in three epochs.
    for (const n of names) assert.ok(finalLoss[n] > 0 && finalLoss[n] < 1.09, `${n}: ${finalLoss[n]}`);
    for (const n of names) assertProbability((s.valAccuracy as Record<string, number>)[n], n);
    assert.match(printed, /^epoch +sgd +momentum +nesterov +rmsprop +adagrad +adam +adamw$/m);
    assert.match(printed, /^ +3 +\d\.\d{4} /m);
    assert.equal(readFileSync(join(out, 'losses.csv'), 'utf8').trim().split('\n').length, 4);
    const again = await quiet(() => optimizersExample.run({ quick: true, out }));
    assert.deepEqual(withoutSeconds(again.summary), withoutSeconds(s));
  });

  it('runs only the optimizers asked for, with the given learning rate', async () => {
    const { summary: s } = await quiet(() =>
      optimizersExample.run({ quick: true, epochs: 1, optimizer: 'adam,sgd', lr: 0.005 }),
    );
    assert.deepEqual(s.lr, { adam: 0.005, sgd: 0.005 });
    await assert.rejects(
      optimizersExample.run({ quick: true, optimizer: 'lbfgs' }),
      /optimizers: unknown optimizer 'lbfgs'/,
    );
  });
});

describe('regularization example', () => {
  it('replaces the given share of labels, deterministically', async () => {
    const ds = new data.TensorDataset(
      tensor(Array.from({ length: 400 }, () => [0])),
      tensor(new Int32Array(400)),
    );
    assert.equal(await withLabelNoise(ds, 0, new Generator(0)), ds);
    const a = await withLabelNoise(ds, 0.5, new Generator(1));
    const b = await withLabelNoise(ds, 0.5, new Generator(1));
    const labels = a.tensors[1].toArray() as number[];
    assert.deepEqual(b.tensors[1].toArray(), labels);
    // Half are redrawn, and 9 in 10 of those differ from 0: about 45%.
    const changed = labels.filter((l) => l !== 0).length / 400;
    assert.ok(changed > 0.35 && changed < 0.55, `changed ${changed}`);
    assert.ok(labels.every((l) => Number.isInteger(l) && l >= 0 && l < 10));
  });

  it('runs quick: train/validation figures per variant and the early-stopping epochs', async () => {
    const out = join(work, 'regularization');
    const { summary: s, printed } = await quiet(() => regularization.run({ quick: true, out }));
    assert.equal(s.example, 'regularization');
    for (const v of ['plain', 'dropout', 'l2', 'early-stopping']) {
      const r = s[v] as Record<string, number>;
      for (const k of ['trainAccuracy', 'valAccuracy', 'testAccuracy']) assertProbability(r[k], `${v}.${k}`);
      assert.ok(r.valLoss > 0 && Number.isFinite(r.valLoss), `${v}.valLoss`);
      assert.ok(r.epochs >= 1 && r.epochs <= 3, `${v}.epochs`);
    }
    const es = s['early-stopping'] as Record<string, number | null>;
    assert.ok('stoppedEpoch' in es);
    assert.ok(es.stoppedEpoch === null || (es.stoppedEpoch >= 2 && es.stoppedEpoch <= 3));
    assert.ok(es.bestEpoch! >= 1 && es.bestEpoch! <= es.epochs!);
    assert.match(printed, /^loss: train \/ validation$/m);
    assert.match(printed, /^epoch +plain +dropout +l2 +early-stopping$/m);
    assert.match(printed, /loss gap/);
    const csv = readFileSync(join(out, 'curves.csv'), 'utf8').trim().split('\n');
    assert.equal(csv[0], 'variant,epoch,trainLoss,trainAccuracy,valLoss,valAccuracy');
  });

  it('stops early when the validation loss stops improving, and restores the best weights', async () => {
    // A high learning rate on a tiny net makes the validation loss turn up within a few epochs.
    const out = join(work, 'regularization-stop');
    const { summary: s } = await quiet(() => regularization.run({ quick: true, epochs: 12, lr: 0.05, out }));
    const es = s['early-stopping'] as Record<string, number>;
    assert.ok(es.stoppedEpoch !== null && es.stoppedEpoch < 12, JSON.stringify(es));
    assert.equal(es.epochs, es.stoppedEpoch);
    // The curve of the early-stopping run: its best validation loss is the one the final weights have.
    const curve = readFileSync(join(out, 'curves.csv'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => line.split(','))
      .filter((r) => r[0] === 'early-stopping')
      .map((r) => Number(r[4]));
    assert.equal(curve.length, es.stoppedEpoch);
    const best = Math.min(...curve);
    assert.equal(curve.indexOf(best) + 1, es.bestEpoch);
    assert.ok(Math.abs(es.valLoss - best) < 1e-4, `${es.valLoss} vs ${best}`);
    assert.ok(es.valLoss < curve[curve.length - 1], 'the last epoch was worse than the restored one');
  });
});
