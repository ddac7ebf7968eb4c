/**
 * Drawing tokens from a model's output: multinomial (torch.multinomial) and sampleNext, the usual
 * decoding step with temperature, top-k and top-p (nucleus) filtering. Both read the values on the
 * host and draw from a seeded Generator, so the same seed gives the same tokens on every backend;
 * their Async variants await the read (needed on WebGPU).
 */
import { fromTypedArray } from '../tensor/create.js';
import { BackendError, DTypeError, IndexError, ShapeError, fmtShape } from '../tensor/errors.js';
import type { Generator } from '../tensor/random.js';
import { defaultGenerator } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';

export interface SamplingOptions {
  /** Draws from this generator instead of the default one (see manualSeed). */
  generator?: Generator;
}

/** Checks a 1-D or 2-D numeric tensor whose rows are drawn from. */
function checkRows(op: string, what: string, x: unknown): Tensor {
  if (!(x instanceof Tensor)) throw new DTypeError(`${op}: expected ${what} to be a Tensor, got ${typeof x}`);
  if (x.dtype === 'bool') throw new DTypeError(`${op}: ${what} cannot be a bool tensor`);
  if (x.ndim !== 1 && x.ndim !== 2) {
    throw new ShapeError(`${op}: ${what} must be 1-D or 2-D, got shape ${fmtShape(x.shape)}`);
  }
  if (x.shape[x.ndim - 1] === 0) {
    throw new ShapeError(`${op}: ${what} has no categories (shape ${fmtShape(x.shape)})`);
  }
  return x;
}

/** The rows of a checked tensor's values as float64 arrays. */
function split(x: Tensor, values: ArrayLike<number>): Float64Array[] {
  const n = x.shape[x.ndim - 1];
  const flat = Float64Array.from(values);
  const rows = x.ndim === 1 ? 1 : x.shape[0];
  return Array.from({ length: rows }, (_, r) => flat.subarray(r * n, (r + 1) * n));
}

/** The rows, read synchronously; a backend that cannot (WebGPU) is told the async variant. */
function rowsOf(op: string, what: string, x: unknown): Float64Array[] {
  const t = checkRows(op, what, x);
  if (!t.storage.backend.canReadSync) {
    throw new BackendError(
      `${op}: the '${t.backendName}' backend cannot read ${what} synchronously; use 'await ${op}Async(...)' instead`,
    );
  }
  return split(t, t.dataSync() as ArrayLike<number>);
}

async function rowsOfAsync(op: string, what: string, x: unknown): Promise<Float64Array[]> {
  const t = checkRows(op, what, x);
  return split(t, (await t.data()) as ArrayLike<number>);
}

/** One index drawn with probability w[i] / Σw (w non-negative, Σw > 0). */
function drawOne(w: Float64Array, total: number, g: Generator): number {
  const u = g.nextDouble() * total;
  let acc = 0;
  let last = -1;
  for (let i = 0; i < w.length; i++) {
    if (w[i] <= 0) continue;
    acc += w[i];
    last = i;
    if (u < acc) return i;
  }
  return last; // rounding left u just past the sum: the last possible category
}

/**
 * Draws numSamples category indices per row of probs ([V] or [B, V]; non-negative weights that
 * need not sum to 1), with or without replacement. Returns int32 [numSamples] or [B, numSamples].
 */
export function multinomial(
  probs: Tensor,
  numSamples: number,
  replacement = false,
  opts: SamplingOptions = {},
): Tensor {
  return drawRows(probs, rowsOf('multinomial', 'probs', probs), numSamples, replacement, opts);
}

/** multinomial, reading probs asynchronously: works on every backend, WebGPU included. */
export async function multinomialAsync(
  probs: Tensor,
  numSamples: number,
  replacement = false,
  opts: SamplingOptions = {},
): Promise<Tensor> {
  const rows = await rowsOfAsync('multinomial', 'probs', probs);
  return drawRows(probs, rows, numSamples, replacement, opts);
}

function drawRows(
  probs: Tensor,
  rows: Float64Array[],
  numSamples: number,
  replacement: boolean,
  opts: SamplingOptions,
): Tensor {
  const op = 'multinomial';
  const n = rows[0].length;
  if (!Number.isInteger(numSamples) || numSamples < 1) {
    throw new IndexError(`${op}: numSamples must be a positive integer, got ${numSamples}`);
  }
  if (!replacement && numSamples > n) {
    throw new IndexError(`${op}: cannot draw ${numSamples} samples without replacement from ${n} categories`);
  }
  const g = opts.generator ?? defaultGenerator;
  const out = new Int32Array(rows.length * numSamples);
  rows.forEach((row, r) => {
    let total = 0;
    let positive = 0;
    for (const p of row) {
      if (!(p >= 0) || !Number.isFinite(p)) {
        throw new IndexError(`${op}: probabilities must be finite and non-negative, got ${p} in row ${r}`);
      }
      total += p;
      if (p > 0) positive++;
    }
    if (!(total > 0)) throw new IndexError(`${op}: row ${r} of probs sums to 0`);
    if (!replacement && numSamples > positive) {
      throw new IndexError(
        `${op}: row ${r} has only ${positive} categories of non-zero probability, fewer than the ` +
          `${numSamples} samples asked for without replacement`,
      );
    }
    const w = Float64Array.from(row);
    for (let s = 0; s < numSamples; s++) {
      const i = drawOne(w, total, g);
      out[r * numSamples + s] = i;
      if (!replacement) {
        total -= w[i];
        w[i] = 0;
        // Recompute rather than trust the running difference, which drifts by rounding.
        if (s % 64 === 63) total = w.reduce((a, b) => a + b, 0);
      }
    }
  });
  return fromTypedArray(out, probs.ndim === 1 ? [numSamples] : [rows.length, numSamples]);
}

