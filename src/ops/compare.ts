import type { BinaryOp } from '../backend/backend.js';
import { record } from '../autograd/record.js';
import { DTypeError, fmtShape } from '../tensor/errors.js';
import { broadcastShapes } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { binaryKernel, mul, sub } from './arith.js';
import { sumToShape } from './broadcast.js';
import type { TensorLike } from './util.js';
import { asTensor, checkSameBackend, resultType } from './util.js';

/** Comparisons give bool tensors and are not differentiable. */
function comparison(op: BinaryOp): (a: TensorLike, b: TensorLike) => Tensor {
  return (a, b) => binaryKernel(op, a, b, undefined, 'bool')[2];
}

export const eq = comparison('eq');
export const ne = comparison('ne');
export const lt = comparison('lt');
export const le = comparison('le');
export const gt = comparison('gt');
export const ge = comparison('ge');

export function logicalAnd(a: TensorLike, b: TensorLike): Tensor {
  return binaryKernel('logicalAnd', a, b, 'bool', 'bool')[2];
}

export function logicalOr(a: TensorLike, b: TensorLike): Tensor {
  return binaryKernel('logicalOr', a, b, 'bool', 'bool')[2];
}

export function logicalNot(a: TensorLike): Tensor {
  const x = asTensor('logicalNot', a);
  return new Tensor(x.storage.backend.unary('logicalNot', x.storage, 'bool'), x.shape);
}

export function isnan(a: Tensor): Tensor {
  return new Tensor(a.storage.backend.unary('isnan', a.storage, 'bool'), a.shape);
}

export function isinf(a: Tensor): Tensor {
  return new Tensor(a.storage.backend.unary('isinf', a.storage, 'bool'), a.shape);
}

export function isfinite(a: Tensor): Tensor {
  return logicalNot(logicalOr(isnan(a), isinf(a)));
}

/** Share of the gradient that goes to a: 1 where a wins, ½ on ties (PyTorch's rule), 0 elsewhere. */
function winnerWeight(op: 'gt' | 'lt', x: Tensor, y: Tensor): Tensor {
  const win = binaryKernel(op, x, y, x.dtype, x.dtype)[2];
  const tie = binaryKernel('eq', x, y, x.dtype, x.dtype)[2];
  return binaryKernel('add', win, binaryKernel('mul', tie, 0.5, x.dtype)[2], x.dtype)[2];
}

function extremum(op: 'maximum' | 'minimum', a: TensorLike, b: TensorLike): Tensor {
  const [x, y, out] = binaryKernel(op, a, b);
  return record(
    op,
    [x, y],
    out,
    (g) => {
      // The weights are built here, not in the forward: forwards under noGrad pay nothing for them.
      const w = winnerWeight(op === 'maximum' ? 'gt' : 'lt', x, y);
      return [sumToShape(mul(g, w), x.shape), sumToShape(mul(g, sub(1, w)), y.shape)];
    },
    [x, y],
  );
}

export function maximum(a: TensorLike, b: TensorLike): Tensor {
  return extremum('maximum', a, b);
}

export function minimum(a: TensorLike, b: TensorLike): Tensor {
  return extremum('minimum', a, b);
}

/** Elementwise choice: a where cond is true, else b (cond must be bool); broadcasts all three. */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  if (!(cond instanceof Tensor) || cond.dtype !== 'bool') {
    const what = cond instanceof Tensor ? `dtype ${cond.dtype} (shape ${fmtShape(cond.shape)})` : typeof cond;
    throw new DTypeError(`where: condition must be a bool tensor, got ${what}`);
  }
  const dt = resultType(a, b);
  const x = asTensor('where', a, dt);
  const y = asTensor('where', b, dt);
  checkSameBackend('where', [cond, x, y]);
  const shape = broadcastShapes('where', cond.shape, x.shape, y.shape);
  const be = x.storage.backend;
  const out = new Tensor(
    be.where(cond.storage, cond.shape, x.storage, x.shape, y.storage, y.shape, shape),
    shape,
  );
  return record(
    'where',
    [x, y],
    out,
    (g) => [sumToShape(where(cond, g, 0), x.shape), sumToShape(where(cond, 0, g), y.shape)],
    [cond],
  );
}

