/**
 * Small synthetic classification problems in two dimensions: `x` is [n, 2] (float32 unless a dtype
 * is given), `y` holds int32 class labels [n]. moons and circles have scikit-learn's geometry
 * (make_moons, make_circles); randomness comes from `generator` or the default generator.
 */
import type { DType } from '../tensor/dtype.js';
import { isFloating } from '../tensor/dtype.js';
import { DTypeError, IndexError } from '../tensor/errors.js';
import { fromTypedArray } from '../tensor/create.js';
import type { Generator } from '../tensor/random.js';
import { defaultGenerator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { typedArrayFor } from '../tensor/dtype.js';
import { permutation } from './collate.js';

export interface SyntheticOptions {
  /** Standard deviation of Gaussian noise added to the points (default 0: none). */
  noise?: number;
  /** Shuffle the samples (default true, as scikit-learn; xor defaults to false). */
  shuffle?: boolean;
  generator?: Generator;
  /** dtype of x (default float32). */
  dtype?: DType;
}

export interface Synthetic {
  x: Tensor;
  y: Tensor;
}

function checkCount(op: string, n: number, min = 1): void {
  if (!Number.isInteger(n) || n < min) throw new IndexError(`${op}: n must be an integer ≥ ${min}, got ${n}`);
}

function checkNoise(op: string, noise: number): void {
  if (!(noise >= 0) || !Number.isFinite(noise)) {
    throw new IndexError(`${op}: noise must be a finite number ≥ 0, got ${noise}`);
  }
}

/** numpy.linspace(start, stop, num, endpoint): the last value is exactly stop when endpoint is set. */
function linspace(start: number, stop: number, num: number, endpoint = true): number[] {
  const div = endpoint ? num - 1 : num;
  const step = div > 0 ? (stop - start) / div : 0;
  const out = Array.from({ length: num }, (_, i) => start + i * step);
  if (endpoint && num > 1) out[num - 1] = stop;
  return out;
}

/**
 * Builds the tensors: optional shuffle first, then noise (scikit-learn's order of the two steps).
 * `pointNoise` is false where the noise was already applied in the geometry (spirals).
 */
function finish(
  op: string,
  xs: number[],
  ys: number[],
  labels: number[],
  opts: SyntheticOptions,
  shuffleDefault: boolean,
  pointNoise = true,
): Synthetic {
  const dtype = opts.dtype ?? 'float32';
  if (!isFloating(dtype)) throw new DTypeError(`${op}: dtype must be floating point, got ${dtype}`);
  const g = opts.generator ?? defaultGenerator;
  const n = labels.length;
  const order = (opts.shuffle ?? shuffleDefault) ? permutation(n, g) : null;
  const noise = pointNoise ? (opts.noise ?? 0) : 0;
  const x = typedArrayFor(dtype, 2 * n);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = order ? order[i] : i;
    x[2 * i] = xs[k];
    x[2 * i + 1] = ys[k];
    y[i] = labels[k];
  }
  if (noise > 0) for (let i = 0; i < 2 * n; i++) x[i] += noise * g.nextNormal();
  return { x: fromTypedArray(x, [n, 2]), y: fromTypedArray(y, [n]) };
}

/**
 * The XOR problem: the corners (0,0), (0,1), (1,0), (1,1) with labels 0, 1, 1, 0, repeated to n points
 * (default 4: the truth table, in that order, since shuffle defaults to false here).
 */
export function xor(n = 4, opts: SyntheticOptions = {}): Synthetic {
  checkCount('xor', n);
  checkNoise('xor', opts.noise ?? 0);
  const corners = [
    [0, 0],
    [0, 1],
    [1, 0],
    [1, 1],
  ];
  const xs = Array.from({ length: n }, (_, i) => corners[i % 4][0]);
  const ys = Array.from({ length: n }, (_, i) => corners[i % 4][1]);
  const labels = Array.from({ length: n }, (_, i) => corners[i % 4][0] ^ corners[i % 4][1]);
  return finish('xor', xs, ys, labels, opts, false);
}

/**
 * Two interleaving half circles (scikit-learn's make_moons): ⌊n/2⌋ points of class 0 on the upper
 * unit half circle, the rest of class 1 on the lower one shifted to (1, 0.5).
 */
export function moons(n = 100, opts: SyntheticOptions = {}): Synthetic {
  checkCount('moons', n, 2);
  checkNoise('moons', opts.noise ?? 0);
  const nOut = Math.floor(n / 2);
  const nIn = n - nOut;
  const tOut = linspace(0, Math.PI, nOut);
  const tIn = linspace(0, Math.PI, nIn);
  const xs = [...tOut.map(Math.cos), ...tIn.map((t) => 1 - Math.cos(t))];
  const ys = [...tOut.map(Math.sin), ...tIn.map((t) => 1 - Math.sin(t) - 0.5)];
  const labels = [...tOut.map(() => 0), ...tIn.map(() => 1)];
  return finish('moons', xs, ys, labels, opts, true);
}

/**
 * A large circle (class 0, radius 1) around a small one (class 1, radius `factor`), as
 * scikit-learn's make_circles: ⌊n/2⌋ points on the outer circle, evenly spaced from angle 0.
 */
export function circles(n = 100, opts: SyntheticOptions & { factor?: number } = {}): Synthetic {
  checkCount('circles', n, 2);
  checkNoise('circles', opts.noise ?? 0);
  const factor = opts.factor ?? 0.8;
  if (!(factor >= 0 && factor < 1)) throw new IndexError(`circles: factor must be in [0, 1), got ${factor}`);
  const nOut = Math.floor(n / 2);
  const nIn = n - nOut;
  const tOut = linspace(0, 2 * Math.PI, nOut, false);
  const tIn = linspace(0, 2 * Math.PI, nIn, false);
  const xs = [...tOut.map(Math.cos), ...tIn.map((t) => Math.cos(t) * factor)];
  const ys = [...tOut.map(Math.sin), ...tIn.map((t) => Math.sin(t) * factor)];
  const labels = [...tOut.map(() => 0), ...tIn.map(() => 1)];
  return finish('circles', xs, ys, labels, opts, true);
}

/**
 * Interleaved spiral arms, one per class (the classic CS231n data): class k has radii evenly spaced
 * in [0, 1] and angles evenly spaced in [4k, 4k + 4] radians, the point being (r·sin t, r·cos t).
 * n is the total; the first n mod classes classes get one point more. Here `noise` is the standard
 * deviation of Gaussian noise on the angle, in radians (CS231n uses 0.2).
 */
export function spirals(n = 300, opts: SyntheticOptions & { classes?: number } = {}): Synthetic {
  const classes = opts.classes ?? 3;
  if (!Number.isInteger(classes) || classes < 1) {
    throw new IndexError(`spirals: classes must be a positive integer, got ${classes}`);
  }
  checkCount('spirals', n, classes);
  const noise = opts.noise ?? 0;
  checkNoise('spirals', noise);
  const g = opts.generator ?? defaultGenerator;
  const xs: number[] = [];
  const ys: number[] = [];
  const labels: number[] = [];
  for (let k = 0; k < classes; k++) {
    const m = Math.floor(n / classes) + (k < n % classes ? 1 : 0);
    const r = linspace(0, 1, m);
    const t = linspace(4 * k, 4 * (k + 1), m);
    for (let i = 0; i < m; i++) {
      const angle = t[i] + (noise > 0 ? noise * g.nextNormal() : 0);
      xs.push(r[i] * Math.sin(angle));
      ys.push(r[i] * Math.cos(angle));
      labels.push(k);
    }
  }
  return finish('spirals', xs, ys, labels, opts, true, false);
}
