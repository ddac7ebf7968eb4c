/**
 * How often does online gradient descent solve XOR? Trains over many seeds with 2 and 4 hidden units
 * (lr 0.1, up to 10,000 epochs, threshold 0.05) and shows, for the runs that fail, why: the error
 * sits on a plateau (~0.5, ~0.33, ~0.25), the full gradient is near zero and some outputs are stuck
 * near 0.5 or 0.67 — a local minimum (or a saddle) rather than a run that only needed more epochs.
 *
 *   node build/examples/xor/seeds.js [--seeds 100] [--hidden 2,4] [--extend 0]
 *
 * --extend N trains each failure again for N epochs to show whether it ever leaves the plateau.
 */
import { parseArgs } from 'node:util';
import type { XorResult } from './train.js';
import { XOR_DEFAULTS, trainXor } from './train.js';

function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** E at the last history entry at or before `epoch`. */
function errorAt(r: XorResult, epoch: number): number {
  let e = NaN;
  for (const [ep, err] of r.history) if (ep <= epoch) e = err;
  return e;
}

function study(hidden: number, seeds: number, extend: number): void {
  const t0 = performance.now();
  const results = Array.from({ length: seeds }, (_, seed) => ({ seed, r: trainXor({ seed, hidden }) }));
  const seconds = (performance.now() - t0) / 1000;
  const solved = results.filter(({ r }) => r.converged);
  const failed = results.filter(({ r }) => !r.converged);
  const pct = ((100 * solved.length) / seeds).toFixed(0);
  console.log(
    `\nhidden ${hidden}: solved ${solved.length} of ${seeds} (${pct}%), median epochs of the solved ` +
      `${median(solved.map(({ r }) => r.epochs))}, ${seconds.toFixed(1)} s (${((1000 * seconds) / seeds).toFixed(0)} ms/seed)`,
  );
  if (failed.length === 0) return;

  const last = XOR_DEFAULTS.epochs;
  console.log(
    '  failures: E at 5k and 10k epochs, full-gradient norm, outputs for 00 01 10 11 (targets 0 1 1 0)' +
      (extend ? `, E after ${extend} epochs more` : ''),
  );
  console.log('   seed   E@5k     E@10k    |∇E|      outputs');
  for (const { seed, r } of failed) {
    const outs = r.table.map((row) => row.output.toFixed(2)).join(' ');
    let line =
      `  ${String(seed).padStart(5)}  ${errorAt(r, 5000).toFixed(4)}   ${errorAt(r, last).toFixed(4)}   ` +
      `${r.gradNorm.toExponential(1)}   ${outs}`;
    if (extend) {
      const more = trainXor({ seed, hidden, epochs: last + extend });
      line += `   ${more.finalError.toFixed(4)}${more.converged ? ` solved at ${more.epochs}` : ''}`;
    }
    console.log(line);
  }
  // Plateaus that a stuck network settles on: outputs (0,½,½,0)-like give ¼, one input right and the
  // other three at their mean ⅔ give ⅓, everything at ½ gives ½.
  const plateaus = [0.25, 1 / 3, 0.5];
  const near = failed.filter(({ r }) => plateaus.some((p) => Math.abs(r.finalError - p) < 0.03)).length;
  console.log(`  ${near} of ${failed.length} failures end within 0.03 of a plateau (0.25, 0.33, 0.5)`);
}

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '100' },
    hidden: { type: 'string', default: '2,4' },
    extend: { type: 'string', default: '0' },
  },
});
console.log(
  `XOR over seeds: lr ${XOR_DEFAULTS.lr}, up to ${XOR_DEFAULTS.epochs} epochs, threshold ${XOR_DEFAULTS.threshold}`,
);
for (const h of values.hidden.split(',')) study(Number(h), Number(values.seeds), Number(values.extend));
