/**
 * Trains a 2-H-1 sigmoid network on XOR and prints the error as it goes, then the truth table.
 *
 *   node build/examples/xor/main.js [--epochs 10000] [--lr 0.1] [--threshold 0.05] [--seed 3]
 *                                   [--hidden 2] [--log-every 1000] [--json]
 */
import { parseArgs } from 'node:util';
import { XOR_DEFAULTS, trainXor } from './train.js';

const USAGE = `usage: node build/examples/xor/main.js [options]
  --epochs N       most epochs to run (default ${XOR_DEFAULTS.epochs})
  --lr X           learning rate (default ${XOR_DEFAULTS.lr})
  --threshold X    stop once the error of an epoch is below X (default ${XOR_DEFAULTS.threshold})
  --seed N         seed of the initial weights (default ${XOR_DEFAULTS.seed})
  --hidden N       hidden units (default ${XOR_DEFAULTS.hidden})
  --log-every N    print the error every N epochs (default ${XOR_DEFAULTS.logEvery})
  --json           print only one JSON line with the result
  --help           show this help`;

function number(name: string, value: string | undefined, integer: boolean, min: number): number | undefined {
  if (value === undefined) return undefined;
  const x = Number(value);
  if (value.trim() === '' || !Number.isFinite(x) || (integer && !Number.isInteger(x)) || x < min) {
    const what = integer ? `an integer >= ${min}` : `a number >= ${min}`;
    throw new Error(`--${name} must be ${what}, got '${value}'`);
  }
  return x;
}

function main(argv: string[]): number {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        epochs: { type: 'string' },
        lr: { type: 'string' },
        threshold: { type: 'string' },
        seed: { type: 'string' },
        hidden: { type: 'string' },
        'log-every': { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (e) {
    console.error(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  let options;
  try {
    options = {
      epochs: number('epochs', values.epochs, true, 1),
      lr: number('lr', values.lr, false, 0),
      threshold: number('threshold', values.threshold, false, 0),
      seed: number('seed', values.seed, true, 0),
      hidden: number('hidden', values.hidden, true, 1),
      logEvery: number('log-every', values['log-every'], true, 1),
    };
  } catch (e) {
    console.error(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }

  const json = values.json;
  const result = trainXor({
    ...options,
    onLog: json
      ? undefined
      : (epoch, error) => console.log(`epoch ${String(epoch).padStart(6)}  error ${error.toFixed(6)}`),
  });

  if (json) {
    const { converged, epochs, finalError, seconds } = result;
    console.log(JSON.stringify({ example: 'xor', converged, epochs, finalError, seconds }));
    return 0;
  }
  console.log('\n x1 x2 | target | output');
  for (const { input, target, output } of result.table) {
    console.log(` ${input[0]}  ${input[1]}  |   ${target}    | ${output.toFixed(4)}`);
  }
  const how = result.converged ? 'converged' : 'did not converge';
  console.log(
    `\n${how} after ${result.epochs} epochs: error ${result.finalError.toFixed(6)} ` +
      `(threshold ${options.threshold ?? XOR_DEFAULTS.threshold}), ${result.seconds.toFixed(2)} s`,
  );
  return 0;
}

process.exitCode = main(process.argv.slice(2));
