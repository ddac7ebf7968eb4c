import { record } from '../autograd/record.js';
import { DTypeError, ShapeError, fmtShape } from '../tensor/errors.js';
import { broadcastShapes } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { sumToShape } from './broadcast.js';
import { reshape, squeeze, unsqueeze } from './shape.js';
import { checkSameBackend, checkTensor } from './util.js';

/**
 * op(A)·op(B) over the last two dims, batch dims broadcast; op transposes when the flag is set,
 * without copying. Backward passes are products of the same kind, so second derivatives work.
 */
export function mm(a: Tensor, b: Tensor, transA = false, transB = false): Tensor {
  if (a.ndim > 2 && b.ndim === 2 && !transA && a.numel() > 0) {
    // A batch of rows times one matrix (a Linear layer on [B, T, C]) is one big product: fold the
    // batch dims into the rows instead of running (and packing the matrix) once per batch entry.
    const rows = reshape(a, [-1, a.shape[a.ndim - 1]]);
    const out = mm(rows, b, false, transB);
    return reshape(out, [...a.shape.slice(0, -1), out.shape[1]]);
  }
  const M = transA ? a.shape[a.ndim - 1] : a.shape[a.ndim - 2];
  const K = transA ? a.shape[a.ndim - 2] : a.shape[a.ndim - 1];
  const K2 = transB ? b.shape[b.ndim - 1] : b.shape[b.ndim - 2];
  const N = transB ? b.shape[b.ndim - 2] : b.shape[b.ndim - 1];
  if (K !== K2) {
    throw new ShapeError(
      `matmul: shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)} do not match (${K} vs ${K2})`,
    );
  }
  const batch = broadcastShapes('matmul', a.shape.slice(0, -2), b.shape.slice(0, -2));
  const shape = [...batch, M, N];
  const out = new Tensor(
    a.storage.backend.matmul(a.storage, a.shape, b.storage, b.shape, transA, transB, shape),
    shape,
  );
  return record(
    'matmul',
    [a, b],
    out,
    (g) => {
      // C = op(A)·op(B): ∂op(A) = G·op(B)ᵀ and ∂op(B) = op(A)ᵀ·G, transposed back where op transposed.
      const ga = a.requiresGrad ? (transA ? mm(b, g, transB, true) : mm(g, b, false, !transB)) : null;
      const gb = b.requiresGrad ? (transB ? mm(g, a, true, transA) : mm(a, g, !transA, false)) : null;
      return [ga && sumToShape(ga, a.shape), gb && sumToShape(gb, b.shape)];
    },
    [a, b],
  );
}

/** PyTorch's matmul: dot for vectors, matrix product, batched and broadcast for more dims. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  checkTensor('matmul', a, 'the first argument');
  checkTensor('matmul', b, 'the second argument');
  checkSameBackend('matmul', [a, b]);
  if (a.dtype !== b.dtype) {
    throw new DTypeError(
      `matmul: dtypes ${a.dtype} and ${b.dtype} do not match (shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)})`,
    );
  }
  if (a.dtype === 'bool') throw new DTypeError(`matmul: bool tensors are not supported`);
  if (a.ndim === 0 || b.ndim === 0) {
    throw new ShapeError(
      `matmul: both arguments need at least 1 dim, got shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`,
    );
  }
  // Checked here too, so that the message shows the caller's shapes rather than unsqueezed ones.
  const k1 = a.shape[a.ndim - 1];
  const k2 = b.ndim === 1 ? b.shape[0] : b.shape[b.ndim - 2];
  if (k1 !== k2) {
    throw new ShapeError(
      `matmul: shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)} do not match (${k1} vs ${k2})`,
    );
  }
  const x = a.ndim === 1 ? unsqueeze(a, 0) : a;
  const y = b.ndim === 1 ? unsqueeze(b, -1) : b;
  let out = mm(x, y);
  if (b.ndim === 1) out = squeeze(out, -1);
  if (a.ndim === 1) out = squeeze(out, b.ndim === 1 ? -1 : -2);
  return out;
}

declare module '../tensor/tensor.js' {
  interface Tensor {
    matmul(other: Tensor): Tensor;
    mm(other: Tensor): Tensor;
    dot(other: Tensor): Tensor;
  }
}

Object.assign(Tensor.prototype, {
  matmul(this: Tensor, o: Tensor) {
    return matmul(this, o);
  },
  mm(this: Tensor, o: Tensor) {
    if (this.ndim !== 2 || o.ndim !== 2) {
      throw new ShapeError(
        `mm: expects 2-D tensors, got shapes ${fmtShape(this.shape)} and ${fmtShape(o.shape)}`,
      );
    }
    return matmul(this, o);
  },
  dot(this: Tensor, o: Tensor) {
    if (this.ndim !== 1 || o.ndim !== 1) {
      throw new ShapeError(
        `dot: expects 1-D tensors, got shapes ${fmtShape(this.shape)} and ${fmtShape(o.shape)}`,
      );
    }
    return matmul(this, o);
  },
});
