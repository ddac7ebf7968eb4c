/**
 * Loss functions under PyTorch's torch.nn.functional names (camelCase): input and target come first,
 * the keywords (reduction, weight, beta, ...) in an options object. The values and gradients follow
 * PyTorch 1.13's formulas; each one is composed of differentiable ops, so gradients of any order work.
 */
import { noGrad } from '../../autograd/grad-mode.js';
import { record } from '../../autograd/record.js';
import { Tensor } from '../../tensor/tensor.js';
import { add, div, log, mul, neg, sub } from '../../ops/arith.js';
import { clamp, eq, lt, where } from '../../ops/compare.js';
import { sum } from '../../ops/reduce.js';
import { logSigmoid } from '../../ops/activation.js';
import { abs, exp } from '../../ops/unary.js';
import type { Reduction } from './loss-util.js';
import { checkNumber, checkPair, checkReduction, checkWeight, reduce } from './loss-util.js';

export type { Reduction } from './loss-util.js';
export { nllLoss, crossEntropy } from './loss-classification.js';
export type { NLLLossOptions, CrossEntropyOptions } from './loss-classification.js';

export interface ReductionOptions {
  /** 'mean' (default) averages over all elements, 'sum' adds them, 'none' keeps them. */
  reduction?: Reduction;
}

function reductionOf(op: string, opts: ReductionOptions): Reduction {
  const r = opts.reduction ?? 'mean';
  checkReduction(op, r);
  return r;
}

/** Mean squared error: (input − target)². */
export function mseLoss(input: Tensor, target: Tensor, opts: ReductionOptions = {}): Tensor {
  const [x, y] = checkPair('mseLoss', input, target);
  const d = sub(x, y);
  return reduce(mul(d, d), reductionOf('mseLoss', opts));
}

/** Mean absolute error: |input − target| (the gradient at 0 is 0, as in PyTorch). */
export function l1Loss(input: Tensor, target: Tensor, opts: ReductionOptions = {}): Tensor {
  const [x, y] = checkPair('l1Loss', input, target);
  return reduce(abs(sub(x, y)), reductionOf('l1Loss', opts));
}

/** ½d²/beta where |d| < beta, else |d| − ½beta, with d = input − target; beta 0 is the L1 loss. */
export function smoothL1Loss(
  input: Tensor,
  target: Tensor,
  opts: ReductionOptions & { beta?: number } = {},
): Tensor {
  const op = 'smoothL1Loss';
  const [x, y] = checkPair(op, input, target);
  const reduction = reductionOf(op, opts);
  const beta = checkNumber(op, 'beta', opts.beta ?? 1, 0);
  const d = sub(x, y);
  const z = abs(d);
  if (beta === 0) return reduce(z, reduction);
  return reduce(where(lt(z, beta), div(mul(mul(d, d), 0.5), beta), sub(z, 0.5 * beta)), reduction);
}

/** ½d² where |d| < delta, else delta·(|d| − ½delta), with d = input − target. */
export function huberLoss(
  input: Tensor,
  target: Tensor,
  opts: ReductionOptions & { delta?: number } = {},
): Tensor {
  const op = 'huberLoss';
  const [x, y] = checkPair(op, input, target);
  const reduction = reductionOf(op, opts);
  const delta = checkNumber(op, 'delta', opts.delta ?? 1, Number.MIN_VALUE);
  const d = sub(x, y);
  const z = abs(d);
  return reduce(where(lt(z, delta), mul(mul(d, d), 0.5), mul(sub(z, 0.5 * delta), delta)), reduction);
}

/** ln x clamped below at −100, so that a probability of exactly 0 or 1 gives a finite loss (PyTorch's rule). */
function clampedLog(x: Tensor): Tensor {
  return clamp(log(x), -100);
}

/**
 * −[y·ln x + (1 − y)·ln(1 − x)] elementwise. The gradient is PyTorch's (x − y)/max(x(1 − x), 1e-12),
 * finite also at x = 0 or 1 where the clamped logs have none.
 */
