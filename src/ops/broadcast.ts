import { record } from '../autograd/record.js';
import { ShapeError, fmtShape } from '../tensor/errors.js';
import type { Shape } from '../tensor/shape.js';
import { broadcastShapes, checkShape, shapesEqual } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';

/** Sums a gradient back to the shape an operand had before broadcasting. */
export function sumToShape(g: Tensor, shape: Shape): Tensor {
  if (shapesEqual(g.shape, shape)) return g;
  const lead = g.ndim - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.ndim; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  const b = g.storage.backend;
  const keep = g.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const summed = new Tensor(b.reduce('sum', g.storage, g.shape, axes, g.dtype), keep);
  const out = new Tensor(summed.storage, shape);
  // The adjoint of summing is broadcasting back.
  return record('sumToShape', [g], out, (gg) => [broadcastTo(gg, g.shape)]);
}

/** Broadcasts to a shape by NumPy rules (a copy: storages are contiguous). */
export function broadcastTo(x: Tensor, shape: Shape): Tensor {
  if (shapesEqual(x.shape, shape)) return x;
  checkShape('broadcastTo', shape);
  const out = broadcastShapes('broadcastTo', x.shape, shape);
  if (!shapesEqual(out, shape)) {
    throw new ShapeError(`broadcastTo: cannot broadcast shape ${fmtShape(x.shape)} to ${fmtShape(shape)}`);
  }
  const lead = shape.length - x.ndim;
  const strides = new Array<number>(shape.length).fill(0);
  let s = 1;
  for (let i = x.ndim - 1; i >= 0; i--) {
    strides[lead + i] = x.shape[i] === 1 ? 0 : s;
    s *= x.shape[i];
  }
  const res = new Tensor(x.storage.backend.asStrided(x.storage, shape, strides, 0), shape);
  return record('broadcastTo', [x], res, (g) => [sumToShape(g, x.shape)]);
}
