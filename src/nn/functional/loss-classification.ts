/** Negative log-likelihood and cross-entropy (class indices or class probabilities), as in PyTorch 1.13. */
import { isFloating } from '../../tensor/dtype.js';
import { DTypeError, IndexError, ShapeError, fmtShape } from '../../tensor/errors.js';
import { shapesEqual } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import { add, div, mul, neg } from '../../ops/arith.js';
import { eq, lt, where } from '../../ops/compare.js';
import { gather, indexSelect } from '../../ops/gather.js';
import { sum } from '../../ops/reduce.js';
import { reshape, squeeze, unsqueeze } from '../../ops/shape.js';
import { logSoftmax } from '../../ops/softmax.js';
import type { Reduction } from './loss-util.js';
import { checkFloatTensor, checkNumber, checkReduction } from './loss-util.js';

export interface NLLLossOptions {
  /** One rescaling weight per class (a 1-D tensor of size C). */
  weight?: Tensor | null;
  /** Targets equal to this class index contribute nothing, not even to the mean's denominator. */
  ignoreIndex?: number;
  reduction?: Reduction;
}

export interface CrossEntropyOptions extends NLLLossOptions {
  /** Mixes the target with the uniform distribution: (1 − ε)·target + ε/C. */
  labelSmoothing?: number;
}

interface Setup {
  classDim: number;
  numClasses: number;
  weight: Tensor | null;
  ignoreIndex: number;
  reduction: Reduction;
}

function setup(op: string, input: Tensor, opts: NLLLossOptions): Setup {
  if (input.ndim === 0) {
    throw new ShapeError(`${op}: input must have a class dim: shape [C], [N,C] or [N,C,d1,...], got []`);
  }
  const classDim = input.ndim === 1 ? 0 : 1;
  const numClasses = input.shape[classDim];
  const reduction = opts.reduction ?? 'mean';
  checkReduction(op, reduction);
  const ignoreIndex = opts.ignoreIndex ?? -100;
  if (!Number.isInteger(ignoreIndex)) {
    throw new IndexError(`${op}: ignoreIndex must be an integer, got ${String(ignoreIndex)}`);
  }
  let weight: Tensor | null = null;
  if (opts.weight !== undefined && opts.weight !== null) {
    weight = checkFloatTensor(op, opts.weight, 'weight');
    if (weight.ndim !== 1 || weight.shape[0] !== numClasses) {
      throw new ShapeError(
        `${op}: weight must be a 1-D tensor with one entry per class (${numClasses}), got shape ${fmtShape(weight.shape)}`,
      );
    }
  }
  return { classDim, numClasses, weight, ignoreIndex, reduction };
}

/** The target shape that class indices must have for this input: [] for [C], else input's minus the class dim. */
function checkIndexTarget(op: string, input: Tensor, target: Tensor): void {
  const expected = input.ndim === 1 ? [] : [input.shape[0], ...input.shape.slice(2)];
  if (!shapesEqual(target.shape, expected)) {
    throw new ShapeError(
      `${op}: class-index target must have shape ${fmtShape(expected)} for input of shape ${fmtShape(input.shape)}, ` +
        `got ${fmtShape(target.shape)}`,
    );
  }
}

/** A weight of shape [C] viewed as [1,C,1,...] so that it broadcasts along the input's class dim. */
function classView(weight: Tensor, input: Tensor, s: Setup): Tensor {
  if (input.ndim === 1) return weight;
  return reshape(
    weight,
    input.shape.map((_, i) => (i === s.classDim ? s.numClasses : 1)),
  );
}

interface Picked {
  /** −w[t]·input[t] per target entry, 0 where ignored. */
  loss: Tensor;
  /** Which entries are ignored; null: none. */
  ignored: Tensor | null;
  /** The mean's denominator, Σ w[t] (or the count) over the entries not ignored; 0 for other reductions. */
  total: Tensor | number;
}

/**
 * Whether every target is a class index in range and none is ignoreIndex, read on the host where
 * the backend reads synchronously: then the masks of ignored entries are not needed (fewer ops per
 * step, the same numbers). Other targets take the general path, which also reports bad indices.
 */
function plainTargets(target: Tensor, s: Setup): boolean {
  if (!target.storage.backend.canReadSync || target.numel() > 1 << 16) return false;
  const t = target.storage.backend.readSync(target.storage);
  for (let i = 0; i < t.length; i++) {
    const v = t[i];
    if (v < 0 || v >= s.numClasses || v === s.ignoreIndex) return false;
  }
  return true;
}

