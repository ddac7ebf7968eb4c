/**
 * The first challenge of deep networks made visible: in a 20-layer sigmoid MLP the gradient reaching
 * the first layers is orders of magnitude smaller than at the last, since every layer multiplies
 * it by σ'(z) ≤ 1/4. Beside it, the usual cures: ReLU with Kaiming (He) initialization, ReLU with
 * batch normalization, and residual (skip) connections, which give the gradient a path around
 * every block.
 *
 * For each variant the example prints the norm of ∂loss/∂W for each of the 20 weight matrices after
 * the first backward pass (and again after training), then trains all four with the same optimizer
 * and reports accuracies on the built-in digits (80% train / 20% validation).
 *
 * SGD with momentum 0.9, lr 0.02, batch 32, 10 epochs; width 64. Typical result: sigmoid stays at
 * chance (~0.10), plain ReLU learns slowly (~0.6), ReLU + batch norm and residual reach ~0.92–0.95.
 *
 *   npx chainrule train vanishing-gradients [--epochs 10] [--lr 0.02] [--batch-size 32] [--seed 0]
 */
import { data, fit, Generator, manualSeed, nn, noGrad, optim } from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import type { Example, ExampleOptions, Summary } from '../common.js';
import { round, withOptions } from '../common.js';
import { digitsSplits, fixed, formatTable, sci, writeCsv } from '../teaching-common.js';

export const VARIANTS = ['sigmoid', 'relu', 'relu-bn', 'residual'] as const;
export type Variant = (typeof VARIANTS)[number];

const CONFIG = {
  depth: 20,
  width: 64,
  epochs: 10,
  batchSize: 32,
  lr: 0.02,
  seed: 0,
};

/**
 * A `depth`-layer MLP 64 → width → … → 10 in one of the four variants; `linears` are its weight
 * layers, input side first. Initialization follows the usual recipe of each: Xavier (Glorot) for
 * sigmoid, which keeps the forward signal's scale and still cannot save the backward one; Kaiming
 * for ReLU; residual branches scaled down by 1/√blocks so that the sum over many blocks stays bounded.
 */
export function buildVariant(
  variant: Variant,
  opts: { depth: number; width: number; seed: number },
): { model: nn.Sequential; linears: nn.Linear[] } {
  const generator = new Generator(opts.seed);
  const { depth, width } = opts;
  const blocks = depth - 2;
  const linear = (i: number, o: number, scale = 1) => {
    const l = new nn.Linear(i, o, { generator });
    if (variant === 'sigmoid') nn.init.xavierUniform(l.weight, 1, { generator });
    else nn.init.kaimingNormal(l.weight, 0, 'fanIn', 'relu', { generator });
    if (scale !== 1) noGrad(() => l.weight.mul_(scale));
    nn.init.zeros(l.bias!);
    return l;
  };
  const act = (): nn.Module => (variant === 'sigmoid' ? new nn.Sigmoid() : new nn.ReLU());
  const linears: nn.Linear[] = [];
  const layers: nn.Module[] = [];
  const hidden = (i: number, o: number): nn.Module[] => {
    const l = linear(i, o);
    linears.push(l);
    return variant === 'relu-bn' ? [l, new nn.BatchNorm1d(o), act()] : [l, act()];
  };
  layers.push(...hidden(64, width));
  for (let b = 0; b < blocks; b++) {
    if (variant === 'residual') {
      const l = linear(width, width, 1 / Math.sqrt(blocks));
      linears.push(l);
      layers.push(new nn.Residual(new nn.Sequential(l, act())));
    } else {
      layers.push(...hidden(width, width));
    }
  }
  const head = linear(width, 10);
  linears.push(head);
  layers.push(head);
  return { model: new nn.Sequential(...layers), linears };
}

/** ‖∂loss/∂W‖ of every weight layer, input side first, after one forward and backward on (x, y). */
export function layerGradNorms(model: nn.Module, linears: nn.Linear[], x: Tensor, y: Tensor): number[] {
  model.zeroGrad();
  const loss = new nn.CrossEntropyLoss().forward(model.forward(x) as Tensor, y);
  loss.backward();
  const norms = linears.map((l) => l.weight.grad!.norm().item() as number);
  model.zeroGrad();
  return norms;
}

function gradTable(norms: Record<Variant, number[]>): string {
  const depth = norms.sigmoid.length;
  const rows: string[][] = [];
  for (let i = 0; i < depth; i++) rows.push([String(i + 1), ...VARIANTS.map((v) => sci(norms[v][i]))]);
  rows.push(['first/last', ...VARIANTS.map((v) => sci(ratio(norms[v])))]);
  return formatTable(['layer', ...VARIANTS], rows);
}

function ratio(norms: number[]): number {
  return norms[0] / norms[norms.length - 1];
}

function perVariant<T>(f: (v: Variant) => T): Record<Variant, T> {
  return Object.fromEntries(VARIANTS.map((v) => [v, f(v)])) as Record<Variant, T>;
}

