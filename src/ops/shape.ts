import { record } from '../autograd/record.js';
import { IndexError, ShapeError, fmtShape } from '../tensor/errors.js';
import type { Shape } from '../tensor/shape.js';
import { checkShape, normalizeDim, normalizeDims, shapesEqual, sizeOf, stridesOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { broadcastTo } from './broadcast.js';
import { asStrided } from './strided.js';
import { checkShapeArg } from './util.js';

/** Same elements, new shape (one size may be -1); shares storage, since storage is always contiguous. */
export function reshape(x: Tensor, shape: Shape): Tensor {
  checkShapeArg('reshape', shape);
  const n = x.numel();
  const inferred = shape.indexOf(-1);
  if (inferred !== shape.lastIndexOf(-1))
    throw new ShapeError(`reshape: only one dimension can be -1, got ${fmtShape(shape)}`);
  for (const d of shape) {
    if (!Number.isInteger(d) || d < -1)
      throw new ShapeError(`reshape: invalid size ${d} in shape ${fmtShape(shape)}`);
  }
  const out = [...shape];
  if (inferred >= 0) {
    const known = sizeOf(shape.filter((d) => d !== -1));
    if (known === 0 || n % known !== 0) {
      throw new ShapeError(
        `reshape: shape ${fmtShape(shape)} is invalid for input of size ${n} (shape ${fmtShape(x.shape)})`,
      );
    }
    out[inferred] = n / known;
  }
  if (sizeOf(out) !== n) {
    throw new ShapeError(
      `reshape: shape ${fmtShape(shape)} is invalid for input of size ${n} (shape ${fmtShape(x.shape)})`,
    );
  }
  if (shapesEqual(out, x.shape)) return x;
  const res = new Tensor(x.storage, out);
  const from = x.shape;
  return record('reshape', [x], res, (g) => [reshape(g, from)]);
}

export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  if (x.ndim === 0) return reshape(x, [1]);
  const s = normalizeDim('flatten', startDim, x.ndim, x.shape);
  const e = normalizeDim('flatten', endDim, x.ndim, x.shape);
  if (s > e) throw new IndexError(`flatten: startDim ${startDim} cannot come after endDim ${endDim}`);
  return reshape(x, [...x.shape.slice(0, s), sizeOf(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)]);
}

/** Removes size-1 dims (all of them, or the given ones). */
export function squeeze(x: Tensor, dim?: number | readonly number[]): Tensor {
  const dims = dim === undefined ? x.shape.map((_, i) => i) : normalizeDims('squeeze', dim, x.shape);
  return reshape(
    x,
    x.shape.filter((d, i) => !(d === 1 && dims.includes(i))),
  );
}

export function unsqueeze(x: Tensor, dim: number): Tensor {
  const d = normalizeDim('unsqueeze', dim, x.ndim + 1, x.shape);
  return reshape(x, [...x.shape.slice(0, d), 1, ...x.shape.slice(d)]);
}

export function permute(x: Tensor, dims: readonly number[]): Tensor {
  checkShapeArg('permute', dims);
  if (dims.length !== x.ndim) {
    throw new ShapeError(
      `permute: dims ${fmtShape(dims)} do not match the ${x.ndim} dims of shape ${fmtShape(x.shape)}`,
    );
  }
  const p = dims.map((d) => normalizeDim('permute', d, x.ndim, x.shape));
  if (new Set(p).size !== p.length) throw new IndexError(`permute: dims ${fmtShape(dims)} repeat a dim`);
  if (p.every((d, i) => d === i)) return x;
  const st = stridesOf(x.shape);
  return asStrided(
    x,
    p.map((d) => x.shape[d]),
    p.map((d) => st[d]),
  );
}

export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  const a = normalizeDim('transpose', dim0, x.ndim, x.shape);
  const b = normalizeDim('transpose', dim1, x.ndim, x.shape);
  if (x.ndim === 0) return x;
  const p = x.shape.map((_, i) => i);
  [p[a], p[b]] = [p[b], p[a]];
  return permute(x, p);
}

