import type { BinaryOp } from '../backend/backend.js';
import { record } from '../autograd/record.js';
import type { DType } from '../tensor/dtype.js';
import { isFloating } from '../tensor/dtype.js';
import { DTypeError, fmtShape } from '../tensor/errors.js';
import { broadcastShapes } from '../tensor/shape.js';
import { zerosLike } from '../tensor/create.js';
import { Tensor } from '../tensor/tensor.js';
import { sumToShape } from './broadcast.js';
import type { TensorLike } from './util.js';
import { asTensor, checkSameBackend, resultType } from './util.js';

/**
 * Runs a broadcasting binary kernel: both operands are promoted to one dtype first. Returns the
 * promoted operands (for the backward) and the result (not yet recorded).
 */
export function binaryKernel(
  op: BinaryOp,
  a: TensorLike,
  b: TensorLike,
  computeDtype?: DType,
  outDtype?: DType,
): [Tensor, Tensor, Tensor] {
  const dt = computeDtype ?? resultType(a, b);
  const x = asTensor(op, a, dt);
  const y = asTensor(op, b, dt);
  checkSameBackend(op, [x, y]);
  const shape = broadcastShapes(op, x.shape, y.shape);
  const be = x.storage.backend;
  const out = new Tensor(be.binary(op, x.storage, x.shape, y.storage, y.shape, shape, outDtype ?? dt), shape);
  return [x, y, out];
}

/** Floating dtype for ops that are true division or transcendental (ints promote to float32). */
function floatType(a: TensorLike, b: TensorLike): DType {
  const t = resultType(a, b);
  return isFloating(t) ? t : 'float32';
}

export function add(a: TensorLike, b: TensorLike, opts: { alpha?: number } = {}): Tensor {
  if (opts.alpha !== undefined && opts.alpha !== 1) return add(a, scaled(b, opts.alpha));
  // bool + bool stays bool (true + true is true), as in PyTorch: a logical or, not a sum of 1s.
  if (resultType(a, b) === 'bool') return binaryKernel('logicalOr', a, b, 'bool', 'bool')[2];
  const [x, y, out] = binaryKernel('add', a, b);
  return record('add', [x, y], out, (g) => [
    x.requiresGrad ? sumToShape(g, x.shape) : null,
    y.requiresGrad ? sumToShape(g, y.shape) : null,
  ]);
}

/** b·alpha; a number stays a number, so that it is not rounded to float32 before meeting a float64 tensor. */
function scaled(b: TensorLike, alpha: number): TensorLike {
  return typeof b === 'number' ? b * alpha : mul(b, alpha);
}

export function sub(a: TensorLike, b: TensorLike, opts: { alpha?: number } = {}): Tensor {
  if (opts.alpha !== undefined && opts.alpha !== 1) return sub(a, scaled(b, opts.alpha));
  if (resultType(a, b) === 'bool') {
    throw new DTypeError(
      `sub: subtraction of bool tensors is not supported (dtypes ${dtypeName(a)} and ${dtypeName(b)})`,
    );
  }
  const [x, y, out] = binaryKernel('sub', a, b);
  return record('sub', [x, y], out, (g) => [
    x.requiresGrad ? sumToShape(g, x.shape) : null,
    y.requiresGrad ? sumToShape(neg(g), y.shape) : null,
  ]);
}

export function mul(a: TensorLike, b: TensorLike): Tensor {
  const [x, y, out] = binaryKernel('mul', a, b);
  return record(
    'mul',
    [x, y],
    out,
    (g) => [
      x.requiresGrad ? sumToShape(mul(g, y), x.shape) : null,
      y.requiresGrad ? sumToShape(mul(g, x), y.shape) : null,
    ],
    [x, y],
  );
}

/** True division (integers divide as float32, like PyTorch's `/`). */
export function div(a: TensorLike, b: TensorLike): Tensor {
  const [x, y, out] = binaryKernel('div', a, b, floatType(a, b));
  return record(
    'div',
    [x, y],
    out,
    (g) => [
      x.requiresGrad ? sumToShape(div(g, y), x.shape) : null,
      // d(x/y)/dy = −x/y² = −out/y
      y.requiresGrad ? sumToShape(neg(div(mul(g, out), y)), y.shape) : null,
    ],
    [x, y, out],
  );
}

