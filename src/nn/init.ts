/**
 * nn.init: PyTorch's initializers (torch.nn.init), in camelCase without the trailing underscore. Each
 * fills its tensor in place without recording for autodiff and returns it, so parameters keep their
 * identity; random ones take an optional { generator } and otherwise use the default generator.
 */
import { noGrad } from '../autograd/grad-mode.js';
import { fromTypedArray } from '../tensor/create.js';
import { typedArrayFor } from '../tensor/dtype.js';
import { DTypeError, IndexError, ShapeError, fmtShape } from '../tensor/errors.js';
import type { Generator } from '../tensor/random.js';
import { defaultGenerator } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import '../ops/inplace.js';

export interface InitOptions {
  generator?: Generator;
}

export type Nonlinearity =
  | 'linear'
  | 'conv1d'
  | 'conv2d'
  | 'conv3d'
  | 'conv_transpose1d'
  | 'conv_transpose2d'
  | 'conv_transpose3d'
  | 'sigmoid'
  | 'tanh'
  | 'relu'
  | 'leaky_relu'
  | 'selu';

export type FanMode = 'fanIn' | 'fanOut';

function checkTensor(op: string, t: unknown): Tensor {
  if (!(t instanceof Tensor)) throw new DTypeError(`${op}: expected a Tensor, got ${typeof t}`);
  if (t.dtype !== 'float32' && t.dtype !== 'float64') {
    throw new DTypeError(`${op}: expected a floating-point tensor, got dtype ${t.dtype}`);
  }
  return t;
}

/** Writes values drawn one by one into t (in row-major order), in place and unrecorded. */
function fillWith(t: Tensor, draw: () => number): Tensor {
  const v = typedArrayFor(t.dtype, t.numel());
  for (let i = 0; i < v.length; i++) v[i] = draw();
  noGrad(() => t.copy_(fromTypedArray(v, t.shape)));
  return t;
}

/**
 * The recommended gain for a nonlinearity (PyTorch's calculate_gain): 1 for linear, conv and
 * sigmoid, 5/3 for tanh, √2 for relu, √(2/(1 + slope²)) for leaky_relu (slope 0.01 by default), 3/4 for selu.
 */
export function calculateGain(nonlinearity: Nonlinearity, param?: number | null): number {
  switch (nonlinearity) {
    case 'linear':
    case 'conv1d':
    case 'conv2d':
    case 'conv3d':
    case 'conv_transpose1d':
    case 'conv_transpose2d':
    case 'conv_transpose3d':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      if (typeof slope !== 'number' || Number.isNaN(slope)) {
        throw new IndexError(`calculateGain: negative slope ${String(slope)} is not a valid number`);
      }
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4;
    default:
      throw new IndexError(`calculateGain: unsupported nonlinearity '${String(nonlinearity)}'`);
  }
}

/** [fanIn, fanOut] of a weight of shape [out, in, ...kernel] (PyTorch's _calculate_fan_in_and_fan_out). */
export function calculateFanInAndFanOut(t: Tensor): [number, number] {
  if (t.ndim < 2) {
    throw new ShapeError(
      `calculateFanInAndFanOut: fan in and fan out cannot be computed for a tensor with fewer than 2 dims (shape ${fmtShape(t.shape)})`,
    );
  }
  const receptive = t.shape.slice(2).reduce((a, b) => a * b, 1);
  return [t.shape[1] * receptive, t.shape[0] * receptive];
}

function fanFor(op: string, t: Tensor, mode: FanMode): number {
  if (mode !== 'fanIn' && mode !== 'fanOut') {
    throw new IndexError(`${op}: mode must be 'fanIn' or 'fanOut', got '${String(mode)}'`);
  }
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  return mode === 'fanIn' ? fanIn : fanOut;
}

/** Fills with samples from U(a, b). */
export function uniform(t: Tensor, a = 0, b = 1, opts: InitOptions = {}): Tensor {
  checkTensor('uniform', t);
  const g = opts.generator ?? defaultGenerator;
  return fillWith(t, () => a + (b - a) * g.nextDouble());
}

/** Fills with samples from N(mean, std²). */
export function normal(t: Tensor, mean = 0, std = 1, opts: InitOptions = {}): Tensor {
  checkTensor('normal', t);
  const g = opts.generator ?? defaultGenerator;
  return fillWith(t, () => mean + std * g.nextNormal());
}

/**
 * Fills with N(mean, std²) samples redrawn until they lie in [a, b] (PyTorch's trunc_normal_,
 * whose default bounds are absolute: [−2, 2]).
 */
export function truncNormal(t: Tensor, mean = 0, std = 1, a = -2, b = 2, opts: InitOptions = {}): Tensor {
  checkTensor('truncNormal', t);
  if (!(a < b)) throw new IndexError(`truncNormal: expected a < b, got a=${a}, b=${b}`);
  const g = opts.generator ?? defaultGenerator;
  return fillWith(t, () => {
    for (let i = 0; i < 1000; i++) {
      const v = mean + std * g.nextNormal();
      if (v >= a && v <= b) return v;
    }
    return Math.min(Math.max(mean, a), b); // a window far in the tail: the nearest bound
  });
}

