/**
 * Activation functions (PyTorch's torch.nn.functional names, in camelCase). Each one is composed of
 * differentiable ops, so gradients of any order come for free. Where a branch would overflow (exp of a
 * large value) its argument is clamped first: where() multiplies the unselected branch's gradient by
 * zero, and 0·∞ would be NaN.
 */
import { DTypeError, IndexError } from '../tensor/errors.js';
import { Tensor } from '../tensor/tensor.js';
import { add, binaryKernel, div, mul, neg, sub } from './arith.js';
import { clamp, ge, gt, le, lt, logicalAnd, where } from './compare.js';
import { erf, exp, expm1, log1p, sigmoid, tanh } from './unary.js';
import { checkFloating, checkTensor } from './util.js';

function floatInput(op: string, x: unknown): Tensor {
  const t = checkTensor(op, x);
  checkFloating(op, t);
  return t;
}

function checkNumber(op: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || Number.isNaN(v)) {
    throw new DTypeError(`${op}: ${name} must be a number, got ${String(v)}`);
  }
  return v;
}

/** x where x > 0, else negativeSlope·x (the gradient at 0 is negativeSlope, as in PyTorch). */
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  const t = floatInput('leakyRelu', x);
  const slope = checkNumber('leakyRelu', 'negativeSlope', negativeSlope);
  // x·m + (slope·x)·(1 − m) with the float mask m = [x > 0]: exact in both branches, and every
  // step an elementwise kernel (a where() with a bool mask is slower on the wasm backend).
  const m = binaryKernel('gt', t, 0, t.dtype, t.dtype)[2];
  return add(mul(t, m), mul(mul(t, slope), sub(1, m)));
}

/** x where x > 0, else alpha·(eˣ − 1). */
export function elu(x: Tensor, alpha = 1): Tensor {
  const t = floatInput('elu', x);
  const a = checkNumber('elu', 'alpha', alpha);
  return where(gt(t, 0), t, mul(expm1(clamp(t, null, 0)), a));
}

const SQRT1_2 = Math.SQRT1_2;
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

export type GeluApproximate = 'none' | 'tanh';

/**
 * x·Φ(x) with Φ the standard normal CDF: 'none' is exact (through erf), 'tanh' is the approximation
 * ½x(1 + tanh(√(2/π)(x + 0.044715x³))). The mode may also be given as { approximate }.
 */
export function gelu(
  x: Tensor,
  approximate: GeluApproximate | { approximate?: GeluApproximate } = 'none',
): Tensor {
  const t = floatInput('gelu', x);
  const mode =
    typeof approximate === 'object' && approximate !== null
      ? (approximate.approximate ?? 'none')
      : approximate;
  if (mode === 'none') return mul(mul(t, 0.5), add(erf(mul(t, SQRT1_2)), 1));
  if (mode === 'tanh') {
    const inner = mul(add(t, mul(mul(mul(t, t), t), 0.044715)), SQRT_2_OVER_PI);
    return mul(mul(t, 0.5), add(tanh(inner), 1));
  }
  throw new IndexError(`gelu: approximate must be 'none' or 'tanh', got '${String(mode)}'`);
}

/** x·sigmoid(x) (also called swish). */
export function silu(x: Tensor): Tensor {
  const t = floatInput('silu', x);
  return mul(t, sigmoid(t));
}

/** ln(1 + e^(beta·x))/beta, and x itself where beta·x > threshold (PyTorch's linear regime). */
export function softplus(x: Tensor, beta = 1, threshold = 20): Tensor {
  const t = floatInput('softplus', x);
  const b = checkNumber('softplus', 'beta', beta);
  const th = checkNumber('softplus', 'threshold', threshold);
  const bx = mul(t, b);
  const smooth = div(log1p(exp(clamp(bx, null, th))), b);
  return where(gt(bx, th), t, smooth);
}

/** ln(sigmoid(x)), computed so that neither branch overflows: x − ln(1 + eˣ) below 0, −ln(1 + e⁻ˣ) above. */
export function logSigmoid(x: Tensor): Tensor {
  const t = floatInput('logSigmoid', x);
  const below = sub(t, log1p(exp(clamp(t, null, 0))));
  const above = neg(log1p(exp(neg(clamp(t, 0, null)))));
  return where(lt(t, 0), below, above);
}

/** Clamps into [minVal, maxVal]; the gradient is 1 strictly inside and 0 at or beyond the bounds (as in PyTorch). */
export function hardtanh(x: Tensor, minVal = -1, maxVal = 1): Tensor {
  const t = floatInput('hardtanh', x);
  const lo = checkNumber('hardtanh', 'minVal', minVal);
  const hi = checkNumber('hardtanh', 'maxVal', maxVal);
  if (lo > hi) throw new IndexError(`hardtanh: minVal (${lo}) must not be greater than maxVal (${hi})`);
  const inside = logicalAnd(gt(t, lo), lt(t, hi));
  // The bound values are constants, so the gradient is 0 wherever a bound is chosen.
  return where(inside, t, where(le(t, lo), lo, where(ge(t, hi), hi, t)));
}

/** min(max(x, 0), 6). */
export function relu6(x: Tensor): Tensor {
  return hardtanh(floatInput('relu6', x), 0, 6);
}

declare module '../tensor/tensor.js' {
  interface Tensor {
    leakyRelu(negativeSlope?: number): Tensor;
    elu(alpha?: number): Tensor;
    gelu(approximate?: GeluApproximate | { approximate?: GeluApproximate }): Tensor;
    silu(): Tensor;
    softplus(beta?: number, threshold?: number): Tensor;
    logSigmoid(): Tensor;
    hardtanh(minVal?: number, maxVal?: number): Tensor;
    relu6(): Tensor;
  }
}

Object.assign(Tensor.prototype, {
  leakyRelu(this: Tensor, negativeSlope?: number) {
    return leakyRelu(this, negativeSlope);
  },
  elu(this: Tensor, alpha?: number) {
    return elu(this, alpha);
  },
  gelu(this: Tensor, approximate?: GeluApproximate | { approximate?: GeluApproximate }) {
    return gelu(this, approximate);
  },
  silu(this: Tensor) {
    return silu(this);
  },
  softplus(this: Tensor, beta?: number, threshold?: number) {
    return softplus(this, beta, threshold);
  },
  logSigmoid(this: Tensor) {
    return logSigmoid(this);
  },
  hardtanh(this: Tensor, minVal?: number, maxVal?: number) {
    return hardtanh(this, minVal, maxVal);
  },
  relu6(this: Tensor) {
    return relu6(this);
  },
});
