/** Helpers shared by the teaching examples (vanishing-gradients, optimizers, regularization). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { data, Generator, tensor } from '../src/index.js';
import { loadDigits } from '../src/node/index.js';

/**
 * The built-in digits (pixels in [0, 1]) split at random into TensorDatasets of the given sizes
 * (counts, or fractions summing to 1); a count total below 1,797 leaves the rest unused. The split
 * depends only on the seed.
 */
export function digitsSplits(seed: number, sizes: readonly number[]): data.TensorDataset[] {
  const { images, labels } = loadDigits();
  const all = new data.TensorDataset(images, labels);
  const n = all.length;
  const isFraction = sizes.every((s) => s <= 1) && Math.abs(sizes.reduce((a, b) => a + b, 0) - 1) < 1e-9;
  const used = isFraction ? [...sizes] : [...sizes, n - sizes.reduce((a, b) => a + b, 0)];
  const parts = data.randomSplit(all, used, { generator: new Generator(seed) });
  return parts.slice(0, sizes.length).map((part) => {
    // Materialize each split as its own tensors so that full-split evaluation is one batch.
    const idx = tensor(Int32Array.from(part.indices));
    return new data.TensorDataset(images.indexSelect(0, idx), labels.indexSelect(0, idx));
  });
}

export type Cell = string | number;

/** A right-aligned text table: a header row, a rule, then the rows. */
export function formatTable(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const text = [headers, ...rows].map((r) => r.map(String));
  const widths = headers.map((_, c) => Math.max(...text.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]) => r.map((s, c) => s.padStart(widths[c])).join('  ');
  return [line(text[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...text.slice(1).map(line)].join('\n');
}

/** A number in short scientific notation (gradient norms span many orders of magnitude). */
export function sci(x: number): string {
  return Number.isFinite(x) ? x.toExponential(2) : String(x);
}

export function fixed(x: number, digits = 4): string {
  return x.toFixed(digits);
}

/** Writes a CSV file (header + rows) into the output folder, if there is one; returns its path. */
export function writeCsv(
  out: string | undefined,
  name: string,
  headers: readonly string[],
  rows: readonly (readonly Cell[])[],
): string | undefined {
  if (!out) return undefined;
  mkdirSync(out, { recursive: true });
  const path = join(out, name);
  writeFileSync(path, [headers, ...rows].map((r) => r.join(',')).join('\n') + '\n');
  return path;
}
