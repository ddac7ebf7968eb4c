/**
 * What the Fashion-MNIST VAEs share: the data (pixels in [0, 1], the Bernoulli decoder's targets), the
 * training loop on the negative ELBO, the test loss in nats per image, the pictures, the checkpoint
 * and `chainrule eval`.
 */
import { join } from 'node:path';
import type { Tensor } from '../../src/index.js';
import { data, defaultGenerator, Generator, manualSeed, nn, noGrad, optim } from '../../src/index.js';
import {
  FASHION_MNIST_DIR,
  loadCheckpoint,
  loadFashionMnist,
  ProgressBar,
  readCheckpoint,
  saveCheckpoint,
} from '../../src/node/index.js';
import type { ExampleOptions, Summary } from '../common.js';
import { round } from '../common.js';
import { reparameterize, vaeLoss } from './loss.js';
import { writeVaePictures } from './pictures.js';

/** An encoder to (μ, log σ²) and a decoder to pixel probabilities, on images [N, 1, 28, 28]. */
export interface VaeModel extends nn.Module {
  readonly latent: number;
  encode(x: Tensor): [Tensor, Tensor];
  decode(z: Tensor): Tensor;
}

export interface VaeConfig {
  epochs: number;
  batchSize: number;
  lr: number;
  seed: number;
  /** Size of the latent code z. */
  latent: number;
  /** Images used by --quick (a smoke test): training, test. */
  quickTrain: number;
  quickTest: number;
}

export interface VaeExample {
  name: string;
  buildModel(latent: number, generator: Generator): VaeModel;
}

/** Seeds of the run's random streams, offset from --seed so that each is reproducible on its own. */
const STREAMS = { loader: 1, noise: 2, eval: 3, samples: 4 };

function loadSplit(
  dir: string,
  split: 'train' | 'test',
  limit: number | undefined,
): { x: Tensor; y: Tensor } {
  const d = loadFashionMnist(dir, { split, limit });
  return { x: d.images, y: d.labels };
}

/** The negative ELBO of one batch with a fresh latent sample per image; sums over the batch. */
export function batchLoss(model: VaeModel, x: Tensor, noise: Generator): ReturnType<typeof vaeLoss> {
  const [mu, logvar] = model.encode(x);
  const recon = model.decode(reparameterize(mu, logvar, noise));
  return vaeLoss(recon, x, mu, logvar);
}

/**
 * The test set's negative ELBO in nats per image (one latent sample per image, drawn from a generator
 * seeded afresh on every call, so that the epochs are compared on the same noise).
 */
export function testLoss(model: VaeModel, x: Tensor, seed: number, batchSize = 500): number {
  const wasTraining = model.training;
  model.eval();
  const noise = new Generator(seed);
  const n = x.shape[0];
  let total = 0;
  noGrad(() => {
    for (let i = 0; i < n; i += batchSize) {
      const len = Math.min(batchSize, n - i);
      total += batchLoss(model, x.narrow(0, i, len), noise).loss.item() as number;
    }
  });
  model.train(wasTraining);
  return total / n;
}

