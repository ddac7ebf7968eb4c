import type { BinaryOp } from '../backend/backend.js';
import { record } from '../autograd/record.js';
import type { DType } from '../tensor/dtype.js';
import { isFloating } from '../tensor/dtype.js';
import { broadcastShapes } from '../tensor/shape.js';
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
  if (opts.alpha !== undefined && opts.alpha !== 1) return add(a, mul(b, opts.alpha));
  const [x, y, out] = binaryKernel('add', a, b);
  return record('add', [x, y], out, (g) => [sumToShape(g, x.shape), sumToShape(g, y.shape)]);
}

export function sub(a: TensorLike, b: TensorLike, opts: { alpha?: number } = {}): Tensor {
  if (opts.alpha !== undefined && opts.alpha !== 1) return sub(a, mul(b, opts.alpha));
  const [x, y, out] = binaryKernel('sub', a, b);
  return record('sub', [x, y], out, (g) => [sumToShape(g, x.shape), sumToShape(neg(g), y.shape)]);
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
  const out = new Tensor(x.storage.backend.unary('neg', x.storage, x.dtype), x.shape);
  return record('neg', [x], out, (g) => [neg(g)]);
}

/** a to the power b, elementwise with broadcasting. */
export function pow(a: TensorLike, b: TensorLike): Tensor {
  const [x, y, out] = binaryKernel('pow', a, b);
  return record(
    'pow',
    [x, y],
    out,
    (g) => [
      x.requiresGrad ? sumToShape(mul(g, mul(y, pow(x, sub(y, 1)))), x.shape) : null,
      // d(xʸ)/dy = xʸ·ln x, taken as 0 where x = 0 (PyTorch's convention).
      y.requiresGrad ? sumToShape(mul(g, powExponentGrad(x, out)), y.shape) : null,
    ],
    [x, y, out],
  );
}

function powExponentGrad(x: Tensor, out: Tensor): Tensor {
  const [, , isZero] = binaryKernel('eq', x, 0, x.dtype, 'bool');
  const safeLog = new Tensor(
    x.storage.backend.where(
      isZero.storage,
      isZero.shape,
      x.storage.backend.fill(1, 1, x.dtype),
      [],
      x.storage,
      x.shape,
      x.shape,
    ),
    x.shape,
  );
  return mul(out, log(safeLog));
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
