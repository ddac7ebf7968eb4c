#!/usr/bin/env node
/**
 * The `chainrule` command: runs the examples with common options.
 *
 *   npx chainrule list
 *   npx chainrule train <example> [--epochs N] [--lr X] [--batch-size N] [--optimizer NAME] [--seed N]
 *                                 [--data DIR] [--out DIR] [--quick] [--plain]
 *
 * Every run prints progress, then one JSON line with its results, and writes the same object to
 * summary.json in the output folder (default runs/<example>).
 */
import '../src/index.node.js';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { ExampleOptions } from './common.js';
import { writeSummary } from './common.js';
import { EXAMPLES } from './registry.js';
import { listBackends, setBackend } from '../src/index.js';
import { readCheckpoint } from '../src/node/index.js';
import { sampleCheckpoint } from './char-common.js';

const USAGE = `usage: chainrule <command>
  chainrule list                     list the examples
  chainrule train <example> [opts]   train an example
  chainrule eval <checkpoint> [--data DIR] [--out DIR]
                                     reload a saved model and report its test results
  chainrule sample <checkpoint> [--prompt TEXT] [--length N] [--temperature X] [--top-k N] [--seed N]
                                     generate text from a saved char-lstm / char-gpt model
options:
  --epochs N  --lr X  --batch-size N  --optimizer sgd|momentum|nesterov|rmsprop|adagrad|adam|adamw
  --seed N  --data DIR  --out DIR (default runs/<example>)  --resume CHECKPOINT
  --quick (smoke-test size)  --plain (plain log lines instead of a progress bar)  --backend js|wasm (default wasm)`;

function num(flag: string, v: string | undefined, integer: boolean): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (v.trim() === '' || !Number.isFinite(x) || (integer && !Number.isInteger(x)) || x < 0) {
    throw new Error(
      `--${flag} must be a${integer ? ' non-negative integer' : ' non-negative number'}, got '${v}'`,
    );
  }
  return x;
}

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      epochs: { type: 'string' },
      lr: { type: 'string' },
      'batch-size': { type: 'string' },
      optimizer: { type: 'string' },
      seed: { type: 'string' },
      data: { type: 'string' },
      out: { type: 'string' },
      resume: { type: 'string' },
      quick: { type: 'boolean', default: false },
      plain: { type: 'boolean', default: false },
      backend: { type: 'string' },
      prompt: { type: 'string' },
      length: { type: 'string' },
      temperature: { type: 'string' },
      'top-k': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, name] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  if (command === 'list') {
    for (const e of Object.values(EXAMPLES)) console.log(`${e.name.padEnd(22)} ${e.description}`);
    return 0;
  }
  if (command === 'eval') return evalCommand(name, values);
  if (command === 'sample') {
    if (!name) {
      console.error(`chainrule sample: give a checkpoint file\n${USAGE}`);
      return 2;
    }
    setBackend(values.backend ?? (listBackends().includes('wasm') ? 'wasm' : 'js'));
    const text = sampleCheckpoint(name, {
      prompt: values.prompt,
      length: num('length', values.length, true),
      temperature: num('temperature', values.temperature, false),
      topK: num('top-k', values['top-k'], true),
      seed: num('seed', values.seed, true),
    });
    console.log(text);
    return 0;
  }
  if (command !== 'train') {
    console.error(`chainrule: unknown command '${command}'\n${USAGE}`);
    return 2;
  }
  const example = name ? EXAMPLES[name] : undefined;
  if (!example) {
    console.error(
      `chainrule train: unknown example '${name ?? ''}' (known: ${Object.keys(EXAMPLES).join(', ')})`,
    );
    return 2;
  }
  // The fastest backend this runtime offers, unless --backend says otherwise.
  setBackend(values.backend ?? (listBackends().includes('wasm') ? 'wasm' : 'js'));
  const opts: ExampleOptions = {
    epochs: num('epochs', values.epochs, true),
    lr: num('lr', values.lr, false),
    batchSize: num('batch-size', values['batch-size'], true),
    optimizer: values.optimizer,
    seed: num('seed', values.seed, true),
    data: values.data,
    out: values.out ?? join('runs', example.name),
    resume: values.resume,
    quick: values.quick,
    plain: values.plain,
  };
  const summary = await example.run(opts);
  writeSummary(opts.out!, summary);
  console.log(JSON.stringify(summary));
  return 0;
}

/** `chainrule eval <checkpoint>`: the example that saved it rebuilds its model and evaluates it. */
async function evalCommand(path: string | undefined, values: Record<string, unknown>): Promise<number> {
  if (!path) {
    console.error(`chainrule eval: give a checkpoint file\n${USAGE}`);
    return 2;
  }
  const extra = readCheckpoint(path).extra as { example?: unknown } | undefined;
  const name = typeof extra?.example === 'string' ? extra.example : undefined;
  const example = name ? EXAMPLES[name] : undefined;
  if (!example?.evaluate) {
    console.error(
      `chainrule eval: ${path} was not saved by an example that can be evaluated ` +
        `(it names ${name === undefined ? 'no example' : `'${name}'`})`,
    );
    return 2;
  }
  setBackend((values.backend as string | undefined) ?? (listBackends().includes('wasm') ? 'wasm' : 'js'));
  const summary = await example.evaluate(path, {
    data: values.data as string | undefined,
    quick: values.quick as boolean,
    plain: values.plain as boolean,
  });
  if (values.out) writeSummary(values.out as string, summary);
  console.log(JSON.stringify(summary));
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    console.error(`chainrule: ${(e as Error).message}`);
    process.exitCode = 1;
  },
);