/** Trains one VAE, reports the test loss per epoch, draws the pictures and saves a checkpoint. */
export async function runVae(ex: VaeExample, config: VaeConfig, opts: ExampleOptions): Promise<Summary> {
  const cfg = {
    ...config,
    epochs: opts.epochs ?? (opts.quick ? 1 : config.epochs),
    batchSize: opts.batchSize ?? config.batchSize,
    lr: opts.lr ?? config.lr,
    seed: opts.seed ?? config.seed,
  };
  const started = Date.now();
  manualSeed(cfg.seed);
  const dir = opts.data ?? FASHION_MNIST_DIR;
  const train = loadSplit(dir, 'train', opts.quick ? cfg.quickTrain : undefined).x;
  const { x: test, y: testLabels } = loadSplit(dir, 'test', opts.quick ? cfg.quickTest : undefined);
  const model = ex.buildModel(cfg.latent, new Generator(cfg.seed));
  const optimizer = new optim.Adam(model.parameters(), { lr: cfg.lr });
  const gens = {
    default: defaultGenerator,
    loader: new Generator(cfg.seed + STREAMS.loader),
    noise: new Generator(cfg.seed + STREAMS.noise),
  };
  const loader = new data.DataLoader(new data.TensorDataset(train), {
    batchSize: cfg.batchSize,
    shuffle: true,
    generator: gens.loader,
  });
  console.log(model.toString());
  console.log(
    `train ${train.shape[0]} / test ${test.shape[0]} images from ${dir}; latent ${cfg.latent}; ${cfg.epochs} epochs`,
  );
  const progress = new ProgressBar({ total: loader.length, plain: opts.plain });
  const state = { model, epoch: 0, stopTraining: false, history: {} };
  const testLossPerEpoch: number[] = [];
  const trainLossPerEpoch: number[] = [];
  let trainSeconds = 0;
  for (let epoch = 0; epoch < cfg.epochs; epoch++) {
    const t0 = performance.now();
    progress.onEpochBegin(epoch);
    model.train();
    let sum = 0;
    let batch = 0;
    for (const [x] of loader) {
      const { loss } = batchLoss(model, x, gens.noise);
      optimizer.zeroGrad();
      loss.backward();
      optimizer.step();
      const size = x.shape[0];
      const value = loss.item() as number;
      sum += value;
      progress.onBatchEnd(batch, { loss: value / size, size });
      // Back to the event loop now and then, as fit() does, so that dead tensors can be freed.
      if (++batch % 16 === 0) await Promise.resolve();
    }
    const seconds = (performance.now() - t0) / 1000;
    trainSeconds += seconds;
    trainLossPerEpoch.push(sum / train.shape[0]);
    testLossPerEpoch.push(testLoss(model, test, cfg.seed + STREAMS.eval));
    const logs = {
      loss: trainLossPerEpoch[epoch],
      testLoss: testLossPerEpoch[epoch],
      seconds,
      samplesPerSecond: train.shape[0] / seconds,
    };
    state.epoch = epoch;
    progress.onEpochEnd(epoch, logs, state);
  }
  const out = opts.out ?? join('runs', ex.name);
  const checkpoint = join(out, 'checkpoint.safetensors');
  saveCheckpoint(checkpoint, {
    model,
    optimizer,
    epoch: cfg.epochs,
    generators: gens,
    extra: { example: ex.name, config: cfg },
  });
  const pictures = writeVaePictures(model, {
    out,
    name: ex.name,
    test,
    testLabels,
    trainLossPerEpoch,
    testLossPerEpoch,
    sampleSeed: cfg.seed + STREAMS.samples,
  });
  const final = testLossPerEpoch.length > 0 ? testLossPerEpoch[testLossPerEpoch.length - 1] : NaN;
  return {
    example: ex.name,
    testLoss: round(final, 3),
    testLossPerEpoch: testLossPerEpoch.map((v) => round(v, 3)),
    trainLossPerEpoch: trainLossPerEpoch.map((v) => round(v, 3)),
    latent: cfg.latent,
    epochs: cfg.epochs,
    seconds: round((Date.now() - started) / 1000, 1),
    trainSeconds: round(trainSeconds, 1),
    samplesPerSecond: Math.round((train.shape[0] * cfg.epochs) / Math.max(trainSeconds, 1e-9)),
    checkpoint,
    pictures,
  };
}

/** `chainrule eval <checkpoint>`: rebuilds the VAE with its saved latent size and reports the test loss. */
export function evalVae(ex: VaeExample, path: string, opts: ExampleOptions): Summary {
  const extra = readCheckpoint(path).extra as { config?: VaeConfig } | undefined;
  const cfg = extra?.config;
  if (!cfg) throw new Error(`${path} holds no VAE configuration`);
  const model = ex.buildModel(cfg.latent, new Generator(0));
  loadCheckpoint(path, { model, generators: {} });
  const test = loadSplit(opts.data ?? FASHION_MNIST_DIR, 'test', opts.quick ? cfg.quickTest : undefined).x;
  return {
    example: ex.name,
    checkpoint: path,
    latent: cfg.latent,
    testLoss: round(testLoss(model, test, cfg.seed + STREAMS.eval), 3),
  };
}