export interface SampleNextOptions extends SamplingOptions {
  /** Divides the logits; below 1 sharpens, above 1 flattens, 0 picks the argmax (greedy). */
  temperature?: number;
  /** Keep only the k most likely tokens (ties with the k-th are kept too). */
  topK?: number | null;
  /** Keep the smallest set of most likely tokens whose probability reaches topP (nucleus sampling). */
  topP?: number | null;
}

/** Index of the largest value (the first of ties). */
function argmaxOf(v: Float64Array): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
  return best;
}

/** The filtered, unnormalized probabilities of one row of logits. */
function filtered(logits: Float64Array, temperature: number, topK: number | null, topP: number | null) {
  const n = logits.length;
  const z = logits.map((l) => l / temperature);
  let max = -Infinity;
  for (const v of z) if (v > max) max = v;
  if (max === -Infinity || Number.isNaN(max)) {
    throw new IndexError('sampleNext: every logit of a row is -Infinity or NaN');
  }
  const p = z.map((v) => Math.exp(v - max));
  if (topK !== null && topK < n) {
    const kth = Float64Array.from(z).sort().reverse()[topK - 1];
    for (let i = 0; i < n; i++) if (z[i] < kth) p[i] = 0;
  }
  if (topP !== null && topP < 1) {
    const total = p.reduce((a, b) => a + b, 0);
    // Most likely first (stable on ties); keep each token while the mass before it is below topP.
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => p[b] - p[a] || a - b);
    let before = 0;
    for (const i of order) {
      if (before >= topP * total) p[i] = 0;
      else before += p[i];
    }
  }
  return p;
}

/**
 * The next token for each row of logits [B, V] (or [V]): softmax(logits / temperature), restricted
 * to the topK most likely tokens and then to the top-p nucleus, renormalized and sampled. Returns
 * int32 token ids [B] (a 0-d tensor for [V] logits).
 */
export function sampleNext(logits: Tensor, opts: SampleNextOptions = {}): Tensor {
  checkLogits(logits);
  return sampleRows(logits, rowsOf('sampleNext', 'logits', logits), opts);
}

/** sampleNext, reading the logits asynchronously: works on every backend, WebGPU included. */
export async function sampleNextAsync(logits: Tensor, opts: SampleNextOptions = {}): Promise<Tensor> {
  checkLogits(logits);
  return sampleRows(logits, await rowsOfAsync('sampleNext', 'logits', logits), opts);
}

function checkLogits(logits: Tensor): void {
  if (logits instanceof Tensor && logits.dtype !== 'float32' && logits.dtype !== 'float64') {
    throw new DTypeError(`sampleNext: logits must be floating point, got dtype ${logits.dtype}`);
  }
}

function sampleRows(logits: Tensor, rows: Float64Array[], opts: SampleNextOptions): Tensor {
  const op = 'sampleNext';
  const temperature = opts.temperature ?? 1;
  if (typeof temperature !== 'number' || !(temperature >= 0) || !Number.isFinite(temperature)) {
    throw new IndexError(`${op}: temperature must be a finite number ≥ 0, got ${String(temperature)}`);
  }
  const topK = opts.topK ?? null;
  if (topK !== null && (!Number.isInteger(topK) || topK < 1)) {
    throw new IndexError(`${op}: topK must be a positive integer, got ${String(topK)}`);
  }
  const topP = opts.topP ?? null;
  if (topP !== null && (typeof topP !== 'number' || !(topP > 0 && topP <= 1))) {
    throw new IndexError(`${op}: topP must be in (0, 1], got ${String(topP)}`);
  }
  const g = opts.generator ?? defaultGenerator;
  const out = new Int32Array(rows.length);
  rows.forEach((row, r) => {
    if (temperature === 0) {
      out[r] = argmaxOf(row);
      return;
    }
    const p = filtered(row, temperature, topK, topP);
    out[r] = drawOne(
      p,
      p.reduce((a, b) => a + b, 0),
      g,
    );
  });
  return fromTypedArray(out, logits.ndim === 1 ? [] : [rows.length]);
}