/** Picks the target classes' log-probabilities; out-of-range indices are reported by the gather kernel. */
function pick(op: string, logp: Tensor, target: Tensor, s: Setup): Picked {
  if (!s.weight && plainTargets(target, s)) {
    const picked = squeeze(gather(logp, s.classDim, unsqueeze(target, s.classDim)), s.classDim);
    return { loss: neg(picked), ignored: null, total: picked.numel() };
  }
  const ignored = eq(target, s.ignoreIndex);
  // Ignored entries read class 0 (then masked); other negative indices become C, which is out of range.
  const idx = where(ignored, 0, where(lt(target, 0), s.numClasses, target));
  let picked: Tensor;
  try {
    picked = squeeze(gather(logp, s.classDim, unsqueeze(idx, s.classDim)), s.classDim);
  } catch (e) {
    if (!(e instanceof IndexError)) throw e;
    throw new IndexError(
      `${op}: target holds a class index out of range for ${s.numClasses} classes ` +
        `(valid: 0 to ${s.numClasses - 1}, or ignoreIndex ${s.ignoreIndex})`,
    );
  }
  const wt = s.weight ? reshape(indexSelect(s.weight, 0, reshape(idx, [idx.numel()])), target.shape) : null;
  const loss = where(ignored, 0, neg(wt ? mul(picked, wt) : picked));
  const total = s.reduction === 'mean' ? sum(where(ignored, 0, wt ?? 1).to(loss.dtype)) : 0;
  return { loss, ignored, total };
}

function checkIndexDtype(op: string, target: Tensor): void {
  if (target.dtype !== 'int32') {
    throw new DTypeError(
      `${op}: target must hold class indices as an int32 tensor, got dtype ${target.dtype} (shape ${fmtShape(target.shape)})`,
    );
  }
}

function nllFromLogProbs(op: string, logp: Tensor, target: Tensor, s: Setup): [Tensor, Picked] {
  const p = pick(op, logp, target, s);
  if (s.reduction === 'none') return [p.loss, p];
  if (s.reduction === 'sum') return [sum(p.loss), p];
  // PyTorch's weighted mean: Σ w[tᵢ]·lᵢ / Σ w[tᵢ] over the entries that are not ignored.
  return [div(sum(p.loss), p.total), p];
}

/**
 * Negative log-likelihood of class indices given log-probabilities: input [N,C] (or [C], or
 * [N,C,d1,...]) and an int32 target [N] (or [], or [N,d1,...]).
 */
export function nllLoss(input: Tensor, target: Tensor, opts: NLLLossOptions = {}): Tensor {
  const op = 'nllLoss';
  const x = checkFloatTensor(op, input, 'input');
  const s = setup(op, x, opts);
  if (!(target instanceof Tensor)) throw new DTypeError(`${op}: expected target to be a Tensor`);
  checkIndexDtype(op, target);
  checkIndexTarget(op, x, target);
  return nllFromLogProbs(op, x, target, s)[0];
}

/**
 * Cross-entropy of raw scores (logits) against either int32 class indices (shape as for nllLoss) or
 * floating-point class probabilities of the input's own shape. Equals nllLoss(logSoftmax(input)) for
 * indices; labelSmoothing and the weighted mean follow PyTorch 1.13 exactly.
 */
export function crossEntropy(input: Tensor, target: Tensor, opts: CrossEntropyOptions = {}): Tensor {
  const op = 'crossEntropy';
  const x = checkFloatTensor(op, input, 'input');
  const s = setup(op, x, opts);
  const eps = checkNumber(op, 'labelSmoothing', opts.labelSmoothing ?? 0, 0, 1);
  if (!(target instanceof Tensor)) throw new DTypeError(`${op}: expected target to be a Tensor`);
  const logp = logSoftmax(x, s.classDim);
  if (isFloating(target.dtype)) return probabilityTarget(op, x, logp, target, s, eps);
  checkIndexDtype(op, target);
  checkIndexTarget(op, x, target);
  const [nll, p] = nllFromLogProbs(op, logp, target, s);
  if (eps === 0) return nll;
  const weighted = s.weight ? mul(logp, classView(s.weight, x, s)) : logp;
  const smoothAll = neg(sum(weighted, s.classDim));
  const smooth = p.ignored ? where(p.ignored, 0, smoothAll) : smoothAll;
  let ret: Tensor;
  if (s.reduction === 'none') ret = smooth;
  else if (s.reduction === 'sum') ret = sum(smooth);
  else ret = div(sum(smooth), p.total);
  return add(mul(nll, 1 - eps), mul(ret, eps / s.numClasses));
}

function probabilityTarget(
  op: string,
  x: Tensor,
  logp: Tensor,
  target: Tensor,
  s: Setup,
  eps: number,
): Tensor {
  if (!shapesEqual(target.shape, x.shape)) {
    throw new ShapeError(
      `${op}: a floating-point target holds class probabilities and must have the input's shape ` +
        `${fmtShape(x.shape)}, got ${fmtShape(target.shape)}; pass class indices as an int32 tensor`,
    );
  }
  if (s.ignoreIndex >= 0) {
    throw new IndexError(`${op}: ignoreIndex is not supported for class-probability targets`);
  }
  const t = eps > 0 ? add(mul(target, 1 - eps), eps / s.numClasses) : target;
  let prod = mul(logp, t);
  if (s.weight) prod = mul(prod, classView(s.weight, x, s));
  if (s.reduction === 'none') return neg(sum(prod, s.classDim));
  if (s.reduction === 'sum') return neg(sum(prod));
  return div(neg(sum(prod)), x.numel() / s.numClasses);
}
