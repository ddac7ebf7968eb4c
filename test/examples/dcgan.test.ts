/**
 * The dcgan-fashion example: the networks' shapes, ranges and DCGAN init, one training step, the
 * classifier agreement score against a hand-made classifier whose outputs are known, and a --quick
 * run (pictures, checkpoint, summary; the score left out without a classifier, computed with one).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, describe, it, mock } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Tensor } from '../../src/index.js';
import { cat, full, Generator, nn, optim, randn, tensor } from '../../src/index.js';
import { readCheckpoint, readPng, saveCheckpoint } from '../../src/node/index.js';
import type { Summary } from '../../examples/common.js';
import { example, runDcgan, trainStep } from '../../examples/dcgan-fashion/main.js';
import { Dcgan, DcganDiscriminator, DcganGenerator } from '../../examples/dcgan-fashion/model.js';
import { agreementScore, findClassifier, histogramEntropy } from '../../examples/dcgan-fashion/score.js';
import { buildModel } from '../../examples/fashion-cnn/main.js';
import { CLASSES, MEAN, STD } from '../../examples/vision-common.js';
import { forEachBackend } from '../helpers.js';

// build/test/examples/ -> repository root
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const fashion = resolve(root, '../shared/data/fashion-mnist');
const work = mkdtempSync(join(tmpdir(), 'chainrule-dcgan-'));
after(() => rmSync(work, { recursive: true, force: true }));

function stats(t: Tensor): { mean: number; std: number } {
  const v = Array.from(t.dataSync() as Float32Array);
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
  return { mean, std };
}

/**
 * A stand-in classifier: image i of the test batch is filled with the value −1 + 2i/9 and is mapped
 * to the logits LOGITS[i]. It decodes i from the normalized input, checking the normalization.
 */
const LABELS = [0, 0, 0, 1, 1, 2, 3, 4, 5, 5];
const SURE = [true, true, false, true, false, true, false, true, false, false];
class TableClassifier extends nn.Module {
  seen: number[] = [];
  sawTraining = false;
  forward(x: Tensor): Tensor {
    this.sawTraining ||= this.training;
    const n = x.shape[0];
    const v = x.dataSync() as Float32Array;
    const rows: number[][] = [];
    for (let r = 0; r < n; r++) {
      const pixel = v[r * 784];
      const i = Math.abs(Math.round(9 * (pixel * STD + MEAN)));
      const expected = ((-1 + (2 * i) / 9 + 1) / 2 - MEAN) / STD;
      assert.ok(Math.abs(pixel - expected) < 1e-5, `image ${i}: input ${pixel}, expected ${expected}`);
      this.seen.push(i);
      // A logit of 10 against nine zeros: p = e¹⁰/(e¹⁰ + 9) ≈ 0.9996; of 1: e/(e + 9) ≈ 0.23.
      rows.push(CLASSES.map((_, c) => (c === LABELS[i] ? (SURE[i] ? 10 : 1) : 0)));
    }
    return tensor(rows);
  }
}

function tableImages(): Tensor {
  const rows: Tensor[] = [];
  for (let i = 0; i < 10; i++) rows.push(full([1, 1, 28, 28], -1 + (2 * i) / 9));
  return cat(rows, 0);
}

describe('classifier agreement score', () => {
  it('takes the entropy of a class histogram in nats', () => {
    assert.ok(Math.abs(histogramEntropy(new Array<number>(10).fill(7)) - Math.log(10)) < 1e-12);
    assert.equal(histogramEntropy([0, 5, 0]), 0);
    const h = histogramEntropy([3, 1]);
    assert.ok(Math.abs(h - -(0.75 * Math.log(0.75) + 0.25 * Math.log(0.25))) < 1e-12);
  });

  it('counts confident samples and predicted classes of a classifier with known outputs', () => {
    const classifier = new TableClassifier();
    const s = agreementScore(classifier, tableImages(), 4);
    assert.deepEqual(classifier.seen, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 'every image once, in batches of 4');
    assert.equal(classifier.sawTraining, false, 'the classifier runs in eval mode');
    assert.equal(classifier.training, true, 'and is put back in training mode');
    assert.equal(s.confidentShare, 0.5);
    const expected = -(0.3 * Math.log(0.3) + 2 * 0.2 * Math.log(0.2) + 3 * 0.1 * Math.log(0.1));
    assert.ok(Math.abs(s.classEntropy - expected) < 1e-12, `${s.classEntropy} vs ${expected}`);
    assert.deepEqual(Object.values(s.classHistogram), [3, 2, 1, 1, 1, 2, 0, 0, 0, 0]);
    assert.deepEqual(Object.keys(s.classHistogram), CLASSES);
  });

  it('finds no classifier where there is no file, or a file of another example', () => {
    const missing = findClassifier(join(work, 'nothing.safetensors'));
    assert.equal(missing.classifier, null);
    assert.match(missing.reason!, /no classifier at .*nothing\.safetensors/);
    const other = join(work, 'other.safetensors');
    saveCheckpoint(other, { model: new nn.Linear(2, 2), extra: { example: 'xor' } });
    assert.match(findClassifier(other).reason!, /saved by 'xor', not fashion-cnn/);
  });
});

