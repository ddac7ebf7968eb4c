/**
 * What the Fashion-MNIST image classifiers share: data (normalized, as the PyTorch baselines), the
 * training run with optional batch augmentation, the evaluation (accuracy, per-class accuracy,
 * confusion matrix), the pictures, the checkpoint and `chainrule eval`.
 */
import { join } from 'node:path';
import type { Tensor } from '../src/index.js';
import {
  argmax,
  confusionMatrix,
  data,
  defaultGenerator,
  fit,
  Generator,
  manualSeed,
  nn,
  noGrad,
  optim,
  perClassAccuracy,
  SchedulerStep,
  vision,
} from '../src/index.js';
import {
  FASHION_MNIST_DIR,
  heatmap,
  imageGrid,
  loadCheckpoint,
  loadFashionMnist,
  ProgressBar,
  readCheckpoint,
  saveCheckpoint,
  writePng,
} from '../src/node/index.js';
import type { ExampleOptions, Summary } from './common.js';
import { round } from './common.js';

export const CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];
/** Fashion-MNIST's training-set mean and standard deviation (pixels in [0, 1]). */
export const MEAN = 0.286;
export const STD = 0.353;

export interface VisionConfig {
  epochs: number;
  batchSize: number;
  lr: number;
  seed: number;
  /** Images used by --quick (a smoke test): training, test. */
  quickTrain: number;
  quickTest: number;
  /** Random crop with this padding and horizontal flips during training (0: no augmentation). */
  augmentPadding: number;
  /** Cosine decay of the learning rate to 0 over the run (else constant). */
  cosine: boolean;
  weightDecay: number;
  /** Label smoothing of the cross-entropy (0: none). */
  labelSmoothing?: number;
}

export interface VisionExample {
  name: string;
  buildModel(generator: Generator): nn.Module;
}

function loadSplit(
  dir: string,
  split: 'train' | 'test',
  limit: number | undefined,
): { x: Tensor; y: Tensor } {
  const d = loadFashionMnist(dir, { split, limit });
  return { x: d.images.sub(MEAN).div(STD), y: d.labels };
}

/** Batches from a loader, each augmented by the transform (a new random draw per image). */
function augmented(
  loader: Iterable<readonly Tensor[]> & { length: number },
  transform: vision.Transform,
): Iterable<Tensor[]> & { length: number } {
  return {
    length: loader.length,
    *[Symbol.iterator]() {
      for (const [x, y] of loader) yield [transform.forward(x), y];
    },
  };
}

interface Evaluation {
  accuracy: number;
  perClass: number[];
  matrix: number[][];
  predictions: Int32Array;
}

/** Predictions over a data set in eval mode, without recording gradients. */
export function evaluateClassifier(model: nn.Module, x: Tensor, y: Tensor, batchSize = 500): Evaluation {
  model.eval();
  const n = y.shape[0];
  const predictions = new Int32Array(n);
  noGrad(() => {
    for (let i = 0; i < n; i += batchSize) {
      const len = Math.min(batchSize, n - i);
      const logits = model.forward(x.narrow(0, i, len)) as Tensor;
      predictions.set(argmax(logits, 1).dataSync() as Int32Array, i);
    }
  });
  const labels = y.dataSync() as Int32Array;
  let right = 0;
  for (let i = 0; i < n; i++) if (predictions[i] === labels[i]) right++;
  const matrix = confusionMatrix(Array.from(predictions), Array.from(labels), 10);
  return { accuracy: right / n, perClass: perClassAccuracy(matrix), matrix, predictions };
}

/** The test-image grid (predicted / true, misclassified in red) and the confusion-matrix heat map. */
function writePictures(out: string, name: string, test: { x: Tensor; y: Tensor }, ev: Evaluation): string[] {
  const count = Math.min(64, test.y.shape[0]);
  const images = test.x.narrow(0, 0, count).mul(STD).add(MEAN);
  const labels = test.y.dataSync() as Int32Array;
  const captions: string[] = [];
  const marks: boolean[] = [];
  for (let i = 0; i < count; i++) {
    captions.push(`${CLASSES[ev.predictions[i]]}\n${CLASSES[labels[i]]}`);
    marks.push(ev.predictions[i] !== labels[i]);
  }
  const grid = join(out, 'test-predictions.png');
  writePng(
    grid,
    imageGrid(images, {
      nrow: 8,
      scale: 3,
      captions,
      marks,
      title: `${name}: predicted / true (red: wrong)`,
    }),
  );
  const matrix = join(out, 'confusion-matrix.png');
  writePng(
    matrix,
    heatmap(ev.matrix, {
      rowLabels: CLASSES,
      colLabels: CLASSES,
      xLabel: 'Predicted',
      yLabel: 'True',
      title: `${name}: confusion matrix`,
    }),
  );
  return [grid, matrix];
}

