import { record } from '../autograd/record.js';
import { isFloating } from '../tensor/dtype.js';
import { normalizeDim, stridesOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { ones } from '../tensor/create.js';
import { add, div, mul } from './arith.js';
import { eq, logicalAnd, where } from './compare.js';
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

/** Running product along dim; bools accumulate as int32. Exact gradients also where inputs are zero. */
export function cumprod(x: Tensor, dim: number): Tensor {
  const d = normalizeDim('cumprod', dim, x.ndim, x.shape);
  const src = x.dtype === 'bool' ? x.to('int32') : x;
  if (src.ndim === 0) return src;
  const out = new Tensor(src.storage.backend.cumulative('prod', src.storage, src.shape, d), src.shape);
  return record('cumprod', [src], out, (g) => [cumprodBackward(src, out, g, d)], [src, out]);
}

/**
 * ∂/∂xᵢ of Σₖ gₖ yₖ is Σ_{k≥i} gₖ yₖ / xᵢ away from zeros. Past the first zero along dim every such
 * yₖ is 0, which is also the exact value, so only the first zero needs its own formula: the running
 * product with that zero replaced by 1 (PyTorch's rule, without dividing by 0).
 */
function cumprodBackward(x: Tensor, out: Tensor, g: Tensor, d: number): Tensor {
  const revCumsum = (t: Tensor) => flip(cumsum(flip(t, [d]), d), [d]);
  const zero = eq(x, 0);
  const firstZero = logicalAnd(zero, eq(cumsum(zero, d), 1));
  const atFirstZero = revCumsum(mul(g, cumprod(where(firstZero, 1, x), d)));
  const elsewhere = div(revCumsum(mul(g, out)), where(zero, 1, x));
  return where(firstZero, atFirstZero, elsewhere);
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