async function run(opts: ExampleOptions): Promise<Summary> {
  const cfg = {
    ...withOptions(CONFIG, opts, 1),
    width: opts.quick ? 16 : CONFIG.width,
  };
  const started = Date.now();
  manualSeed(cfg.seed);
  // The quick run (a smoke test) has narrower layers and a few hundred images, but all 20 layers.
  const [train, val] = digitsSplits(cfg.seed, opts.quick ? [128, 128] : [0.8, 0.2]);
  const [trainX, trainY] = train.tensors;
  const [valX, valY] = val.tensors;
  console.log(
    `${cfg.depth} weight layers of width ${cfg.width}; train ${train.length} / validation ${val.length} digits`,
  );

  const models = perVariant((v) => buildVariant(v, { depth: cfg.depth, width: cfg.width, seed: cfg.seed }));
  // The gradient of the loss over the whole training split, before any step.
  const initNorms = perVariant((v) => layerGradNorms(models[v].model, models[v].linears, trainX, trainY));
  console.log('\n‖∂loss/∂W‖ per layer at initialization (layer 1 = input side):');
  console.log(gradTable(initNorms));
  console.log(
    `The first sigmoid layer gets ${sci(ratio(initNorms.sigmoid))} of the last one's gradient: each ` +
      `layer multiplies it by σ'(z) ≤ 1/4. The others keep it within a few orders of magnitude.`,
  );

  const lossFn = new nn.CrossEntropyLoss();
  const results = {} as Record<Variant, { valAccuracy: number; valLoss: number; trainLoss: number }>;
  const curves: (string | number)[][] = [];
  for (const v of VARIANTS) {
    const { model } = models[v];
    // The same data order for every variant.
    const loader = new data.DataLoader<Tensor[], [Tensor, Tensor]>(train, {
      batchSize: cfg.batchSize,
      shuffle: true,
      generator: new Generator(cfg.seed + 1),
    });
    const optimizer = new optim.SGD(model.parameters(), { lr: cfg.lr, momentum: 0.9 });
    const history = await fit(model, loader, {
      epochs: cfg.epochs,
      optimizer,
      lossFn,
      valData: [[valX, valY]],
      metrics: ['accuracy'],
      callbacks: [
        {
          onEpochEnd: (epoch, logs) => {
            curves.push([v, epoch + 1, logs.loss, logs.accuracy, logs.valLoss, logs.valAccuracy]);
            console.log(
              `${v.padEnd(8)} epoch ${String(epoch + 1).padStart(3)}  loss ${fixed(logs.loss)}  ` +
                `accuracy ${fixed(logs.accuracy)}  valLoss ${fixed(logs.valLoss)}  valAccuracy ${fixed(logs.valAccuracy)}`,
            );
          },
        },
      ],
    });
    const last = history.epoch.length - 1;
    results[v] = {
      valAccuracy: history.valAccuracy[last],
      valLoss: history.valLoss[last],
      trainLoss: history.loss[last],
    };
  }

  const trainedNorms = perVariant((v) => layerGradNorms(models[v].model, models[v].linears, trainX, trainY));
  console.log(`\n‖∂loss/∂W‖ per layer after ${cfg.epochs} epochs:`);
  console.log(gradTable(trainedNorms));
  console.log(`\nFinal accuracies (SGD, momentum 0.9, lr ${cfg.lr}, batch ${cfg.batchSize}):`);
  console.log(
    formatTable(
      ['variant', 'first/last at init', 'train loss', 'val loss', 'val accuracy'],
      VARIANTS.map((v) => [
        v,
        sci(ratio(initNorms[v])),
        fixed(results[v].trainLoss),
        fixed(results[v].valLoss),
        fixed(results[v].valAccuracy),
      ]),
    ),
  );
  writeCsv(
    opts.out,
    'grad-norms.csv',
    ['variant', 'when', ...initNorms.sigmoid.map((_, i) => `layer${i + 1}`)],
    [
      ...VARIANTS.map((v) => [v, 'init', ...initNorms[v]]),
      ...VARIANTS.map((v) => [v, 'trained', ...trainedNorms[v]]),
    ],
  );
  writeCsv(
    opts.out,
    'curves.csv',
    ['variant', 'epoch', 'loss', 'accuracy', 'valLoss', 'valAccuracy'],
    curves,
  );

  return {
    example: 'vanishing-gradients',
    depth: cfg.depth,
    width: cfg.width,
    gradNormRatio: perVariant((v) => Number(ratio(initNorms[v]).toPrecision(3))),
    gradNormRatioTrained: perVariant((v) => Number(ratio(trainedNorms[v]).toPrecision(3))),
    valAccuracy: perVariant((v) => round(results[v].valAccuracy)),
    valLoss: perVariant((v) => round(results[v].valLoss)),
    epochs: cfg.epochs,
    seconds: round((Date.now() - started) / 1000, 1),
  };
}

export const example: Example = {
  name: 'vanishing-gradients',
  description: '20-layer MLPs: sigmoid gradients vanish; ReLU, batch norm and residual versions do not',
  run,
};
