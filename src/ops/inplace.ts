import { isGradEnabled, noGrad } from '../autograd/grad-mode.js';
import { markRewritten } from '../autograd/record.js';
import { promoteTypes } from '../tensor/dtype.js';
import { AutogradError, DTypeError, ShapeError, fmtShape } from '../tensor/errors.js';
import { shapesEqual } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { add, div, mul, sub } from './arith.js';
import { broadcastTo } from './broadcast.js';
import { clamp } from './compare.js';
import { clone } from './convert.js';
import type { TensorLike } from './util.js';
import { stridedCopies } from './strided.js';
import { asTensor } from './util.js';

/**
 * Runs fn out of place and writes the result into x's storage. The storage's version goes up, so a
 * backward that saved x before the change refuses to run with stale values (PyTorch's check). When
 * recording, x takes over the result's place in the graph.
 */
function inplace(op: string, x: Tensor, others: readonly TensorLike[], fn: (self: Tensor) => Tensor): Tensor {
  if (stridedCopies.has(x.storage)) {
    throw new ShapeError(
      `${op}: this tensor (shape ${fmtShape(x.shape)}) came from select/narrow/slice/index/permute/transpose/` +
        'expand/flip, which return copies in chainrule (views in PyTorch), so an in-place update would not reach ' +
        'the tensor it was taken from; use an out-of-place op (e.g. where, maskedFill, scatterAdd), or clone() it ' +
        'first if you mean to change the copy',
    );
  }
  const recording =
    isGradEnabled() && (x.requiresGrad || others.some((o) => o instanceof Tensor && o.requiresGrad));
  if (recording && x.isLeaf && x.requiresGrad) {
    throw new AutogradError(
      `${op}: a leaf tensor that requires grad (shape ${fmtShape(x.shape)}) cannot be modified in place; ` +
        'wrap the update in noGrad() or use the out-of-place op',
    );
  }
  const base = recording ? viewedLeaf(x) : null;
  if (base) {
    throw new AutogradError(
      `${op}: a view (shape ${fmtShape(x.shape)}) of a leaf tensor that requires grad (shape ` +
        `${fmtShape(base.shape)}) cannot be modified in place; wrap the update in noGrad()`,
    );
  }
  // While recording, compute from a frozen copy of x so the new node does not read the overwritten values.
  const self = recording ? frozenAlias(x) : x;
  let out = recording ? fn(self) : noGrad(() => fn(self));
  // A leaf result (copy_ from a leaf) goes through a recorded copy, or x would become that leaf.
  if (recording && out.requiresGrad && out.isLeaf) out = clone(out);
  if (!shapesEqual(out.shape, x.shape)) {
    throw new ShapeError(
      `${op}: the result's shape ${fmtShape(out.shape)} does not match the tensor's ${fmtShape(x.shape)}`,
    );
  }
  if (promoteTypes(out.dtype, x.dtype) !== x.dtype) {
    throw new DTypeError(
      `${op}: the result's dtype ${out.dtype} cannot be stored in place into a tensor of dtype ${x.dtype}`,
    );
  }
  const src = out.dtype === x.dtype ? out : noGrad(() => out.to(x.dtype));
  x.storage.backend.assign(x.storage, src.storage);
  x.storage.version++;
  if (recording) {
    x.gradFn = src.gradFn;
    x.outputIndex = src.outputIndex;
    x.requiresGrad = src.requiresGrad;
    markRewritten(x);
  }
  return x;
}

/** The leaf whose storage x shares through a chain of views (reshape), if any. */
function viewedLeaf(x: Tensor): Tensor | null {
  let node = x.gradFn;
  while (node && node.edges.length === 1) {
    const e = node.edges[0];
    if (!e) return null;
    if ('leaf' in e) return e.leaf.storage === x.storage ? e.leaf : null;
    node = e.node;
  }
  return null;
}

/** A copy of x's values that stands in x's place in the graph (x itself is a non-leaf here). */
function frozenAlias(x: Tensor): Tensor {
  const copy = new Tensor(x.storage.backend.cast(x.storage, x.dtype), x.shape);
  copy.gradFn = x.gradFn;
  copy.outputIndex = x.outputIndex;
  if (x.requiresGrad) copy.requiresGrad = true;
  return copy;
}

declare module '../tensor/tensor.js' {
  interface Tensor {
    add_(other: TensorLike, opts?: { alpha?: number }): this;
    sub_(other: TensorLike, opts?: { alpha?: number }): this;
    mul_(other: TensorLike): this;
    div_(other: TensorLike): this;
    clamp_(min?: TensorLike | null, max?: TensorLike | null): this;
    /** Copies src (broadcast to this shape) into this tensor. */
    copy_(src: TensorLike): this;
    fill_(value: number | boolean): this;
    zero_(): this;
  }
}

Object.assign(Tensor.prototype, {
  add_(this: Tensor, o: TensorLike, opts?: { alpha?: number }) {
    return inplace('add_', this, [o], (s) => add(s, o, opts));
  },
  sub_(this: Tensor, o: TensorLike, opts?: { alpha?: number }) {
    return inplace('sub_', this, [o], (s) => sub(s, o, opts));
  },
  mul_(this: Tensor, o: TensorLike) {
    return inplace('mul_', this, [o], (s) => mul(s, o));
  },
  div_(this: Tensor, o: TensorLike) {
    return inplace('div_', this, [o], (s) => div(s, o));
  },
  clamp_(this: Tensor, lo?: TensorLike | null, hi?: TensorLike | null) {
    return inplace('clamp_', this, [], (s) => clamp(s, lo, hi));
  },
  copy_(this: Tensor, src: TensorLike) {
    return inplace('copy_', this, [src], () => broadcastTo(asTensor('copy_', src, this.dtype), this.shape));
  },
  fill_(this: Tensor, value: number | boolean) {
    return inplace('fill_', this, [], () => broadcastTo(asTensor('fill_', value, this.dtype), this.shape));
  },
  zero_(this: Tensor) {
    return inplace('zero_', this, [], () => broadcastTo(asTensor('zero_', 0, this.dtype), this.shape));
  },
});