function bceTerms(x: Tensor, y: Tensor): Tensor {
  const out = noGrad(() => neg(add(mul(y, clampedLog(x)), mul(sub(1, y), clampedLog(sub(1, x))))));
  return record(
    'binaryCrossEntropy',
    [x, y],
    out,
    (g) => [
      x.requiresGrad ? mul(g, div(sub(x, y), clamp(mul(x, sub(1, x)), 1e-12))) : null,
      y.requiresGrad ? mul(g, sub(clampedLog(sub(1, x)), clampedLog(x))) : null,
    ],
    [x, y],
  );
}

export interface BCEOptions extends ReductionOptions {
  /** Rescales each element's loss; broadcast to the input's shape. */
  weight?: Tensor | null;
}

/**
 * Binary cross-entropy between probabilities `input` (in [0, 1]) and targets of the same shape. The
 * logs are clamped at −100 as in PyTorch. Prefer binaryCrossEntropyWithLogits on raw scores.
 */
export function binaryCrossEntropy(input: Tensor, target: Tensor, opts: BCEOptions = {}): Tensor {
  const op = 'binaryCrossEntropy';
  const [x, y0] = checkPair(op, input, target);
  const reduction = reductionOf(op, opts);
  const w = checkWeight(op, opts.weight, x.shape);
  const y = y0.dtype === x.dtype ? y0 : y0.to(x.dtype);
  const loss = bceTerms(x, y);
  return reduce(w ? mul(loss, w) : loss, reduction);
}

export interface BCEWithLogitsOptions extends BCEOptions {
  /** Weight of the positive examples, broadcast along the last dims (e.g. one per class). */
  posWeight?: Tensor | null;
}

/**
 * Sigmoid and binary cross-entropy in one stable step: (1 − y)·x − lw·ln σ(x) with the log-weight
 * lw = 1 + (posWeight − 1)·y (PyTorch's formula), which never overflows for large |x|.
 */
export function binaryCrossEntropyWithLogits(
  input: Tensor,
  target: Tensor,
  opts: BCEWithLogitsOptions = {},
): Tensor {
  const op = 'binaryCrossEntropyWithLogits';
  const [x, y] = checkPair(op, input, target);
  const reduction = reductionOf(op, opts);
  const w = checkWeight(op, opts.weight, x.shape);
  const pw = checkWeight(op, opts.posWeight, x.shape, 'posWeight');
  const logWeight = pw ? add(mul(sub(pw, 1), y), 1) : null;
  const ls = logSigmoid(x);
  let loss = sub(mul(sub(1, y), x), logWeight ? mul(logWeight, ls) : ls);
  if (w) loss = mul(loss, w);
  return reduce(loss, reduction);
}

export interface KLDivOptions {
  /** 'mean' (PyTorch's default, an average over all elements), 'batchmean' (the true KL divergence: sum / batch size), 'sum' or 'none'. */
  reduction?: Reduction | 'batchmean';
  /** The target holds log-probabilities instead of probabilities. */
  logTarget?: boolean;
}

/**
 * Kullback–Leibler divergence with `input` as log-probabilities: target·(ln target − input), taken as
 * 0 where target is 0 (PyTorch's xlogy), or e^target·(target − input) with logTarget.
 */
export function klDiv(input: Tensor, target: Tensor, opts: KLDivOptions = {}): Tensor {
  const op = 'klDiv';
  const [x, y] = checkPair(op, input, target);
  const reduction = opts.reduction ?? 'mean';
  checkReduction(op, reduction, ['batchmean']);
  let loss: Tensor;
  if (opts.logTarget) {
    loss = mul(exp(y), sub(y, x));
  } else {
    const zero = eq(y, 0);
    const xlogy = where(zero, 0, mul(y, log(where(zero, 1, y))));
    loss = sub(xlogy, mul(y, x));
  }
  if (reduction === 'batchmean') {
    const total = sum(loss);
    return x.ndim === 0 ? total : div(total, x.shape[0]);
  }
  return reduce(loss, reduction);
}
