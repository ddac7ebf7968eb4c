/**
 * One small problem, seven optimizers: a 2-64-64-3 ReLU MLP on three interleaved spirals, trained
 * from the same initial weights on the same mini-batches (same seeds) with plain SGD, SGD with
 * momentum, Nesterov momentum, RMSprop, Adagrad, Adam and AdamW. Prints the training loss of every
 * epoch as a table (epochs as rows, optimizers as columns), then the final losses and accuracies.
 *
 * The learning rates are each method's usual working range, not tuned per run: 0.1 for the three
 * SGD variants (the same step, so that the table shows what momentum 0.9 adds), 0.01 for the
 * adaptive methods (Adagrad 0.1, as its steps shrink over time).
 *
 *   npx chainrule train optimizers [--epochs 40] [--batch-size 32] [--seed 0]
 *                                  [--optimizer adam,sgd] [--lr X (for every optimizer run)]
 */
import { data, fit, Generator, manualSeed, nn } from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import type { Example, ExampleOptions, Summary } from '../common.js';
import { round, withOptions } from '../common.js';
import { makeOptimizer, OPTIMIZER_NAMES } from '../optimizers.js';
import type { OptimizerName } from '../optimizers.js';
import { fixed, formatTable, writeCsv } from '../teaching-common.js';

/** Learning rates for each optimizer (see the comment at the top). */
export const LEARNING_RATES: Record<OptimizerName, number> = {
  sgd: 0.1,
  momentum: 0.1,
  nesterov: 0.1,
  rmsprop: 0.01,
  adagrad: 0.1,
  adam: 0.01,
  adamw: 0.01,
};

const CONFIG = {
  points: 600,
  noise: 0.2,
  hidden: 64,
  epochs: 40,
  batchSize: 32,
  valFraction: 0.2,
  seed: 0,
};

/** The MLP, its weights drawn from a generator of its own so that every optimizer starts alike. */
export function buildModel(hidden: number, seed: number): nn.Sequential {
  const generator = new Generator(seed);
  return new nn.Sequential(
    new nn.Linear(2, hidden, { generator }),
    new nn.ReLU(),
    new nn.Linear(hidden, hidden, { generator }),
    new nn.ReLU(),
    new nn.Linear(hidden, 3, { generator }),
  );
}

function chosenOptimizers(flag: string | undefined): OptimizerName[] {
  if (!flag) return [...OPTIMIZER_NAMES];
  const names = flag.split(',').map((s) => s.trim().toLowerCase());
  for (const n of names) {
    if (!(OPTIMIZER_NAMES as readonly string[]).includes(n)) {
      throw new Error(`optimizers: unknown optimizer '${n}' (known: ${OPTIMIZER_NAMES.join(', ')})`);
    }
  }
  return names as OptimizerName[];
}

interface Result {
  lr: number;
  losses: number[];
  valLoss: number;
  valAccuracy: number;
  trainAccuracy: number;
}

async function run(opts: ExampleOptions): Promise<Summary> {
  const cfg = {
    ...withOptions(CONFIG, opts, 3),
    points: opts.quick ? 150 : CONFIG.points,
  };
  const names = chosenOptimizers(opts.optimizer);
  const started = Date.now();
  manualSeed(cfg.seed);
  const { x, y } = data.spirals(cfg.points, { noise: cfg.noise, generator: new Generator(cfg.seed) });
  const [trainSet, valSet] = data.randomSplit(
    new data.TensorDataset(x, y),
    [1 - cfg.valFraction, cfg.valFraction],
    { generator: new Generator(cfg.seed + 1) },
  );
  const valBatch = valSet.getBatch([...valSet.indices.keys()]) as [Tensor, Tensor];
  console.log(
    `spirals: ${trainSet.length} training / ${valSet.length} validation points, 3 classes; ` +
      `MLP 2-${cfg.hidden}-${cfg.hidden}-3; ${cfg.epochs} epochs, batch ${cfg.batchSize}`,
  );

  const lossFn = new nn.CrossEntropyLoss();
  const results = {} as Record<OptimizerName, Result>;
  for (const name of names) {
    const model = buildModel(cfg.hidden, cfg.seed);
    // Every optimizer sees the same sequence of mini-batches.
    const loader = new data.DataLoader<Tensor[], [Tensor, Tensor]>(trainSet, {
      batchSize: cfg.batchSize,
      shuffle: true,
      generator: new Generator(cfg.seed + 2),
    });
    const lr = opts.lr ?? LEARNING_RATES[name];
    const optimizer = makeOptimizer(name, model.parameters(), lr);
    const t0 = Date.now();
    const history = await fit(model, loader, {
      epochs: cfg.epochs,
      optimizer,
      lossFn,
      valData: [valBatch],
      metrics: ['accuracy'],
    });
    const last = history.epoch.length - 1;
    results[name] = {
      lr,
      losses: history.loss,
      valLoss: history.valLoss[last],
      valAccuracy: history.valAccuracy[last],
      trainAccuracy: history.accuracy[last],
    };
    console.log(
      `${name.padEnd(8)} lr ${String(lr).padEnd(5)} final loss ${fixed(history.loss[last])}  ` +
        `val accuracy ${fixed(history.valAccuracy[last])}  (${((Date.now() - t0) / 1000).toFixed(1)} s)`,
    );
  }

  console.log('\nTraining loss per epoch (mean over the epoch’s mini-batches):');
  const rows = Array.from({ length: cfg.epochs }, (_, e) => [
    String(e + 1),
    ...names.map((n) => fixed(results[n].losses[e])),
  ]);
  console.log(formatTable(['epoch', ...names], rows));
  console.log('\nFinal results:');
  console.log(
    formatTable(
      ['optimizer', 'lr', 'train loss', 'train accuracy', 'val loss', 'val accuracy'],
      names.map((n) => {
        const r = results[n];
        return [
          n,
          r.lr,
          fixed(r.losses[r.losses.length - 1]),
          fixed(r.trainAccuracy),
          fixed(r.valLoss),
          fixed(r.valAccuracy),
        ];
      }),
    ),
  );
  writeCsv(opts.out, 'losses.csv', ['epoch', ...names], rows);

  const per = <T>(f: (r: Result) => T) => Object.fromEntries(names.map((n) => [n, f(results[n])]));
  return {
    example: 'optimizers',
    lr: per((r) => r.lr),
    finalLoss: per((r) => round(r.losses[r.losses.length - 1])),
    trainAccuracy: per((r) => round(r.trainAccuracy)),
    valLoss: per((r) => round(r.valLoss)),
    valAccuracy: per((r) => round(r.valAccuracy)),
    epochs: cfg.epochs,
    seconds: round((Date.now() - started) / 1000, 1),
  };
}

export const example: Example = {
  name: 'optimizers',
  description: 'SGD, momentum, Nesterov, RMSprop, Adagrad, Adam and AdamW on the same spirals problem',
  run,
};
