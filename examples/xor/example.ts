import type { Example, ExampleOptions, Summary } from '../common.js';
import { round } from '../common.js';
import { XOR_DEFAULTS, trainXor } from './train.js';

/** The XOR network for the CLI: `npx chainrule train xor --epochs 10000 --lr 0.1 --seed 0`. */
async function run(opts: ExampleOptions): Promise<Summary> {
  const r = trainXor({
    epochs: opts.epochs ?? (opts.quick ? 500 : XOR_DEFAULTS.epochs),
    lr: opts.lr ?? XOR_DEFAULTS.lr,
    seed: opts.seed ?? XOR_DEFAULTS.seed,
    onLog: (epoch, error) => console.log(`epoch ${epoch}  error ${error.toFixed(6)}`),
  });
  return {
    example: 'xor',
    converged: r.converged,
    epochs: r.epochs,
    finalError: round(r.finalError, 6),
    seconds: round(r.seconds, 2),
  };
}

export const example: Example = {
  name: 'xor',
  description: "the source text's 2-2-1 sigmoid network on XOR, per-sample gradient descent",
  run,
};
