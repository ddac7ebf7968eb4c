import type { ReduceOp } from '../backend/backend.js';
import { record } from '../autograd/record.js';
import type { DType } from '../tensor/dtype.js';
import { isFloating } from '../tensor/dtype.js';
import { DTypeError, IndexError, fmtShape } from '../tensor/errors.js';
import { normalizeDim, normalizeDims } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { binaryKernel, div, mul, sub } from './arith.js';
import { broadcastTo } from './broadcast.js';
import { gather } from './gather.js';
import { reshape, squeeze } from './shape.js';
import { sqrt } from './unary.js';
import { maximum, minimum } from './compare.js';

export type Dims = number | readonly number[] | null | undefined;

/** Runs a reduce kernel, keeping the reduced dims as size 1. */
function reduceKernel(op: ReduceOp, x: Tensor, axes: readonly number[], outDtype: DType): Tensor {
  const keep = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  return new Tensor(x.storage.backend.reduce(op, x.storage, x.shape, axes, outDtype), keep);
}

function dropDims(t: Tensor, axes: readonly number[], keepdim: boolean): Tensor {
  return keepdim
    ? t
    : reshape(
        t,
        t.shape.filter((_, i) => !axes.includes(i)),
      );
}

/** Sum over dims (all by default); integers and bools sum as int32. */
export function sum(x: Tensor, dim?: Dims, keepdim = false, opts: { dtype?: DType } = {}): Tensor {
  const axes = normalizeDims('sum', dim, x.shape);
  const dt = opts.dtype ?? (isFloating(x.dtype) ? x.dtype : 'int32');
  const src = x.dtype === dt ? x : x.to(dt);
  const out = reduceKernel('sum', src, axes, dt);
  const rec = record('sum', [src], out, (g) => [broadcastTo(g, src.shape)]);
  return dropDims(rec, axes, keepdim);
}

export function mean(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  if (!isFloating(x.dtype)) {
    throw new DTypeError(
      `mean: expected a floating-point tensor, got dtype ${x.dtype}; convert it with .float() first`,
    );
  }
  const axes = normalizeDims('mean', dim, x.shape);
  const n = axes.reduce((p, a) => p * x.shape[a], 1);
  return div(sum(x, axes, keepdim), n);
}

/** Product over one dim (or all); exact gradients also where inputs are zero. */
export function prod(x: Tensor, dim?: number | null, keepdim = false): Tensor {
  if (dim === undefined || dim === null) {
    const flat = reshape(x, [x.numel()]);
    const p = prod(flat, 0, false);
    return keepdim
      ? reshape(
          p,
          x.shape.map(() => 1),
        )
      : p;
  }
  const d = normalizeDim('prod', dim, x.ndim, x.shape);
  const out = reduceKernel('prod', x, [d], isFloating(x.dtype) ? x.dtype : 'int32');
  // ∂/∂xᵢ Πⱼ xⱼ = Πⱼ<ᵢ xⱼ · Πⱼ>ᵢ xⱼ: exclusive products from both sides, no division.
  const rec = record('prod', [x], out, (g) => [mul(broadcastTo(g, x.shape), productOfOthers(x, d))], [x]);
  return dropDims(rec, [d], keepdim);
}

import { exclusiveCumprod, flip } from './cumulative.js';

function productOfOthers(x: Tensor, d: number): Tensor {
  const left = exclusiveCumprod(x, d);
  const right = flip(exclusiveCumprod(flip(x, [d]), d), [d]);
  return mul(left, right);
}

function checkNonEmpty(op: string, x: Tensor, axes: readonly number[]): void {
  for (const a of axes) {
    if (x.shape[a] === 0) {
      throw new IndexError(`${op}: cannot reduce over the empty dim ${a} of shape ${fmtShape(x.shape)}`);
    }
  }
  if (x.numel() === 0)
    throw new IndexError(`${op}: cannot reduce an empty tensor of shape ${fmtShape(x.shape)}`);
}

/** Max over dims without indices; ties share the gradient evenly (PyTorch's amax). */
export function amax(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  return extremum('max', x, dim, keepdim);
}

