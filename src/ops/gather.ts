import { record } from '../autograd/record.js';
import { DTypeError, IndexError, ShapeError, fmtShape } from '../tensor/errors.js';
import { normalizeDim, stridesOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { zerosLike } from '../tensor/create.js';
import { asStridedScatter } from './strided.js';
import { checkIntIndex, checkSameBackend } from './util.js';

function checkIndexShape(op: string, x: Tensor, dim: number, index: Tensor, other = 'input'): void {
  if (index.ndim !== x.ndim) {
    throw new ShapeError(
      `${op}: index ${fmtShape(index.shape)} must have as many dims as the ${other} ${fmtShape(x.shape)}`,
    );
  }
  index.shape.forEach((d, i) => {
    if (i !== dim && d > x.shape[i]) {
      throw new ShapeError(
        `${op}: index ${fmtShape(index.shape)} is larger than the ${other} ${fmtShape(x.shape)} at dim ${i}`,
      );
    }
  });
}

/** out[i][j] = x[index[i][j]][j] for dim 0 (and likewise for other dims); index is int32. */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  checkIntIndex('gather', index);
  checkSameBackend('gather', [x, index]);
  const d = normalizeDim('gather', dim, x.ndim, x.shape);
  checkIndexShape('gather', x, d, index);
  // The kernels walk a dim, which a 0-d tensor lacks.
  if (x.ndim === 0) return gather(x.reshape([1]), 0, index.reshape([1])).reshape([]);
  const b = x.storage.backend;
  const out = new Tensor(b.gather(x.storage, x.shape, d, index.storage, index.shape), index.shape);
  return record('gather', [x], out, (g) => [scatterAdd(zerosLike(x), d, index, g)], [index]);
}

/** A copy of x with src[i][j] added at x[index[i][j]][j] for dim 0 (and likewise for other dims). */
export function scatterAdd(x: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  checkIntIndex('scatterAdd', index);
  checkSameBackend('scatterAdd', [x, index, src]);
  if (x.dtype !== src.dtype) {
    throw new DTypeError(`scatterAdd: src dtype ${src.dtype} does not match the input's ${x.dtype}`);
  }
  const d = normalizeDim('scatterAdd', dim, x.ndim, x.shape);
  checkIndexShape('scatterAdd', x, d, index);
  checkIndexShape('scatterAdd', src, -1, index, 'src');
  if (x.ndim === 0) return scatterAdd(x.reshape([1]), 0, index.reshape([1]), src.reshape([1])).reshape([]);
  const b = x.storage.backend;
  const out = new Tensor(
    b.scatterAdd(x.storage, x.shape, d, index.storage, index.shape, src.storage, src.shape),
    x.shape,
  );
  return record(
    'scatterAdd',
    [x, src],
    out,
    (g) => {
      const gs = gather(g, d, index);
      // Where src is larger than index, only the box index covers gets a gradient.
      return [g, gs.numel() === src.numel() ? gs : asStridedScatter(gs, src.shape, stridesOf(src.shape), 0)];
    },
    [index],
  );
}

/** Selects entries along dim by an int32 vector of indices (PyTorch's index_select). */
export function indexSelect(x: Tensor, dim: number, index: Tensor): Tensor {
  checkIntIndex('indexSelect', index);
  if (index.ndim > 1) {
    throw new ShapeError(`indexSelect: index must be a vector, got shape ${fmtShape(index.shape)}`);
  }
  const d = normalizeDim('indexSelect', dim, x.ndim, x.shape);
  const n = index.numel();
  const idxShape = x.shape.map((s, i) => (i === d ? n : 1));
  const outShape = x.shape.map((s, i) => (i === d ? n : s));
  const full = index.reshape(idxShape).expand(outShape);
  try {
    return gather(x, d, full);
  } catch (e) {
    // The kernel names gather; the caller called indexSelect.
    if (e instanceof IndexError) throw new IndexError(e.message.replace(/^gather:/, 'indexSelect:'));
    throw e;
  }
}

declare module '../tensor/tensor.js' {
  interface Tensor {
    gather(dim: number, index: Tensor): Tensor;
    scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor;
    indexSelect(dim: number, index: Tensor): Tensor;
  }
}

Object.assign(Tensor.prototype, {
  gather(this: Tensor, dim: number, index: Tensor) {
    return gather(this, dim, index);
  },
  scatterAdd(this: Tensor, dim: number, index: Tensor, src: Tensor) {
    return scatterAdd(this, dim, index, src);
  },
  indexSelect(this: Tensor, dim: number, index: Tensor) {
    return indexSelect(this, dim, index);
  },
});