forEachBackend('DCGAN networks', () => {
  it('the generator maps noise [B, 100] to images [B, 1, 28, 28] in [-1, 1]', () => {
    const g = new DcganGenerator(100, new Generator(0));
    const x = g.forward(randn([3, 100], { generator: new Generator(1) }).mul(5));
    assert.deepEqual(x.shape, [3, 1, 28, 28]);
    const v = x.dataSync() as Float32Array;
    assert.ok(v.every((p) => p >= -1 && p <= 1));
    assert.ok(Math.max(...v) > Math.min(...v), 'not a constant image');
    assert.deepEqual(
      g.namedParameters().map(([n, p]) => `${n} ${p.shape.join('x')}`),
      [
        'net.0.weight 100x128x7x7',
        'net.1.weight 128',
        'net.1.bias 128',
        'net.3.weight 128x64x4x4',
        'net.4.weight 64',
        'net.4.bias 64',
        'net.6.weight 64x1x4x4',
      ],
    );
  });

  it('the discriminator maps images [B, 1, 28, 28] to one logit each', () => {
    const d = new DcganDiscriminator(new Generator(0));
    assert.deepEqual(d.forward(randn([5, 1, 28, 28])).shape, [5, 1]);
    assert.deepEqual(
      d.namedParameters().map(([n, p]) => `${n} ${p.shape.join('x')}`),
      [
        'net.0.weight 64x1x4x4',
        'net.2.weight 128x64x4x4',
        'net.3.weight 128',
        'net.3.bias 128',
        'net.6.weight 1x6272',
        'net.6.bias 1',
      ],
    );
  });

  it('initializes weights N(0, 0.02), batch-norm scales N(1, 0.02) and biases 0, by seed', () => {
    const m = new Dcgan(100, new Generator(0));
    const params = Object.fromEntries(m.namedParameters());
    for (const name of ['generator.net.3.weight', 'discriminator.net.2.weight', 'generator.net.0.weight']) {
      const { mean, std } = stats(params[name]);
      // 131,072 or more samples: the sample std is within 0.3% of 0.02.
      assert.ok(Math.abs(mean) < 2e-4 && Math.abs(std - 0.02) < 2e-4, `${name}: ${mean}, ${std}`);
    }
    for (const name of ['discriminator.net.6.weight', 'generator.net.6.weight']) {
      const { mean, std } = stats(params[name]);
      assert.ok(Math.abs(mean) < 2e-3 && Math.abs(std - 0.02) < 2e-3, `${name}: ${mean}, ${std}`);
    }
    for (const name of ['generator.net.1.weight', 'discriminator.net.3.weight']) {
      const { mean, std } = stats(params[name]);
      assert.ok(Math.abs(mean - 1) < 6e-3 && Math.abs(std - 0.02) < 6e-3, `${name}: ${mean}, ${std}`);
    }
    for (const name of ['generator.net.1.bias', 'discriminator.net.3.bias', 'discriminator.net.6.bias']) {
      assert.ok(
        (params[name].dataSync() as Float32Array).every((b) => b === 0),
        name,
      );
    }
    const same = new Dcgan(100, new Generator(0)).namedParameters();
    const other = new Dcgan(100, new Generator(1)).namedParameters();
    assert.deepEqual(same[0][1].dataSync(), params[same[0][0]].dataSync());
    assert.notDeepEqual(other[0][1].dataSync(), params[other[0][0]].dataSync());
  });

  it('one training step updates both networks; the generator meets the updated discriminator', () => {
    const m = new Dcgan(16, new Generator(0));
    const adam = { lr: 2e-4, betas: [0.5, 0.999] as [number, number] };
    const optG = new optim.Adam(m.generator.parameters(), adam);
    const optD = new optim.Adam(m.discriminator.parameters(), adam);
    const before = m.namedParameters().map(([n, p]) => [n, Array.from(p.dataSync())] as const);
    const real = randn([8, 1, 28, 28], { generator: new Generator(2) }).tanh();
    const { dLoss, gLoss } = trainStep(m, real, new Generator(3), optD, optG);
    // Logits near 0 at init (the last layer's weights are N(0, 0.02)): about 2 ln 2 at D = ½.
    assert.ok(Math.abs(dLoss - 2 * Math.LN2) < 0.5, `dLoss ${dLoss}`);
    // The discriminator has just learned to call these fakes fake: D(G(z)) < ½, −ln D(G(z)) > ln 2.
    assert.ok(gLoss > Math.LN2 && gLoss < 10, `gLoss ${gLoss}`);
    const after = new Map(m.namedParameters().map(([n, p]) => [n, Array.from(p.dataSync())]));
    for (const [name, v] of before) {
      assert.notDeepEqual(after.get(name), v, `${name} changed`);
    }
  });
});