/** Trains, evaluates, draws and saves one image classifier; the summary has testAccuracy. */
export async function runVision(
  ex: VisionExample,
  config: VisionConfig,
  opts: ExampleOptions,
): Promise<Summary> {
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
  const train = loadSplit(dir, 'train', opts.quick ? cfg.quickTrain : undefined);
  const test = loadSplit(dir, 'test', opts.quick ? cfg.quickTest : undefined);
  const model = ex.buildModel(new Generator(cfg.seed));
  const params = model.parameters();
  const optimizer = new optim.Adam(params, { lr: cfg.lr, weightDecay: cfg.weightDecay });
  const loaderGen = new Generator(cfg.seed + 1);
  const augmentGen = new Generator(cfg.seed + 2);
  const loader = new data.DataLoader(new data.TensorDataset(train.x, train.y), {
    batchSize: cfg.batchSize,
    shuffle: true,
    generator: loaderGen,
  });
  const transform =
    cfg.augmentPadding > 0
      ? new vision.Compose([
          new vision.RandomCrop(28, {
            padding: cfg.augmentPadding,
            fill: -MEAN / STD,
            generator: augmentGen,
          }),
          new vision.RandomHorizontalFlip(0.5, { generator: augmentGen }),
        ])
      : null;
  const trainData = transform ? augmented(loader, transform) : loader;
  const scheduler = cfg.cosine ? new optim.CosineAnnealingLR(optimizer, cfg.epochs) : null;
  const testLoader = new data.DataLoader(new data.TensorDataset(test.x, test.y), { batchSize: 500 });
  console.log(model.toString());
  console.log(`train ${train.y.shape[0]} / test ${test.y.shape[0]} images from ${dir}; ${cfg.epochs} epochs`);
  const lossFn = new nn.CrossEntropyLoss({ labelSmoothing: cfg.labelSmoothing ?? 0 });
  const history = await fit(model, trainData, {
    epochs: cfg.epochs,
    optimizer,
    lossFn,
    valData: testLoader,
    metrics: ['accuracy'],
    callbacks: [
      new ProgressBar({ total: loader.length, plain: opts.plain }),
      ...(scheduler ? [new SchedulerStep(scheduler)] : []),
    ],
  });
  const ev = evaluateClassifier(model, test.x, test.y);
  const out = opts.out ?? join('runs', ex.name);
  const checkpoint = join(out, 'checkpoint.safetensors');
  saveCheckpoint(checkpoint, {
    model,
    optimizer,
    epoch: cfg.epochs,
    generators: { default: defaultGenerator, loader: loaderGen, augment: augmentGen },
    extra: { example: ex.name, config: cfg },
  });
  const pictures = writePictures(out, ex.name, test, ev);
  const trainSeconds = history.seconds.reduce((a, b) => a + b, 0);
  return {
    example: ex.name,
    testAccuracy: round(ev.accuracy),
    perClassAccuracy: Object.fromEntries(CLASSES.map((c, i) => [c, round(ev.perClass[i])])),
    accuracyPerEpoch: history.valAccuracy.map((a) => round(a)),
    epochs: cfg.epochs,
    seconds: round((Date.now() - started) / 1000, 1),
    trainSeconds: round(trainSeconds, 1),
    samplesPerSecond: Math.round((train.y.shape[0] * history.epoch.length) / trainSeconds),
    checkpoint,
    pictures,
  };
}

/** `chainrule eval <checkpoint>`: rebuilds the model, loads the weights, reports test accuracy. */
export function evalVision(ex: VisionExample, path: string, opts: ExampleOptions): Summary {
  const contents = readCheckpoint(path);
  const extra = contents.extra as { example?: string; config?: VisionConfig } | undefined;
  const model = ex.buildModel(new Generator(0));
  loadCheckpoint(path, { model, generators: {} });
  const quick = opts.quick ? extra?.config?.quickTest : undefined;
  const test = loadSplit(opts.data ?? FASHION_MNIST_DIR, 'test', quick);
  const ev = evaluateClassifier(model, test.x, test.y);
  return {
    example: ex.name,
    checkpoint: path,
    testAccuracy: round(ev.accuracy),
    perClassAccuracy: Object.fromEntries(CLASSES.map((c, i) => [c, round(ev.perClass[i])])),
    confusionMatrix: ev.matrix,
  };
}
