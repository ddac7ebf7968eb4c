import { mkdirSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';

/** Options every example understands (from the command line); each example has its own defaults. */
export interface ExampleOptions {
  epochs?: number;
  lr?: number;
  batchSize?: number;
  optimizer?: string;
  seed?: number;
  /** Folder with the example's data set (Fashion-MNIST, Tiny Shakespeare, ...). */
  data?: string;
  /** Folder for checkpoints, logs and summary.json. */
  out?: string;
  /** A checkpoint to continue training from (examples that save checkpoints). */
  resume?: string;
  /** Smaller, faster settings for smoke tests. */
  quick?: boolean;
  /** Progress as plain lines even on a terminal. */
  plain?: boolean;
}

export type Summary = Record<string, unknown> & { example: string };

export interface Example {
  name: string;
  description: string;
  run(opts: ExampleOptions): Promise<Summary>;
  /** `chainrule eval <checkpoint>`: reloads a saved model and reports its results. */
  evaluate?(checkpoint: string, opts: ExampleOptions): Summary | Promise<Summary>;
}

/** Writes summary.json atomically into the output folder and returns its path. */
export function writeSummary(out: string, summary: Summary): string {
  mkdirSync(out, { recursive: true });
  const path = join(out, 'summary.json');
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(summary, null, 2) + '\n');
  renameSync(tmp, path);
  return path;
}

export function round(x: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** The settings that every example shares, with the command line's values over the example's defaults. */
interface CommonSettings {
  epochs: number;
  batchSize: number;
  seed: number;
  lr?: number;
  optimizer?: string;
}

/** An example's configuration with the CLI options applied (`quickEpochs` under --quick). */
export function withOptions<C extends CommonSettings>(
  config: C,
  opts: ExampleOptions,
  quickEpochs: number,
): C {
  const out: C = {
    ...config,
    epochs: opts.epochs ?? (opts.quick ? quickEpochs : config.epochs),
    batchSize: opts.batchSize ?? config.batchSize,
    seed: opts.seed ?? config.seed,
  };
  if ('lr' in config) out.lr = opts.lr ?? config.lr;
  if ('optimizer' in config) out.optimizer = opts.optimizer ?? config.optimizer;
  return out;
}