export function amin(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  return extremum('min', x, dim, keepdim);
}

function extremum(op: 'max' | 'min', x: Tensor, dim: Dims, keepdim: boolean): Tensor {
  const name = op === 'max' ? 'amax' : 'amin';
  const axes = normalizeDims(name, dim, x.shape);
  checkNonEmpty(name, x, axes);
  const out = reduceKernel(op, x, axes, x.dtype);
  if (!isFloating(x.dtype)) return dropDims(out, axes, keepdim);
  const rec = record(
    name,
    [x],
    out,
    (g) => {
      const mask = binaryKernel('eq', x, out, x.dtype, x.dtype)[2];
      const count = reduceKernel('sum', mask, axes, x.dtype);
      return [mul(broadcastTo(div(g, count), x.shape), mask)];
    },
    [x],
  );
  return dropDims(rec, axes, keepdim);
}

/** Index of the max (first occurrence) over a dim, or over the flattened tensor. */
export function argmax(x: Tensor, dim?: number | null, keepdim = false): Tensor {
  return argExtremum('argmax', x, dim, keepdim);
}

export function argmin(x: Tensor, dim?: number | null, keepdim = false): Tensor {
  return argExtremum('argmin', x, dim, keepdim);
}

function argExtremum(
  op: 'argmax' | 'argmin',
  x: Tensor,
  dim: number | null | undefined,
  keepdim: boolean,
): Tensor {
  if (dim === undefined || dim === null) {
    const r = argExtremum(op, reshape(x, [x.numel()]), 0, false);
    return keepdim
      ? reshape(
          r,
          x.shape.map(() => 1),
        )
      : r;
  }
  const d = normalizeDim(op, dim, x.ndim, x.shape);
  if (x.ndim === 0) return new Tensor(x.storage.backend.fill(1, 0, 'int32'), []);
  checkNonEmpty(op, x, [d]);
  const keep = x.shape.map((s, i) => (i === d ? 1 : s));
  const idx = new Tensor(x.storage.backend.argReduce(op, x.storage, x.shape, d), keep);
  return keepdim ? idx : squeeze(idx, d);
}

/**
 * max() of all elements, max(dim, keepdim) as [values, indices] (the gradient goes to the index, as
 * in PyTorch), or max(other) as the elementwise maximum.
 */
export function max(x: Tensor): Tensor;
export function max(x: Tensor, dim: number, keepdim?: boolean): [Tensor, Tensor];
export function max(x: Tensor, other: Tensor): Tensor;
export function max(x: Tensor, dim?: number | Tensor, keepdim = false): Tensor | [Tensor, Tensor] {
  if (dim instanceof Tensor) return maximum(x, dim);
  if (dim === undefined) return amax(x);
  return valuesAndIndices('argmax', x, dim, keepdim);
}

export function min(x: Tensor): Tensor;
export function min(x: Tensor, dim: number, keepdim?: boolean): [Tensor, Tensor];
export function min(x: Tensor, other: Tensor): Tensor;
export function min(x: Tensor, dim?: number | Tensor, keepdim = false): Tensor | [Tensor, Tensor] {
  if (dim instanceof Tensor) return minimum(x, dim);
  if (dim === undefined) return amin(x);
  return valuesAndIndices('argmin', x, dim, keepdim);
}

function valuesAndIndices(
  op: 'argmax' | 'argmin',
  x: Tensor,
  dim: number,
  keepdim: boolean,
): [Tensor, Tensor] {
  const d = normalizeDim(op === 'argmax' ? 'max' : 'min', dim, x.ndim, x.shape);
  if (x.ndim === 0) return [x, new Tensor(x.storage.backend.fill(1, 0, 'int32'), [])];
  const idx = argExtremum(op, x, d, true);
  const values = gather(x, d, idx);
  return keepdim ? [values, idx] : [squeeze(values, d), squeeze(idx, d)];
}

export interface VarOptions {
  /** Bessel's correction (divide by N − 1); default true. */
  unbiased?: boolean;
  /** The subtrahend of N, overriding unbiased (PyTorch's correction). */
  correction?: number;
  keepdim?: boolean;
}

