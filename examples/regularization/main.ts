/**
 * Over-fitting, and three ways to fight it. A wide MLP (64-256-256-10, ~85k weights) learns from
 * only 150 of the built-in digits, a fifth of whose labels are replaced by a random digit (the
 * annotation errors of real data sets). It has the capacity to memorize all of them, noise
 * included: training accuracy reaches 1 while validation accuracy falls back and the validation
 * loss climbs. The same network, from the same initial weights and on the same mini-batches, is
 * trained
 *   - plain,
 *   - with dropout (p = 0.5 after each hidden layer),
 *   - with an L2 penalty: loss + (λ/2)·Σw² over the weight matrices (l2Penalty; biases are exempt),
 *   - with early stopping on the validation loss (patience 10, restoring the best weights).
 * Train and validation loss/accuracy are measured each epoch in eval mode on the full splits (so
 * dropout's noise and the penalty do not blur the comparison), printed as curves, and compared at
 * the end, with the accuracy on the remaining 1,347 test images that no choice has looked at.
 * (With labelNoise 0 the clean digits over-fit in loss too, but the accuracies differ little.)
 *
 *   npx chainrule train regularization [--epochs 100] [--lr 0.001] [--batch-size 32] [--seed 0]
 */
import {
  data,
  evaluate,
  EarlyStopping,
  fit,
  Generator,
  manualSeed,
  nn,
  optim,
  tensor,
} from '../../src/index.js';
import type { Callback, Tensor } from '../../src/index.js';
import type { Example, ExampleOptions, Summary } from '../common.js';
import { round, withOptions } from '../common.js';
import { digitsSplits, fixed, formatTable, writeCsv } from '../teaching-common.js';

export const VARIANTS = ['plain', 'dropout', 'l2', 'early-stopping'] as const;
export type Variant = (typeof VARIANTS)[number];

const CONFIG = {
  trainSize: 150,
  valSize: 300,
  /** Share of training labels replaced by a random digit (annotation errors, which a big net memorizes). */
  labelNoise: 0.2,
  hidden: 256,
  dropout: 0.5,
  l2: 1e-2,
  patience: 10,
  epochs: 100,
  batchSize: 32,
  lr: 1e-3,
  seed: 0,
  /** Print the curves every this many epochs. */
  every: 5,
};

/** The MLP; `dropout` 0 leaves the dropout layers out. Weights come from a generator of their own. */
export function buildModel(hidden: number, dropout: number, seed: number): nn.Sequential {
  const generator = new Generator(seed);
  const drop = (): nn.Module[] => (dropout > 0 ? [new nn.Dropout(dropout, { generator })] : []);
  return new nn.Sequential(
    new nn.Linear(64, hidden, { generator }),
    new nn.ReLU(),
    ...drop(),
    new nn.Linear(hidden, hidden, { generator }),
    new nn.ReLU(),
    ...drop(),
    new nn.Linear(hidden, 10, { generator }),
  );
}

/** A copy of a (images, labels) dataset with a share of its labels replaced by random classes 0–9. */
export async function withLabelNoise(
  ds: data.TensorDataset,
  share: number,
  generator: Generator,
): Promise<data.TensorDataset> {
  const [x, y] = ds.tensors;
  if (share <= 0) return ds;
  const labels = Int32Array.from(await y.data());
  for (let i = 0; i < labels.length; i++) {
    if (generator.nextDouble() < share) labels[i] = generator.nextInt(0, 10);
  }
  return new data.TensorDataset(x, tensor(labels));
}

interface Point {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  valLoss: number;
  valAccuracy: number;
}

interface Result {
  curve: Point[];
  final: Point;
  testAccuracy: number;
  testLoss: number;
  stoppedEpoch?: number | null;
  bestEpoch?: number;
}

