/**
 * DCGAN (Radford et al. 2016) on Fashion-MNIST, with the settings of the PyTorch DCGAN tutorial:
 * images scaled to [−1, 1], 100-dim standard normal noise, Adam 2e-4 with betas (0.5, 0.999) for both
 * networks, batch 128, binary cross-entropy on the discriminator's logits and the non-saturating
 * generator loss (−log D(G(z)) rather than log(1 − D(G(z)))), 5 epochs.
 *
 * After each epoch: an 8×8 grid of samples from fixed noise and, when a `fashion-cnn` checkpoint is
 * found ($CHAINRULE_CLASSIFIER, else runs/fashion-cnn/checkpoint.safetensors), its agreement score on
 * 1,000 samples (see score.ts). Writes the loss curves and one checkpoint with both networks.
 *
 *   npx chainrule train fashion-cnn --data ../shared/data/fashion-mnist
 *   npx chainrule train dcgan-fashion --data ../shared/data/fashion-mnist
 *   npx chainrule eval runs/dcgan-fashion/checkpoint.safetensors
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Tensor } from '../../src/index.js';
import {
  cat,
  data,
  defaultGenerator,
  Generator,
  manualSeed,
  nn,
  noGrad,
  ones,
  optim,
  randn,
  zeros,
} from '../../src/index.js';
import {
  FASHION_MNIST_DIR,
  imageGrid,
  linePlot,
  loadCheckpoint,
  loadFashionMnist,
  ProgressBar,
  readCheckpoint,
  saveCheckpoint,
  writePng,
} from '../../src/node/index.js';
import type { Example, ExampleOptions, Summary } from '../common.js';
import { round, withOptions } from '../common.js';
import { Dcgan } from './model.js';
import type { AgreementScore, ClassifierLookup } from './score.js';
import { agreementScore, findClassifier } from './score.js';

const CONFIG = {
  epochs: 5,
  batchSize: 128,
  lr: 2e-4,
  betas: [0.5, 0.999] as [number, number],
  seed: 0,
  latent: 100,
  /** Samples scored by the classifier after each epoch. */
  scoreSamples: 1000,
  /** One point of the loss curves per this many batches (the mean over them). */
  logEvery: 10,
  /** --quick (a smoke test): training images, batch size, scored samples, loss-curve interval. */
  quickTrain: 256,
  quickBatchSize: 32,
  quickScoreSamples: 100,
  quickLogEvery: 1,
};

type Config = typeof CONFIG;

/** Seeds of the run's random streams, offset from --seed so that each is reproducible on its own. */
const STREAMS = { loader: 1, noise: 2, grid: 3, score: 4 };

const bce = nn.functional.binaryCrossEntropyWithLogits;

/** The generator's images for the given noise, in eval mode (batch norm on running statistics). */
export function generate(model: Dcgan, z: Tensor, batchSize = 500): Tensor {
  const wasTraining = model.training;
  model.eval();
  const parts: Tensor[] = [];
  noGrad(() => {
    for (let i = 0; i < z.shape[0]; i += batchSize) {
      parts.push(model.forward(z.narrow(0, i, Math.min(batchSize, z.shape[0] - i))));
    }
  });
  model.train(wasTraining);
  return parts.length === 1 ? parts[0] : cat(parts, 0);
}

/**
 * One discriminator step then one generator step on a batch of real images; returns the two losses.
 * The fakes are generated once: detached for the discriminator, attached for the generator (whose
 * backward also fills the discriminator's gradients; its next step zeroes them).
 */
export function trainStep(
  model: Dcgan,
  real: Tensor,
  noise: Generator,
  optD: optim.Optimizer,
  optG: optim.Optimizer,
): { dLoss: number; gLoss: number } {
  const b = real.shape[0];
  const yReal = ones([b, 1]);
  const yFake = zeros([b, 1]);
  const fake = model.forward(randn([b, model.latent], { generator: noise }));
  const dLoss = bce(model.score(real), yReal).add(bce(model.score(fake.detach()), yFake));
  optD.zeroGrad();
  dLoss.backward();
  optD.step();
  // Non-saturating: the generator maximizes log D(G(z)), i.e. labels its fakes as real.
  const gLoss = bce(model.score(fake), yReal);
  optG.zeroGrad();
  gLoss.backward();
  optG.step();
  return { dLoss: dLoss.item() as number, gLoss: gLoss.item() as number };
}