/** Variance over dims: var(dim, unbiased = true, keepdim = false), or var(dim, { correction, keepdim }). */
export function variance(
  x: Tensor,
  dim?: Dims,
  unbiasedOrOpts: boolean | VarOptions = true,
  keepdim = false,
): Tensor {
  return varianceOf('var', x, dim, unbiasedOrOpts, keepdim);
}

function varianceOf(
  op: 'var' | 'std',
  x: Tensor,
  dim: Dims,
  unbiasedOrOpts: boolean | VarOptions,
  keepdim: boolean,
): Tensor {
  if (!isFloating(x.dtype)) {
    throw new DTypeError(`${op}: expected a floating-point tensor, got dtype ${x.dtype}`);
  }
  const o: VarOptions =
    typeof unbiasedOrOpts === 'boolean' ? { unbiased: unbiasedOrOpts, keepdim } : unbiasedOrOpts;
  const axes = normalizeDims(op, dim, x.shape);
  const n = axes.reduce((p, a) => p * x.shape[a], 1);
  const correction = o.correction ?? (o.unbiased === false ? 0 : 1);
  const d = sub(x, mean(x, axes, true));
  return div(sum(mul(d, d), axes, o.keepdim ?? false), Math.max(n - correction, 0));
}

export function std(
  x: Tensor,
  dim?: Dims,
  unbiasedOrOpts: boolean | VarOptions = true,
  keepdim = false,
): Tensor {
  return sqrt(varianceOf('std', x, dim, unbiasedOrOpts, keepdim));
}

declare module '../tensor/tensor.js' {
  interface Tensor {
    sum(dim?: Dims, keepdim?: boolean, opts?: { dtype?: DType }): Tensor;
    mean(dim?: Dims, keepdim?: boolean): Tensor;
    prod(dim?: number | null, keepdim?: boolean): Tensor;
    amax(dim?: Dims, keepdim?: boolean): Tensor;
    amin(dim?: Dims, keepdim?: boolean): Tensor;
    argmax(dim?: number | null, keepdim?: boolean): Tensor;
    argmin(dim?: number | null, keepdim?: boolean): Tensor;
    max(): Tensor;
    max(dim: number, keepdim?: boolean): [Tensor, Tensor];
    max(other: Tensor): Tensor;
    min(): Tensor;
    min(dim: number, keepdim?: boolean): [Tensor, Tensor];
    min(other: Tensor): Tensor;
    var(dim?: Dims, unbiased?: boolean | VarOptions, keepdim?: boolean): Tensor;
    std(dim?: Dims, unbiased?: boolean | VarOptions, keepdim?: boolean): Tensor;
  }
}

Object.assign(Tensor.prototype, {
  sum(this: Tensor, dim?: Dims, keepdim?: boolean, opts?: { dtype?: DType }) {
    return sum(this, dim, keepdim, opts);
  },
  mean(this: Tensor, dim?: Dims, keepdim?: boolean) {
    return mean(this, dim, keepdim);
  },
  prod(this: Tensor, dim?: number | null, keepdim?: boolean) {
    return prod(this, dim, keepdim);
  },
  amax(this: Tensor, dim?: Dims, keepdim?: boolean) {
    return amax(this, dim, keepdim);
  },
  amin(this: Tensor, dim?: Dims, keepdim?: boolean) {
    return amin(this, dim, keepdim);
  },
  argmax(this: Tensor, dim?: number | null, keepdim?: boolean) {
    return argmax(this, dim, keepdim);
  },
  argmin(this: Tensor, dim?: number | null, keepdim?: boolean) {
    return argmin(this, dim, keepdim);
  },
  max(this: Tensor, dim?: any, keepdim?: boolean) {
    return max(this, dim, keepdim);
  },
  min(this: Tensor, dim?: any, keepdim?: boolean) {
    return min(this, dim, keepdim);
  },
  var(this: Tensor, dim?: Dims, u?: boolean | VarOptions, k?: boolean) {
    return variance(this, dim, u, k);
  },
  std(this: Tensor, dim?: Dims, u?: boolean | VarOptions, k?: boolean) {
    return std(this, dim, u, k);
  },
});
