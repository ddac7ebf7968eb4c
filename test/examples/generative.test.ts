/**
 * The generative examples: the VAE objective and the WGAN-GP gradient penalty against hand
 * computations, the ring's mode metric on made-up point sets, and --quick runs of vae, vae-2d,
 * conv-vae and gan-ring (summary keys, pictures, checkpoints, metrics file).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, describe, it, mock } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Tensor } from '../../src/index.js';
import { Generator, matmul, randn, tensor } from '../../src/index.js';
import { readCheckpoint, readPng } from '../../src/node/index.js';
import type { Example, ExampleOptions, Summary } from '../../examples/common.js';
import { example as ganRing, RingWgan } from '../../examples/gan-ring/main.js';
import { gradientPenalty, interpolate, penaltyAt } from '../../examples/gan-ring/penalty.js';
import { ringMetric, ringModes, sampleRing } from '../../examples/gan-ring/ring.js';
import { ConvVae, example as convVae } from '../../examples/vae/conv.js';
import { reparameterize, vaeLoss } from '../../examples/vae/loss.js';
import { example as vae, example2d as vae2d, MlpVae } from '../../examples/vae/main.js';
import { latentTraversal } from '../../examples/vae/pictures.js';
import { assertClose, checkGrad, forEachBackend } from '../helpers.js';

// build/test/examples/ -> repository root
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const fashion = resolve(root, '../shared/data/fashion-mnist');
const work = mkdtempSync(join(tmpdir(), 'chainrule-generative-'));
after(() => rmSync(work, { recursive: true, force: true }));

const f64 = (v: number[] | number[][], requiresGrad = false) => tensor(v, { dtype: 'float64', requiresGrad });

async function quietRun(ex: Example, opts: ExampleOptions): Promise<Summary> {
  const log = mock.method(console, 'log', () => {});
  try {
    return await ex.run({ quick: true, plain: true, ...opts });
  } finally {
    log.mock.restore();
  }
}

function assertPictures(s: Summary, names: string[]): void {
  const pictures = s.pictures as string[];
  assert.deepEqual(
    pictures.map((p) => p.split('/').pop()),
    names,
  );
  for (const png of pictures) {
    const img = readPng(png);
    assert.ok(img.width > 100 && img.height > 60, `${png} is a picture (${img.width}×${img.height})`);
  }
}

forEachBackend('VAE objective', () => {
  it('is BCE summed over pixels plus the closed-form KL, checked by hand', () => {
    const recon = f64([
      [0.2, 0.9, 0.5],
      [0.7, 0.1, 0.6],
    ]);
    const x = f64([
      [0, 1, 0.5],
      [1, 0.25, 0],
    ]);
    const mu = f64([
      [0.5, -1],
      [0, 2],
    ]);
    const logvar = f64([
      [0, 0.4],
      [-1, 0.1],
    ]);
    let bce = 0;
    const r = recon.dataSync();
    const t = x.dataSync();
    for (let i = 0; i < 6; i++) bce -= t[i] * Math.log(r[i]) + (1 - t[i]) * Math.log(1 - r[i]);
    let kl = 0;
    const m = mu.dataSync();
    const lv = logvar.dataSync();
    for (let i = 0; i < 4; i++) kl += -0.5 * (1 + lv[i] - m[i] * m[i] - Math.exp(lv[i]));
    const out = vaeLoss(recon, x, mu, logvar);
    assertClose(out.bce, bce, { atol: 1e-12 });
    assertClose(out.kl, kl, { atol: 1e-12 });
    assertClose(out.loss, bce + kl, { atol: 1e-12 });
    // The KL term vanishes exactly at the prior (μ = 0, log σ² = 0).
    assertClose(vaeLoss(recon, x, f64([[0, 0]]), f64([[0, 0]])).kl, 0);
  });

  it('has the gradients of finite differences in the decoder output, μ and log σ²', () => {
    const x = f64([
      [0, 1, 0.3],
      [1, 0.5, 0],
    ]);
    checkGrad(
      (r: Tensor, mu: Tensor, lv: Tensor) => vaeLoss(r, x, mu, lv).loss,
      [
        f64(
          [
            [0.2, 0.9, 0.5],
            [0.7, 0.1, 0.6],
          ],
          true,
        ),
        f64(
          [
            [0.5, -1],
            [0, 2],
          ],
          true,
        ),
        f64(
          [
            [0, 0.4],
            [-1, 0.1],
          ],
          true,
        ),
      ],
    );
  });

  it('reparameterizes z = μ + σ ε with seeded noise, differentiably in μ and log σ²', () => {
    const mu = f64([[1, -2, 0.5]], true);
    const logvar = f64([[0, 2, -2]], true);
    const z = reparameterize(mu, logvar, new Generator(3));
    const eps = randn([1, 3], { dtype: 'float64', generator: new Generator(3) }).dataSync();
    const sigma = [1, Math.E, 1 / Math.E];
    assertClose(z, [[1 + eps[0], -2 + sigma[1] * eps[1], 0.5 + sigma[2] * eps[2]]], { atol: 1e-12 });
    assertClose(reparameterize(mu, logvar, new Generator(3)), z);
    assert.notDeepEqual(reparameterize(mu, logvar, new Generator(4)).dataSync(), z.dataSync());
    z.sum().backward();
    assertClose(mu.grad!, [[1, 1, 1]]);
    assertClose(logvar.grad!, [[0.5 * eps[0], 0.5 * sigma[1] * eps[1], 0.5 * sigma[2] * eps[2]]], {
      atol: 1e-12,
    });
  });

  it('MLP and convolutional VAEs map images [N, 1, 28, 28] to codes and back', () => {
    const g = new Generator(0);
    const x = randn([3, 1, 28, 28], { generator: g }).sigmoid();
    for (const model of [new MlpVae(5, 16, g), new ConvVae(4, g)]) {
      const [mu, logvar] = model.encode(x);
      assert.deepEqual(mu.shape, [3, model.latent]);
      assert.deepEqual(logvar.shape, [3, model.latent]);
      const y = model.decode(mu).dataSync();
      assert.deepEqual(model.decode(mu).shape, [3, 1, 28, 28]);
      assert.ok(
        y.every((v) => v > 0 && v < 1),
        'pixel probabilities',
      );
    }
    const names = Object.keys(new MlpVae(20, 400).stateDict());
    assert.deepEqual(names, [
      'fc1.weight',
      'fc1.bias',
      'fc21.weight',
      'fc21.bias',
      'fc22.weight',
      'fc22.bias',
      'fc3.weight',
      'fc3.bias',
      'fc4.weight',
      'fc4.bias',
    ]);
  });

  it('traverses a 2-D latent space on a linear grid over [-3, 3]², z₂ growing upwards', () => {
    const seen: number[][] = [];
    const spy = new MlpVae(2, 8, new Generator(0));
    spy.decode = (z: Tensor) => {
      seen.push(Array.from(z.dataSync(), Number));
      return z;
    };
    latentTraversal(spy, 3, 3);
    assert.deepEqual(seen, [[-3, 3, 0, 3, 3, 3, -3, 0, 0, 0, 3, 0, -3, -3, 0, -3, 3, -3]]);
  });
});

forEachBackend('WGAN-GP gradient penalty', () => {
  it('is λ(|w| − 1)² for a linear critic f(x) = x·w, with gradient 2λ(|w| − 1) w/|w| in w', () => {
    const w = f64([[3], [4]], true);
    const critic = (x: Tensor) => matmul(x, w);
    const real = f64([
      [1, 2],
      [-0.5, 0.3],
      [2, -1],
    ]);
    const fake = f64([
      [0, 0],
      [4, 1],
      [-2, 2],
    ]);
    const p = gradientPenalty(critic, real, fake, 10, new Generator(0));
    assertClose(p, 10 * (5 - 1) ** 2, { atol: 1e-9 });
    p.backward();
    assertClose(w.grad!, [[2 * 10 * 4 * (3 / 5)], [2 * 10 * 4 * (4 / 5)]], { atol: 1e-9 });
    // At unit gradient norm there is nothing to pay.
    assertClose(
      penaltyAt((x) => matmul(x, f64([[0.6], [0.8]])), real, 10),
      0,
      { atol: 1e-12 },
    );
  });

  it('backpropagates through the input gradient of a nonlinear critic (finite differences)', () => {
    const points = f64([
      [0.3, -0.7],
      [1.2, 0.4],
      [-0.5, 0.9],
    ]);
    const penalty = (w1: Tensor, w2: Tensor) =>
      penaltyAt((x) => matmul(matmul(x, w1).tanh(), w2), points, 10);
    checkGrad(penalty, [
      f64(
        [
          [0.5, -1.1, 0.3],
          [0.8, 0.2, -0.6],
        ],
        true,
      ),
      f64([[1.5], [-0.7], [0.9]], true),
    ]);
  });

  it('interpolates each row between its real and generated point, a fresh fraction per row', () => {
    const real = f64([
      [1, 1],
      [2, -2],
      [0, 5],
      [3, 3],
    ]);
    const fake = f64([
      [-1, 3],
      [0, 0],
      [4, 1],
      [5, -3],
    ]);
    const x = interpolate(real, fake, new Generator(1)).dataSync();
    const r = real.dataSync();
    const f = fake.dataSync();
    const fractions: number[] = [];
    for (let i = 0; i < 4; i++) {
      // The fraction from the x coordinate must also place the y coordinate.
      const t = (x[2 * i] - f[2 * i]) / (r[2 * i] - f[2 * i]);
      assert.ok(t >= 0 && t < 1, `row ${i}: t = ${t}`);
      assert.ok(Math.abs(x[2 * i + 1] - (f[2 * i + 1] + t * (r[2 * i + 1] - f[2 * i + 1]))) < 1e-12);
      fractions.push(t);
    }
    assert.equal(new Set(fractions).size, 4);
  });
});

describe('ring of 8 Gaussians and its mode metric', () => {
  it('counts modes reached by high-quality samples and the share of those samples', () => {
    const modes = ringModes();
    assert.equal(modes.length, 8);
    assertClose(tensor(modes[2]), [0, 2], { atol: 1e-12 });
    assertClose(tensor(modes[5]), [-Math.SQRT2, -Math.SQRT2], { atol: 1e-12 });
    assert.deepEqual(ringMetric(modes.flat()), { modesCaptured: 8, highQualityPercent: 100 });
    assert.deepEqual(ringMetric([0, 0, 5, 5, -9, 1, 1, 1]), { modesCaptured: 0, highQualityPercent: 0 });
    // Two good samples at mode 0, one good at mode 1 (0.05 off), one just outside 0.06 of mode 2.
    const pts = [2, 0, 2.03, -0.02, modes[1][0] + 0.05, modes[1][1], 0, 2.07, 0, 0];
    assert.deepEqual(ringMetric(pts), { modesCaptured: 2, highQualityPercent: 60 });
    // All samples collapsed onto one mode: one mode, full quality.
    assert.deepEqual(
      ringMetric(
        tensor([
          [-2, 0],
          [-2.01, 0.01],
        ]),
      ),
      { modesCaptured: 1, highQualityPercent: 100 },
    );
  });

  it('scores real samples at the 2-D 3σ coverage, 1 − e^(−9/2) ≈ 98.9%, on every mode', () => {
    const real = sampleRing(2500, new Generator(0));
    assert.deepEqual(real.shape, [2500, 2]);
    const m = ringMetric(real);
    assert.equal(m.modesCaptured, 8);
    assert.ok(Math.abs(m.highQualityPercent - 100 * (1 - Math.exp(-4.5))) < 0.8, `${m.highQualityPercent}`);
  });
});

describe('generative examples (--quick)', () => {
  it('vae trains on a few hundred images, writes pictures and a checkpoint that eval reloads', async () => {
    const out = join(work, 'vae');
    const s = await quietRun(vae, { data: fashion, out });
    assert.equal(s.example, 'vae');
    const loss = s.testLoss as number;
    // Between a perfect fit's entropy floor and a blank decoder's 784·ln 2 ≈ 543 nats.
    assert.ok(loss > 50 && loss < 543, `testLoss ${loss}`);
    assert.deepEqual(s.testLossPerEpoch, [loss]);
    for (const key of ['seconds', 'samplesPerSecond']) assert.ok(Number.isFinite(s[key] as number), key);
    assertPictures(s, ['reconstructions.png', 'samples.png', 'loss-curve.png']);
    const ckpt = readCheckpoint(s.checkpoint as string);
    assert.deepEqual(ckpt.model['fc21.weight'].shape, [20, 400]);
    assert.deepEqual((ckpt.extra as { example: string }).example, 'vae');
    const log = mock.method(console, 'log', () => {});
    const ev = await vae.evaluate!(s.checkpoint as string, { data: fashion, quick: true });
    log.mock.restore();
    assert.equal(ev.testLoss, loss, 'the reloaded model scores the same on the same noise');
    // The same seed repeats the run exactly.
    const again = await quietRun(vae, { data: fashion, out: join(work, 'vae-again') });
    assert.equal(again.testLoss, loss);
  });

  it('vae-2d also draws the latent traversal and the test codes', async () => {
    const s = await quietRun(vae2d, { data: fashion, out: join(work, 'vae2d') });
    assert.equal(s.example, 'vae-2d');
    assert.equal(s.latent, 2);
    assert.ok(Number.isFinite(s.testLoss as number));
    assertPictures(s, [
      'reconstructions.png',
      'samples.png',
      'latent-traversal.png',
      'latent-space.png',
      'loss-curve.png',
    ]);
    const grid = readPng((s.pictures as string[])[2]);
    assert.ok(grid.width >= 20 * 28 && grid.height >= 20 * 28, 'a 20 × 20 grid of 28-pixel images');
    assert.deepEqual(readCheckpoint(s.checkpoint as string).model['fc21.weight'].shape, [2, 400]);
  });

  it('conv-vae trains with the same outputs', async () => {
    const s = await quietRun(convVae, { data: fashion, out: join(work, 'conv') });
    assert.equal(s.example, 'conv-vae');
    assert.ok((s.testLoss as number) > 50 && (s.testLoss as number) < 600, `${s.testLoss}`);
    for (const key of ['seconds', 'samplesPerSecond']) assert.ok(Number.isFinite(s[key] as number), key);
    assertPictures(s, ['reconstructions.png', 'samples.png', 'loss-curve.png']);
    assert.deepEqual(readCheckpoint(s.checkpoint as string).model['decoder.5.weight'].shape, [32, 1, 3, 3]);
  });

  it('gan-ring runs 50 generator steps with metrics, snapshots and a checkpoint', async () => {
    const out = join(work, 'gan');
    // A smaller batch than the default 512 keeps the smoke test fast.
    const s = await quietRun(ganRing, { out, batchSize: 64 });
    assert.equal(s.example, 'gan-ring');
    assert.equal(s.generatorSteps, 50);
    const modes = s.modesCaptured as number;
    assert.ok(Number.isInteger(modes) && modes >= 0 && modes <= 8);
    const hq = s.highQualityPercent as number;
    assert.ok(hq >= 0 && hq <= 100);
    assert.ok(Number.isFinite(s.seconds as number));
    assertPictures(s, [
      'samples-step-00000.png',
      'samples-step-00010.png',
      'samples-step-00020.png',
      'samples-step-00030.png',
      'samples-step-00040.png',
      'samples-step-00050.png',
      'metrics.png',
    ]);
    const csv = readFileSync(s.metricsCsv as string, 'utf8')
      .trim()
      .split('\n');
    assert.equal(
      csv[0],
      'step,modesCaptured,highQualityPercent,wassersteinEstimate,criticLoss,generatorLoss',
    );
    assert.equal(csv.length, 7);
    assert.match(csv[1], /^0,\d,[\d.]+,,,$/);
    const lastRow = csv[6].split(',').map(Number);
    assert.deepEqual(lastRow.slice(0, 3), [50, modes, hq]);
    assert.ok(lastRow.slice(3).every(Number.isFinite), csv[6]);
    const ckpt = readCheckpoint(s.checkpoint as string);
    assert.deepEqual(ckpt.model['generator.0.weight'].shape, [128, 2]);
    assert.deepEqual(ckpt.model['critic.4.weight'].shape, [1, 128]);
    const ev = await ganRing.evaluate!(s.checkpoint as string, {});
    assert.deepEqual([ev.modesCaptured, ev.highQualityPercent], [modes, hq]);
    assert.ok(new RingWgan().parameters().length === 12);
  });
});
