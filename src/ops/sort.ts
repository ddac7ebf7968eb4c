import { IndexError, fmtShape } from '../tensor/errors.js';
import { normalizeDim } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { gather } from './gather.js';
import { narrow } from './slice.js';

/** Sorts along dim (stable); returns [values, indices]; values are differentiable. */
export function sort(x: Tensor, dim = -1, descending = false): [Tensor, Tensor] {
  const d = normalizeDim('sort', dim, x.ndim, x.shape);
  if (x.ndim === 0) return [x, new Tensor(x.storage.backend.fill(1, 0, 'int32'), [])];
  const idx = new Tensor(x.storage.backend.argsort(x.storage, x.shape, d, descending), x.shape);
  return [gather(x, d, idx), idx];
}

export function argsort(x: Tensor, dim = -1, descending = false): Tensor {
  return sort(x, dim, descending)[1];
}

/** The k largest (or smallest) entries along dim as [values, indices], sorted. */
export function topk(x: Tensor, k: number, dim = -1, largest = true): [Tensor, Tensor] {
  const d = x.ndim === 0 ? 0 : normalizeDim('topk', dim, x.ndim, x.shape);
  const n = x.ndim === 0 ? 1 : x.shape[d];
  if (!Number.isInteger(k) || k < 0 || k > n) {
    throw new IndexError(
      `topk: k = ${k} is out of range for dim ${d} of size ${n} (shape ${fmtShape(x.shape)})`,
    );
  }
  if (x.ndim === 0) return sort(x);
  const [, idx] = sort(x, d, largest);
  const top = narrow(idx, d, 0, k);
  return [gather(x, d, top), top];
}

declare module '../tensor/tensor.js' {
  interface Tensor {
    sort(dim?: number, descending?: boolean): [Tensor, Tensor];
    argsort(dim?: number, descending?: boolean): Tensor;
    topk(k: number, dim?: number, largest?: boolean): [Tensor, Tensor];
  }
}

Object.assign(Tensor.prototype, {
  sort(this: Tensor, d?: number, desc?: boolean) {
    return sort(this, d, desc);
  },
  argsort(this: Tensor, d?: number, desc?: boolean) {
    return argsort(this, d, desc);
  },
  topk(this: Tensor, k: number, d?: number, l?: boolean) {
    return topk(this, k, d, l);
  },
});