describe('dcgan-fashion (--quick)', () => {
  async function quiet<T>(f: () => Promise<T> | T): Promise<T> {
    const log = mock.method(console, 'log', () => {});
    try {
      return await f();
    } finally {
      log.mock.restore();
    }
  }

  /** `chainrule eval` with CHAINRULE_CLASSIFIER set to path. */
  async function evaluateWith(checkpoint: string, path: string): Promise<Summary> {
    const previous = process.env.CHAINRULE_CLASSIFIER;
    process.env.CHAINRULE_CLASSIFIER = path;
    try {
      return await quiet(() => example.evaluate!(checkpoint, {}));
    } finally {
      if (previous === undefined) delete process.env.CHAINRULE_CLASSIFIER;
      else process.env.CHAINRULE_CLASSIFIER = previous;
    }
  }

  it('trains, draws, saves both networks and scores samples; eval reproduces the score', async () => {
    // An untrained fashion-cnn classifier is enough to check the plumbing of the score.
    const classifierPath = join(work, 'fashion-cnn.safetensors');
    saveCheckpoint(classifierPath, {
      model: buildModel(new Generator(5)),
      extra: { example: 'fashion-cnn', config: {} },
    });
    const out = join(work, 'run');
    const s: Summary = await quiet(() =>
      runDcgan({ quick: true, plain: true, data: fashion, out }, classifierPath),
    );
    assert.equal(s.example, 'dcgan-fashion');
    for (const key of [
      'confidentShare',
      'classEntropy',
      'classHistogram',
      'epochs',
      'seconds',
      'samplesPerSecond',
      'checkpoint',
      'pictures',
    ]) {
      assert.ok(key in s, key);
    }
    const share = s.confidentShare as number;
    assert.ok(share >= 0 && share <= 1, `confidentShare ${share}`);
    const counts = Object.values(s.classHistogram as Record<string, number>);
    assert.equal(
      counts.reduce((a, b) => a + b, 0),
      100,
      'the quick run scores 100 samples',
    );
    const entropy = s.classEntropy as number;
    assert.ok(entropy >= 0 && entropy <= Math.log(10) + 1e-9, `classEntropy ${entropy}`);
    assert.equal(s.scoreNote, undefined);
    assert.equal(s.epochs, 1);
    assert.ok((s.samplesPerSecond as number) > 0);
    const pictures = s.pictures as string[];
    assert.deepEqual(
      pictures.map((p) => p.split('/').pop()),
      ['samples-epoch-1.png', 'losses.png'],
    );
    for (const png of pictures) {
      const img = readPng(png);
      assert.ok(img.width > 100 && img.height > 80, `${png}: ${img.width}×${img.height}`);
    }
    const history = s.history as Record<string, number | null>[];
    assert.equal(history.length, 1);
    assert.ok(Number.isFinite(history[0].dLoss) && Number.isFinite(history[0].gLoss));
    assert.equal(history[0].confidentShare, share);
    const ckpt = readCheckpoint(s.checkpoint as string);
    assert.equal((ckpt.extra as { example: string }).example, 'dcgan-fashion');
    assert.deepEqual(ckpt.model['generator.net.0.weight'].shape, [100, 128, 7, 7]);
    assert.deepEqual(ckpt.model['discriminator.net.6.weight'].shape, [1, 6272]);

    // The reloaded generator scores the same on the same noise.
    const ev = await evaluateWith(s.checkpoint as string, classifierPath);
    assert.deepEqual(
      [ev.confidentShare, ev.classEntropy, ev.classHistogram],
      [s.confidentShare, s.classEntropy, s.classHistogram],
    );
    // Without a classifier the score is null, with the reason, and nothing fails.
    const missing = join(work, 'no-classifier.safetensors');
    const bare = await evaluateWith(s.checkpoint as string, missing);
    assert.deepEqual([bare.confidentShare, bare.classEntropy, bare.classHistogram], [null, null, null]);
    assert.match(bare.scoreNote as string, /no classifier at .*no-classifier\.safetensors/);
  });
});