/** 2-D transpose (PyTorch's t()): 0-d and 1-d tensors are returned as they are. */
export function t(x: Tensor): Tensor {
  if (x.ndim > 2)
    throw new ShapeError(`t: expects a tensor with at most 2 dims, got shape ${fmtShape(x.shape)}`);
  return x.ndim < 2 ? x : transpose(x, 0, 1);
}

/** Broadcasts size-1 dims to the given sizes; -1 keeps a size (PyTorch's expand). */
export function expand(x: Tensor, shape: Shape): Tensor {
  checkShapeArg('expand', shape);
  if (shape.length < x.ndim) {
    throw new ShapeError(
      `expand: the shape ${fmtShape(shape)} has fewer dims than the tensor's ${fmtShape(x.shape)}`,
    );
  }
  const lead = shape.length - x.ndim;
  const target = shape.map((d, i) => {
    if (d !== -1) return d;
    if (i < lead)
      throw new ShapeError(`expand: -1 is not allowed in a new leading dim (shape ${fmtShape(shape)})`);
    return x.shape[i - lead];
  });
  checkShape('expand', target);
  x.shape.forEach((d, i) => {
    if (d !== 1 && d !== target[lead + i]) {
      throw new ShapeError(
        `expand: the size ${d} of dim ${i} (shape ${fmtShape(x.shape)}) must match ${target[lead + i]} ` +
          `in ${fmtShape(shape)}, or be 1`,
      );
    }
  });
  return broadcastTo(x, target);
}

declare module '../tensor/tensor.js' {
  interface Tensor {
    reshape(shape: Shape): Tensor;
    view(shape: Shape): Tensor;
    viewAs(other: Tensor): Tensor;
    reshapeAs(other: Tensor): Tensor;
    flatten(startDim?: number, endDim?: number): Tensor;
    squeeze(dim?: number | readonly number[]): Tensor;
    unsqueeze(dim: number): Tensor;
    permute(dims: readonly number[]): Tensor;
    transpose(dim0: number, dim1: number): Tensor;
    t(): Tensor;
    /** The transpose of the last two dims (PyTorch's mT). */
    readonly mT: Tensor;
    /** A 2-D transpose (PyTorch's T for matrices). */
    readonly T: Tensor;
    expand(shape: Shape): Tensor;
    expandAs(other: Tensor): Tensor;
    broadcastTo(shape: Shape): Tensor;
  }
}

Object.assign(Tensor.prototype, {
  reshape(this: Tensor, s: Shape) {
    return reshape(this, s);
  },
  view(this: Tensor, s: Shape) {
    return reshape(this, s);
  },
  viewAs(this: Tensor, o: Tensor) {
    return reshape(this, o.shape);
  },
  reshapeAs(this: Tensor, o: Tensor) {
    return reshape(this, o.shape);
  },
  flatten(this: Tensor, s?: number, e?: number) {
    return flatten(this, s, e);
  },
  squeeze(this: Tensor, d?: number | readonly number[]) {
    return squeeze(this, d);
  },
  unsqueeze(this: Tensor, d: number) {
    return unsqueeze(this, d);
  },
  permute(this: Tensor, d: readonly number[]) {
    return permute(this, d);
  },
  transpose(this: Tensor, a: number, b: number) {
    return transpose(this, a, b);
  },
  t(this: Tensor) {
    return t(this);
  },
  expand(this: Tensor, s: Shape) {
    return expand(this, s);
  },
  expandAs(this: Tensor, o: Tensor) {
    return expand(this, o.shape);
  },
  broadcastTo(this: Tensor, s: Shape) {
    return expand(this, s);
  },
});
Object.defineProperty(Tensor.prototype, 'mT', {
  get(this: Tensor) {
    if (this.ndim < 2) throw new ShapeError(`mT: expects at least 2 dims, got shape ${fmtShape(this.shape)}`);
    return transpose(this, -2, -1);
  },
});
Object.defineProperty(Tensor.prototype, 'T', {
  get(this: Tensor) {
    return t(this);
  },
});
