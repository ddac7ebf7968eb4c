import type { UnaryOp } from '../backend/backend.js';
import { record } from '../autograd/record.js';
import { isFloating } from '../tensor/dtype.js';
import { zerosLike } from '../tensor/create.js';
import { Tensor } from '../tensor/tensor.js';
import { isGradEnabled } from '../autograd/grad-mode.js';
import { shapesEqual } from '../tensor/shape.js';
import { div, mul, neg, sub } from './arith.js';
import { le, where } from './compare.js';
import type { TensorLike } from './util.js';
import { asTensor } from './util.js';

type Derivative = (g: Tensor, x: Tensor, out: Tensor) => Tensor | null;

/**
 * Defines an elementwise function with its local derivative beside it. Float-only functions turn
 * integer inputs into float32; `derivative` null means the function is piecewise constant.
 */
function unary(op: UnaryOp, floatOnly: boolean, derivative: Derivative | null): (a: TensorLike) => Tensor {
  return (a: TensorLike) => {
    let x = asTensor(op, a);
    if (floatOnly && !isFloating(x.dtype)) x = asTensor(op, x, 'float32');
    const out = new Tensor(x.storage.backend.unary(op, x.storage, x.dtype), x.shape);
    if (!isFloating(x.dtype)) return out;
    // Piecewise constant: the gradient is zeros (as in PyTorch), not missing.
    if (derivative === null) return record(op, [x], out, () => [zerosLike(x)]);
    return record(op, [x], out, (g) => [derivative(g, x, out)], [x, out]);
  };
}

const SQRT_PI = Math.sqrt(Math.PI);

export const exp = unary('exp', true, (g, _x, out) => mul(g, out));
export const log1p = unary('log1p', true, (g, x) => div(g, x.add(1)));
export const expm1 = unary('expm1', true, (g, _x, out) => mul(g, out.add(1)));
export const sqrt = unary('sqrt', true, (g, _x, out) => div(g, mul(out, 2)));
export const rsqrt = unary('rsqrt', true, (g, _x, out) => mul(g, mul(out.pow(3), -0.5)));
export const abs = unary('abs', false, (g, x) => mul(g, sign(x)));
export const sign = unary('sign', false, null);
export const sin = unary('sin', true, (g, x) => mul(g, cos(x)));
export const cos = unary('cos', true, (g, x) => neg(mul(g, sin(x))));
export const tanh = unary('tanh', true, (g, _x, out) => mul(g, sub(1, mul(out, out))));
export const sigmoid = unary('sigmoid', true, (g, _x, out) => mul(g, mul(out, sub(1, out))));
/**
 * ReLU's backward: 0 where x ≤ 0, else g (x may be the input or the output: same sign), as PyTorch's
 * threshold_backward (0 there even for an infinite g; a NaN x passes g). The backend's one-pass kernel unless this
 * backward is itself recorded; then differentiable ops.
 */
export function reluBackward(g: Tensor, x: Tensor): Tensor {
  const be = x.storage.backend;
  if (be.reluBackward && !isGradEnabled() && g.storage.backend === be && g.dtype === x.dtype) {
    if (shapesEqual(g.shape, x.shape)) {
      const s = be.reluBackward(g.storage, x.storage, x.shape);
      if (s) return new Tensor(s, x.shape);
    }
  }
  return where(le(x, 0), 0, g);
}
export const relu = unary('relu', false, reluBackward);
export const erf = unary('erf', true, (g, x) => mul(g, mul(exp(neg(mul(x, x))), 2 / SQRT_PI)));
export const floor = unary('floor', false, null);
export const ceil = unary('ceil', false, null);
export const round = unary('round', false, null);
export const reciprocal = unary('reciprocal', true, (g, _x, out) => neg(mul(g, mul(out, out))));

declare module '../tensor/tensor.js' {
  interface Tensor {
    exp(): Tensor;
    log1p(): Tensor;
    expm1(): Tensor;
    sqrt(): Tensor;
    rsqrt(): Tensor;
    abs(): Tensor;
    sign(): Tensor;
    sin(): Tensor;
    cos(): Tensor;
    tanh(): Tensor;
    sigmoid(): Tensor;
    relu(): Tensor;
    erf(): Tensor;
    floor(): Tensor;
    ceil(): Tensor;
    round(): Tensor;
    reciprocal(): Tensor;
  }
}

const methods = {
  exp,
  log1p,
  expm1,
  sqrt,
  rsqrt,
  abs,
  sign,
  sin,
  cos,
  tanh,
  sigmoid,
  relu,
  erf,
  floor,
  ceil,
  round,
  reciprocal,
};
for (const [name, fn] of Object.entries(methods)) {
  Object.defineProperty(Tensor.prototype, name, {
    value: function (this: Tensor) {
      return fn(this);
    },
    writable: true,
    configurable: true,
  });
}