/** Clamps into [min, max] (either may be null); the gradient passes where min ≤ x ≤ max. */
export function clamp(x: Tensor, min?: TensorLike | null, max?: TensorLike | null): Tensor {
  if ((min === undefined || min === null) && (max === undefined || max === null)) {
    throw new DTypeError('clamp: at least one of min and max must be given');
  }
  const needsGrad = (m: unknown) => m instanceof Tensor && m.requiresGrad;
  if (needsGrad(min) || needsGrad(max)) {
    // Bounds that need gradients: where() routes the gradient to whichever of x and bound is chosen.
    let res = x;
    if (min !== undefined && min !== null) res = where(lt(res, min), min, res);
    if (max !== undefined && max !== null) res = where(gt(res, max), max, res);
    return res;
  }
  const hasMin = min !== undefined && min !== null;
  const hasMax = max !== undefined && max !== null;
  let out = x;
  if (hasMin) out = binaryKernel('maximum', out, min)[2];
  if (hasMax) out = binaryKernel('minimum', out, max)[2];
  // The gradient passes where min ≤ x ≤ max (built only when a backward asks for it).
  const inside = (): Tensor => {
    const lo = hasMin ? binaryKernel('ge', x, min, undefined, 'bool')[2] : null;
    const hi = hasMax ? binaryKernel('le', x, max, undefined, 'bool')[2] : null;
    return lo && hi ? logicalAnd(lo, hi) : (lo ?? hi)!;
  };
  const res = new Tensor(out.storage, out.shape);
  if (res.dtype !== x.dtype) return where(inside(), x, out); // a float bound on an int tensor promotes
  return record('clamp', [x], res, (g) => [where(inside(), g, 0)], [x]);
}

declare module '../tensor/tensor.js' {
  interface Tensor {
    eq(other: TensorLike): Tensor;
    ne(other: TensorLike): Tensor;
    lt(other: TensorLike): Tensor;
    le(other: TensorLike): Tensor;
    gt(other: TensorLike): Tensor;
    ge(other: TensorLike): Tensor;
    logicalAnd(other: TensorLike): Tensor;
    logicalOr(other: TensorLike): Tensor;
    logicalNot(): Tensor;
    isnan(): Tensor;
    isinf(): Tensor;
    isfinite(): Tensor;
    maximum(other: TensorLike): Tensor;
    minimum(other: TensorLike): Tensor;
    where(cond: Tensor, other: TensorLike): Tensor;
    clamp(min?: TensorLike | null, max?: TensorLike | null): Tensor;
    clip(min?: TensorLike | null, max?: TensorLike | null): Tensor;
  }
}

Object.assign(Tensor.prototype, {
  eq(this: Tensor, o: TensorLike) {
    return eq(this, o);
  },
  ne(this: Tensor, o: TensorLike) {
    return ne(this, o);
  },
  lt(this: Tensor, o: TensorLike) {
    return lt(this, o);
  },
  le(this: Tensor, o: TensorLike) {
    return le(this, o);
  },
  gt(this: Tensor, o: TensorLike) {
    return gt(this, o);
  },
  ge(this: Tensor, o: TensorLike) {
    return ge(this, o);
  },
  logicalAnd(this: Tensor, o: TensorLike) {
    return logicalAnd(this, o);
  },
  logicalOr(this: Tensor, o: TensorLike) {
    return logicalOr(this, o);
  },
  logicalNot(this: Tensor) {
    return logicalNot(this);
  },
  isnan(this: Tensor) {
    return isnan(this);
  },
  isinf(this: Tensor) {
    return isinf(this);
  },
  isfinite(this: Tensor) {
    return isfinite(this);
  },
  maximum(this: Tensor, o: TensorLike) {
    return maximum(this, o);
  },
  minimum(this: Tensor, o: TensorLike) {
    return minimum(this, o);
  },
  // PyTorch's x.where(cond, y) keeps x where cond holds.
  where(this: Tensor, cond: Tensor, o: TensorLike) {
    return where(cond, this, o);
  },
  clamp(this: Tensor, lo?: TensorLike | null, hi?: TensorLike | null) {
    return clamp(this, lo, hi);
  },
  clip(this: Tensor, lo?: TensorLike | null, hi?: TensorLike | null) {
    return clamp(this, lo, hi);
  },
});