/** Fills with a value. */
export function constant(t: Tensor, val: number): Tensor {
  checkTensor('constant', t);
  noGrad(() => t.fill_(val));
  return t;
}

export function zeros(t: Tensor): Tensor {
  return constant(t, 0);
}

export function ones(t: Tensor): Tensor {
  return constant(t, 1);
}

/** Fills a 2-D tensor with the identity (ones on the diagonal, zeros elsewhere). */
export function eye(t: Tensor): Tensor {
  checkTensor('eye', t);
  if (t.ndim !== 2)
    throw new ShapeError(`eye: only 2-D tensors are supported, got shape ${fmtShape(t.shape)}`);
  const cols = t.shape[1];
  let i = 0;
  return fillWith(t, () => {
    const k = i++;
    return Math.floor(k / cols) === k % cols ? 1 : 0;
  });
}

/** Xavier/Glorot uniform: U(−a, a) with a = gain·√(6/(fanIn + fanOut)). */
export function xavierUniform(t: Tensor, gain = 1, opts: InitOptions = {}): Tensor {
  checkTensor('xavierUniform', t);
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  const a = gain * Math.sqrt(6 / (fanIn + fanOut));
  return uniform(t, -a, a, opts);
}

/** Xavier/Glorot normal: N(0, std²) with std = gain·√(2/(fanIn + fanOut)). */
export function xavierNormal(t: Tensor, gain = 1, opts: InitOptions = {}): Tensor {
  checkTensor('xavierNormal', t);
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  return normal(t, 0, gain * Math.sqrt(2 / (fanIn + fanOut)), opts);
}

/**
 * Kaiming/He uniform: U(−b, b) with b = gain·√(3/fan), gain = calculateGain(nonlinearity, a). With
 * a = √5 this is PyTorch's default for Linear weights, b = 1/√fanIn.
 */
export function kaimingUniform(
  t: Tensor,
  a = 0,
  mode: FanMode = 'fanIn',
  nonlinearity: Nonlinearity = 'leaky_relu',
  opts: InitOptions = {},
): Tensor {
  checkTensor('kaimingUniform', t);
  const fan = fanFor('kaimingUniform', t, mode);
  if (fan === 0) return t; // PyTorch warns and leaves a zero-element tensor alone
  const bound = Math.sqrt(3) * (calculateGain(nonlinearity, a) / Math.sqrt(fan));
  return uniform(t, -bound, bound, opts);
}

/** Kaiming/He normal: N(0, std²) with std = gain/√fan. */
export function kaimingNormal(
  t: Tensor,
  a = 0,
  mode: FanMode = 'fanIn',
  nonlinearity: Nonlinearity = 'leaky_relu',
  opts: InitOptions = {},
): Tensor {
  checkTensor('kaimingNormal', t);
  const fan = fanFor('kaimingNormal', t, mode);
  if (fan === 0) return t;
  return normal(t, 0, calculateGain(nonlinearity, a) / Math.sqrt(fan), opts);
}

/**
 * A (semi-)orthogonal matrix times gain, as PyTorch's orthogonal_: the tensor is viewed as
 * [shape[0], rest]; a Gaussian matrix is orthonormalized by QR (Gram–Schmidt, twice for accuracy),
 * with R's diagonal made positive so that the result is uniformly distributed.
 */
export function orthogonal(t: Tensor, gain = 1, opts: InitOptions = {}): Tensor {
  checkTensor('orthogonal', t);
  if (t.ndim < 2) {
    throw new ShapeError(
      `orthogonal: only tensors with 2 or more dims are supported, got shape ${fmtShape(t.shape)}`,
    );
  }
  if (t.numel() === 0) return t;
  const rows = t.shape[0];
  const cols = t.numel() / rows;
  const g = opts.generator ?? defaultGenerator;
  // Draw row-major [rows, cols] like PyTorch, then orthonormalize the columns of the tall orientation.
  const flat = Float64Array.from({ length: rows * cols }, () => g.nextNormal());
  const tall = rows >= cols;
  const n = tall ? rows : cols; // length of each vector to orthonormalize
  const k = tall ? cols : rows; // number of vectors
  const at = (vec: number, i: number) => (tall ? i * cols + vec : vec * cols + i);
  const q = Array.from({ length: k }, (_, v) => Float64Array.from({ length: n }, (_, i) => flat[at(v, i)]));
  for (let v = 0; v < k; v++) {
    for (let pass = 0; pass < 2; pass++) {
      for (let u = 0; u < v; u++) {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += q[u][i] * q[v][i];
        for (let i = 0; i < n; i++) q[v][i] -= dot * q[u][i];
      }
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += q[v][i] * q[v][i];
    norm = Math.sqrt(norm);
    for (let i = 0; i < n; i++) q[v][i] /= norm;
  }
  let idx = 0;
  return fillWith(t, () => {
    const r = Math.floor(idx / cols);
    const c = idx++ % cols;
    return gain * (tall ? q[c][r] : q[r][c]);
  });
}