/** The score on the run's fixed scoring noise, or null without a classifier. */
function scoreModel(model: Dcgan, lookup: ClassifierLookup, zScore: Tensor): AgreementScore | null {
  return lookup.classifier ? agreementScore(lookup.classifier, generate(model, zScore)) : null;
}

function scoreFields(lookup: ClassifierLookup, score: AgreementScore | null): Record<string, unknown> {
  return {
    confidentShare: score ? round(score.confidentShare) : null,
    classEntropy: score ? round(score.classEntropy) : null,
    classHistogram: score ? score.classHistogram : null,
    classifier: lookup.path,
    ...(lookup.reason ? { scoreNote: `no classifier agreement score: ${lookup.reason}` } : {}),
  };
}

/**
 * Trains the DCGAN; the classifier for the score is looked up at classifierPath (default: the
 * environment's or runs/fashion-cnn's, see findClassifier).
 */
export async function runDcgan(opts: ExampleOptions, classifierPath?: string): Promise<Summary> {
  const base = withOptions(CONFIG, opts, 1);
  const cfg: Config = opts.quick
    ? {
        ...base,
        batchSize: opts.batchSize ?? CONFIG.quickBatchSize,
        scoreSamples: CONFIG.quickScoreSamples,
        logEvery: CONFIG.quickLogEvery,
      }
    : base;
  const started = Date.now();
  manualSeed(cfg.seed);
  const dir = opts.data ?? FASHION_MNIST_DIR;
  const images = loadFashionMnist(dir, { split: 'train', limit: opts.quick ? cfg.quickTrain : undefined })
    .images.mul(2)
    .sub(1);
  const model = new Dcgan(cfg.latent, new Generator(cfg.seed));
  const adam = { lr: cfg.lr, betas: cfg.betas };
  const optG = new optim.Adam(model.generator.parameters(), adam);
  const optD = new optim.Adam(model.discriminator.parameters(), adam);
  const gens = {
    default: defaultGenerator,
    loader: new Generator(cfg.seed + STREAMS.loader),
    noise: new Generator(cfg.seed + STREAMS.noise),
  };
  const loader = new data.DataLoader(new data.TensorDataset(images), {
    batchSize: cfg.batchSize,
    shuffle: true,
    generator: gens.loader,
  });
  const zGrid = randn([64, cfg.latent], { generator: new Generator(cfg.seed + STREAMS.grid) });
  const zScore = randn([cfg.scoreSamples, cfg.latent], {
    generator: new Generator(cfg.seed + STREAMS.score),
  });
  const lookup = findClassifier(classifierPath);
  const out = opts.out ?? join('runs', 'dcgan-fashion');
  mkdirSync(out, { recursive: true });
  console.log(model.toString());
  console.log(
    `train ${images.shape[0]} images from ${dir}; ${cfg.epochs} epochs, batch ${cfg.batchSize}; ` +
      (lookup.classifier ? `classifier ${lookup.path}` : (lookup.reason ?? '')),
  );

  const progress = new ProgressBar({ total: loader.length, plain: opts.plain });
  const state = { model, epoch: 0, stopTraining: false, history: {} };
  const curve = { x: [] as number[], d: [] as number[], g: [] as number[] };
  const history: Record<string, number | null>[] = [];
  const pictures: string[] = [];
  let score: AgreementScore | null = null;
  let trainSeconds = 0;
  for (let epoch = 0; epoch < cfg.epochs; epoch++) {
    const t0 = performance.now();
    progress.onEpochBegin(epoch);
    model.train();
    const sums = { d: 0, g: 0, wd: 0, wg: 0, w: 0 };
    let batch = 0;
    for (const [real] of loader) {
      const { dLoss, gLoss } = trainStep(model, real, gens.noise, optD, optG);
      sums.d += dLoss;
      sums.g += gLoss;
      sums.wd += dLoss;
      sums.wg += gLoss;
      if (++sums.w === cfg.logEvery || batch === loader.length - 1) {
        curve.x.push(epoch + (batch + 1) / loader.length);
        curve.d.push(sums.wd / sums.w);
        curve.g.push(sums.wg / sums.w);
        sums.wd = sums.wg = sums.w = 0;
      }
      progress.onBatchEnd(batch, { loss: dLoss, size: real.shape[0] });
      // Back to the event loop now and then, as fit() does, so that dead tensors can be freed.
      if (++batch % 16 === 0) await Promise.resolve();
    }
    const seconds = (performance.now() - t0) / 1000;
    trainSeconds += seconds;
    const grid = join(out, `samples-epoch-${epoch + 1}.png`);
    writePng(
      grid,
      imageGrid(generate(model, zGrid), {
        nrow: 8,
        scale: 3,
        range: [-1, 1],
        title: `dcgan-fashion: epoch ${epoch + 1}, fixed noise`,
      }),
    );
    pictures.push(grid);
    score = scoreModel(model, lookup, zScore);
    const logs: Record<string, number> = { dLoss: sums.d / batch, gLoss: sums.g / batch };
    if (score) Object.assign(logs, { confident: score.confidentShare, entropy: score.classEntropy });
    history.push({
      epoch: epoch + 1,
      dLoss: round(logs.dLoss),
      gLoss: round(logs.gLoss),
      confidentShare: score ? round(score.confidentShare) : null,
      classEntropy: score ? round(score.classEntropy) : null,
    });
    state.epoch = epoch;
    progress.onEpochEnd(epoch, { ...logs, seconds, samplesPerSecond: images.shape[0] / seconds }, state);
  }

  const lossPng = join(out, 'losses.png');
  writePng(
    lossPng,
    linePlot(
      [
        { name: 'discriminator', x: curve.x, y: curve.d },
        { name: 'generator', x: curve.x, y: curve.g },
      ],
      { title: 'dcgan-fashion: BCE losses', xLabel: 'epoch', yLabel: 'loss' },
    ),
  );
  pictures.push(lossPng);
  const checkpoint = join(out, 'checkpoint.safetensors');
  // Two optimizers do not fit the one-optimizer checkpoint: it holds both networks' weights for eval.
  saveCheckpoint(checkpoint, {
    model,
    epoch: cfg.epochs,
    generators: gens,
    extra: { example: 'dcgan-fashion', config: cfg },
  });
  return {
    example: 'dcgan-fashion',
    ...scoreFields(lookup, score),
    scoredSamples: cfg.scoreSamples,
    history,
    epochs: cfg.epochs,
    seconds: round((Date.now() - started) / 1000, 1),
    trainSeconds: round(trainSeconds, 1),
    samplesPerSecond: Math.round((images.shape[0] * cfg.epochs) / Math.max(trainSeconds, 1e-9)),
    checkpoint,
    pictures,
  };
}

/** `chainrule eval <checkpoint>`: the saved generator's agreement score on the run's scoring noise. */
function evaluate(path: string): Summary {
  const cfg = (readCheckpoint(path).extra as { config?: Config } | undefined)?.config;
  if (!cfg) throw new Error(`${path} holds no dcgan-fashion configuration`);
  const model = new Dcgan(cfg.latent);
  loadCheckpoint(path, { model, generators: {} });
  const zScore = randn([cfg.scoreSamples, cfg.latent], {
    generator: new Generator(cfg.seed + STREAMS.score),
  });
  const lookup = findClassifier();
  return {
    example: 'dcgan-fashion',
    checkpoint: path,
    ...scoreFields(lookup, scoreModel(model, lookup, zScore)),
    scoredSamples: cfg.scoreSamples,
  };
}

export const example: Example = {
  name: 'dcgan-fashion',
  description: 'DCGAN on Fashion-MNIST: sample grids, losses, classifier agreement (needs --data DIR)',
  run: (opts) => runDcgan(opts),
  evaluate,
};