export function neg(a: TensorLike): Tensor {
  const x = asTensor('neg', a);
  if (x.dtype === 'bool') {
    throw new DTypeError(
      `neg: negation of a bool tensor is not supported (shape ${fmtShape(x.shape)}); use logicalNot`,
    );
  }
  const out = new Tensor(x.storage.backend.unary('neg', x.storage, x.dtype), x.shape);
  return record('neg', [x], out, (g) => [neg(g)]);
}

/** a to the power b, elementwise with broadcasting. */
export function pow(a: TensorLike, b: TensorLike): Tensor {
  const dt = resultType(a, b);
  if (dt === 'int32' && typeof b === 'number' && b < 0) {
    throw new DTypeError(
      `pow: integers to negative integer powers are not allowed (dtype ${dt}, exponent ${b})`,
    );
  }
  const [x, y, out] = binaryKernel('pow', a, b);
  return record(
    'pow',
    [x, y],
    out,
    (g) => [
      x.requiresGrad ? sumToShape(mul(g, powBaseGrad(x, y, b)), x.shape) : null,
      y.requiresGrad ? sumToShape(mul(g, powExponentGrad(x, out)), y.shape) : null,
    ],
    [x, y, out],
  );
}

/** 1 where t = 0, else 0 (a constant: no gradient flows through the mask). */
function zeroMask(t: Tensor): Tensor {
  return binaryKernel('eq', t, 0, t.dtype, t.dtype)[2];
}

/** d(xʸ)/dx = y·xʸ⁻¹, taken as 0 where y = 0 (PyTorch's rule; y·x⁻¹ would be 0·∞ at x = 0). */
function powBaseGrad(x: Tensor, y: Tensor, b: TensorLike): Tensor {
  if (typeof b === 'number') return b === 0 ? zerosLike(x) : mul(pow(x, b - 1), b);
  // y + [y = 0] is y except 1 where y = 0, so x^(that − 1) stays finite there and the product is 0.
  return mul(y, pow(x, sub(add(y, zeroMask(y)), 1)));
}

/** d(xʸ)/dy = xʸ·ln x, with ln taken at x + [x = 0] so that the zeros give 0, not 0·(−∞). */
function powExponentGrad(x: Tensor, out: Tensor): Tensor {
  return mul(out, log(add(x, zeroMask(x))));
}

function dtypeName(t: TensorLike): string {
  return t instanceof Tensor ? t.dtype : typeof t;
}

export function log(a: TensorLike): Tensor {
  const x = asTensor('log', a);
  const dt = isFloating(x.dtype) ? x.dtype : 'float32';
  const xf = asTensor('log', x, dt);
  const out = new Tensor(xf.storage.backend.unary('log', xf.storage, dt), x.shape);
  return record('log', [xf], out, (g) => [div(g, xf)], [xf]);
}

declare module '../tensor/tensor.js' {
  interface Tensor {
    add(other: TensorLike, opts?: { alpha?: number }): Tensor;
    sub(other: TensorLike, opts?: { alpha?: number }): Tensor;
    mul(other: TensorLike): Tensor;
    div(other: TensorLike): Tensor;
    neg(): Tensor;
    pow(exponent: TensorLike): Tensor;
    log(): Tensor;
  }
}

Tensor.prototype.add = function (o: TensorLike, opts?: { alpha?: number }) {
  return add(this, o, opts);
};
Tensor.prototype.sub = function (o: TensorLike, opts?: { alpha?: number }) {
  return sub(this, o, opts);
};
Tensor.prototype.mul = function (o: TensorLike) {
  return mul(this, o);
};
Tensor.prototype.div = function (o: TensorLike) {
  return div(this, o);
};
Tensor.prototype.neg = function () {
  return neg(this);
};
Tensor.prototype.pow = function (e: TensorLike) {
  return pow(this, e);
};
Tensor.prototype.log = function () {
  return log(this);
};
