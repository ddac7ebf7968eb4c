import { record } from '../autograd/record.js';
import type { Shape } from '../tensor/shape.js';
import { sizeOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';

/**
 * Storages made by asStrided. In PyTorch, select/narrow/slice/permute/expand/flip results are views
 * that share memory with their input; here they are copies, so an in-place op on one would silently
 * leave the original unchanged. In-place ops refuse these storages instead (see ops/inplace.ts).
 */
export const stridedCopies = new WeakSet<object>();

/**
 * The one primitive behind permute, expand, narrow, slicing and flip: out[i] = x[offset + Σ iₖ·strideₖ]
 * over x's flat storage. Its backward is the adjoint scatter-add, whose backward is this again, so
 * every view-like op is differentiable to any order.
 */
export function asStrided(x: Tensor, shape: Shape, strides: readonly number[], offset = 0): Tensor {
  const out = new Tensor(x.storage.backend.asStrided(x.storage, shape, strides, offset), shape);
  stridedCopies.add(out.storage);
  return record('asStrided', [x], out, (g) => [asStridedScatter(g, x.shape, strides, offset)]);
}

/** Adjoint of asStrided: a zero tensor of baseShape with src added at the strided positions. */
export function asStridedScatter(
  src: Tensor,
  baseShape: Shape,
  strides: readonly number[],
  offset = 0,
): Tensor {
  const b = src.storage.backend;
  const out = new Tensor(
    b.asStridedScatter(src.storage, src.shape, strides, offset, sizeOf(baseShape)),
    baseShape,
  );
  return record('asStridedScatter', [src], out, (g) => [asStrided(g, src.shape, strides, offset)]);
}
