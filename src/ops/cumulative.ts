import { record } from '../autograd/record.js';
import { isFloating } from '../tensor/dtype.js';
import { normalizeDim, stridesOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { ones } from '../tensor/create.js';
import { add, div, mul } from './arith.js';
import { flip, narrow } from './slice.js';
import { asStridedScatter } from './strided.js';

export { flip };

/** Running sum along dim; integers and bools accumulate as int32. */
export function cumsum(x: Tensor, dim: number): Tensor {
  const d = normalizeDim('cumsum', dim, x.ndim, x.shape);
  const src = isFloating(x.dtype) || x.dtype === 'int32' ? x : x.to('int32');
  if (src.ndim === 0) return src;
  const out = new Tensor(src.storage.backend.cumulative('sum', src.storage, src.shape, d), src.shape);
  // The adjoint of a running sum is a running sum from the other end.
  return record('cumsum', [src], out, (g) => [flip(cumsum(flip(g, [d]), d), [d])]);
}

/**
 * Running product along dim. Its gradient divides by the input, so it is exact only where inputs are
 * non-zero; prod() itself does not rely on it for first derivatives.
 */
export function cumprod(x: Tensor, dim: number): Tensor {
  const d = normalizeDim('cumprod', dim, x.ndim, x.shape);
  if (x.ndim === 0) return x;
  const out = new Tensor(x.storage.backend.cumulative('prod', x.storage, x.shape, d), x.shape);
  return record('cumprod', [x], out, (g) => [div(flip(cumsum(flip(mul(g, out), [d]), d), [d]), x)], [x, out]);
}

/** [1, x₀, x₀x₁, …] along dim: the product of the elements before each position. */
export function exclusiveCumprod(x: Tensor, d: number): Tensor {
  const n = x.shape[d];
  if (n === 0) return x;
  const st = stridesOf(x.shape);
  // Shift right by one along d, putting a 1 in the first slot.
  const shifted = asStridedScatter(narrow(x, d, 0, n - 1), x.shape, st, st[d]);
  const firstShape = x.shape.map((v, i) => (i === d ? 1 : v));
  const firstOnes = asStridedScatter(ones(firstShape, { dtype: x.dtype }), x.shape, st, 0);
  return cumprod(add(shifted, firstOnes), d);
}

declare module '../tensor/tensor.js' {
  interface Tensor {
    cumsum(dim: number): Tensor;
    cumprod(dim: number): Tensor;
  }
}

Object.assign(Tensor.prototype, {
  cumsum(this: Tensor, d: number) {
    return cumsum(this, d);
  },
  cumprod(this: Tensor, d: number) {
    return cumprod(this, d);
  },
});