async function run(opts: ExampleOptions): Promise<Summary> {
  const cfg = {
    ...withOptions(CONFIG, opts, 3),
    hidden: opts.quick ? 32 : CONFIG.hidden,
    patience: opts.quick ? 1 : CONFIG.patience,
    every: opts.quick ? 1 : CONFIG.every,
  };
  const started = Date.now();
  manualSeed(cfg.seed);
  const sizes = [cfg.trainSize, cfg.valSize, 1797 - cfg.trainSize - cfg.valSize];
  const [clean, val, test] = digitsSplits(cfg.seed, sizes);
  const train = await withLabelNoise(clean, cfg.labelNoise, new Generator(cfg.seed + 2));
  const whole = (d: data.TensorDataset) => [d.tensors as [Tensor, Tensor]];
  console.log(
    `digits: train ${train.length} (${Math.round(cfg.labelNoise * 100)}% of labels random) / ` +
      `validation ${val.length} / test ${test.length}; ` +
      `MLP 64-${cfg.hidden}-${cfg.hidden}-10; Adam lr ${cfg.lr}, batch ${cfg.batchSize}, up to ${cfg.epochs} epochs`,
  );

  const ce = new nn.CrossEntropyLoss();
  const results = {} as Record<Variant, Result>;
  for (const v of VARIANTS) {
    const model = buildModel(cfg.hidden, v === 'dropout' ? cfg.dropout : 0, cfg.seed);
    const weights = model
      .namedParameters()
      .filter(([n]) => n.endsWith('weight'))
      .map(([, p]) => p);
    // The penalty applies while training only; evaluation (model.eval()) measures plain cross-entropy.
    const lossFn = (out: Tensor, y: Tensor): Tensor =>
      v === 'l2' && model.training
        ? ce.forward(out, y).add(optim.l2Penalty(weights).mul(cfg.l2 / 2))
        : ce.forward(out, y);
    const loader = new data.DataLoader<Tensor[], [Tensor, Tensor]>(train, {
      batchSize: cfg.batchSize,
      shuffle: true,
      generator: new Generator(cfg.seed + 1),
    });
    const curve: Point[] = [];
    // Train and validation figures in eval mode, each epoch: the curves the example is about.
    const measure: Callback = {
      onEpochEnd: (epoch, logs) => {
        const tr = evaluate(model, whole(train), { lossFn: ce, metrics: ['accuracy'] });
        curve.push({
          epoch: epoch + 1,
          trainLoss: tr.loss,
          trainAccuracy: tr.accuracy,
          valLoss: logs.valLoss,
          valAccuracy: logs.valAccuracy,
        });
      },
    };
    const stopper = new EarlyStopping({
      monitor: 'valLoss',
      patience: cfg.patience,
      restoreBestWeights: true,
    });
    await fit(model, loader, {
      epochs: cfg.epochs,
      optimizer: new optim.Adam(model.parameters(), { lr: cfg.lr }),
      lossFn,
      valData: whole(val),
      metrics: ['accuracy'],
      callbacks: v === 'early-stopping' ? [measure, stopper] : [measure],
    });
    // Final figures of the weights the variant ends with (for early stopping: the restored best).
    const tr = evaluate(model, whole(train), { lossFn: ce, metrics: ['accuracy'] });
    const va = evaluate(model, whole(val), { lossFn: ce, metrics: ['accuracy'] });
    const te = evaluate(model, whole(test), { lossFn: ce, metrics: ['accuracy'] });
    results[v] = {
      curve,
      final: {
        epoch: curve.length,
        trainLoss: tr.loss,
        trainAccuracy: tr.accuracy,
        valLoss: va.loss,
        valAccuracy: va.accuracy,
      },
      testAccuracy: te.accuracy,
      testLoss: te.loss,
    };
    if (v === 'early-stopping') {
      results[v].stoppedEpoch = stopper.stoppedEpoch >= 0 ? stopper.stoppedEpoch + 1 : null;
      results[v].bestEpoch = stopper.bestEpoch + 1;
    }
    const f = results[v].final;
    console.log(
      `${v.padEnd(14)} ${String(curve.length).padStart(3)} epochs  train loss ${fixed(f.trainLoss)}  ` +
        `val loss ${fixed(f.valLoss)}  train accuracy ${fixed(f.trainAccuracy)}  val accuracy ${fixed(f.valAccuracy)}`,
    );
  }
  printCurves(results, cfg.epochs, cfg.every);
  printComparison(results);

  const rows = VARIANTS.flatMap((v) =>
    results[v].curve.map((p) => [v, p.epoch, p.trainLoss, p.trainAccuracy, p.valLoss, p.valAccuracy]),
  );
  writeCsv(
    opts.out,
    'curves.csv',
    ['variant', 'epoch', 'trainLoss', 'trainAccuracy', 'valLoss', 'valAccuracy'],
    rows,
  );

  const summary: Summary = {
    example: 'regularization',
    trainSize: cfg.trainSize,
    labelNoise: cfg.labelNoise,
  };
  for (const v of VARIANTS) {
    const r = results[v];
    summary[v] = {
      // Training figures are against the (partly noisy) labels the network was given.
      trainAccuracy: round(r.final.trainAccuracy),
      valAccuracy: round(r.final.valAccuracy),
      trainLoss: round(r.final.trainLoss),
      valLoss: round(r.final.valLoss),
      testAccuracy: round(r.testAccuracy),
      epochs: r.curve.length,
      ...(v === 'early-stopping' ? { stoppedEpoch: r.stoppedEpoch, bestEpoch: r.bestEpoch } : {}),
    };
  }
  summary.seconds = round((Date.now() - started) / 1000, 1);
  return summary;
}

/** Two tables, epochs as rows: "train / validation" loss, then accuracy, per variant. */
function printCurves(results: Record<Variant, Result>, epochs: number, every: number): void {
  const shown: number[] = [];
  for (let e = 1; e <= epochs; e++) if (e === 1 || e % every === 0 || e === epochs) shown.push(e);
  for (const [what, tr, va, digits] of [
    ['loss', 'trainLoss', 'valLoss', 3],
    ['accuracy', 'trainAccuracy', 'valAccuracy', 3],
  ] as const) {
    console.log(`\n${what}: train / validation`);
    const rows = shown.map((e) => [
      String(e),
      ...VARIANTS.map((v) => {
        const p = results[v].curve[e - 1];
        return p ? `${fixed(p[tr], digits)} / ${fixed(p[va], digits)}` : '(stopped)';
      }),
    ]);
    console.log(formatTable(['epoch', ...VARIANTS], rows));
  }
}

function printComparison(results: Record<Variant, Result>): void {
  console.log('\nFinal weights (early stopping: the restored best epoch):');
  console.log(
    formatTable(
      [
        'variant',
        'epochs',
        'train loss',
        'val loss',
        'loss gap',
        'train acc',
        'val acc',
        'acc gap',
        'test acc',
      ],
      VARIANTS.map((v) => {
        const { final: f, curve, testAccuracy } = results[v];
        const epochs =
          v === 'early-stopping' ? `${curve.length} (best ${results[v].bestEpoch})` : curve.length;
        return [
          v,
          epochs,
          fixed(f.trainLoss),
          fixed(f.valLoss),
          fixed(f.valLoss - f.trainLoss),
          fixed(f.trainAccuracy),
          fixed(f.valAccuracy),
          fixed(f.trainAccuracy - f.valAccuracy),
          fixed(testAccuracy),
        ];
      }),
    ),
  );
}

export const example: Example = {
  name: 'regularization',
  description: 'Over-fitting 150 digits: plain vs dropout, L2 penalty and early stopping',
  run,
};
