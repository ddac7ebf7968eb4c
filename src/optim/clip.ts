/**
 * Gradient clipping (PyTorch's torch.nn.utils.clip_grad_norm_ / clip_grad_value_). Both change the
 * gradients in place, between backward() and step().
 */
import { noGrad } from '../autograd/grad-mode.js';
import { add, div } from '../ops/arith.js';
import { clamp } from '../ops/compare.js';
import '../ops/inplace.js';
import { stack } from '../ops/join.js';
import { amax } from '../ops/reduce.js';
import { norm } from '../ops/softmax.js';
import { abs } from '../ops/unary.js';
import { scalar } from '../tensor/create.js';
import { promoteTypes } from '../tensor/dtype.js';
import { AutogradError, BackendError, IndexError } from '../tensor/errors.js';
import { Tensor } from '../tensor/tensor.js';

function gradsOf(params: Iterable<Tensor> | Tensor): Tensor[] {
  const list = params instanceof Tensor ? [params] : [...params];
  return list.map((p) => p.grad).filter((g): g is Tensor => g !== null);
}

/**
 * Scales all gradients together so that their joint normType-norm (the norm of the per-parameter
 * norms; Infinity for the max-norm) is at most maxNorm: g ← g · min(1, maxNorm / (total + 1e-6)).
 * Returns the total norm before clipping as a 0-d tensor. With errorIfNonfinite a NaN or infinite
 * norm throws (this reads the norm on the host; on WebGPU use clipGradNormAsync).
 */
export function clipGradNorm(
  params: Iterable<Tensor> | Tensor,
  maxNorm: number,
  normType = 2,
  opts: { errorIfNonfinite?: boolean } = {},
): Tensor {
  const grads = checkedGrads(params, maxNorm);
  if (grads.length === 0) return scalar(0);
  const total = totalNorm(grads, normType);
  if (opts.errorIfNonfinite) {
    if (!total.storage.backend.canReadSync) {
      throw new BackendError(
        `clipGradNorm: errorIfNonfinite reads the norm, which the '${total.backendName}' backend cannot do ` +
          "synchronously; use 'await clipGradNormAsync(...)' instead",
      );
    }
    checkFinite(total.item() as number, normType);
  }
  scaleGrads(grads, total, maxNorm);
  return total;
}

/**
 * clipGradNorm for backends that read only asynchronously (WebGPU), where errorIfNonfinite must
 * await the norm; the same on every backend otherwise. Without errorIfNonfinite nothing is read.
 */
export async function clipGradNormAsync(
  params: Iterable<Tensor> | Tensor,
  maxNorm: number,
  normType = 2,
  opts: { errorIfNonfinite?: boolean } = {},
): Promise<Tensor> {
  const grads = checkedGrads(params, maxNorm);
  if (grads.length === 0) return scalar(0);
  const total = totalNorm(grads, normType);
  if (opts.errorIfNonfinite) checkFinite((await total.itemAsync()) as number, normType);
  scaleGrads(grads, total, maxNorm);
  return total;
}

function checkedGrads(params: Iterable<Tensor> | Tensor, maxNorm: number): Tensor[] {
  if (typeof maxNorm !== 'number' || Number.isNaN(maxNorm)) {
    throw new IndexError(`clipGradNorm: maxNorm must be a number, got ${String(maxNorm)}`);
  }
  return gradsOf(params);
}

function totalNorm(grads: Tensor[], normType: number): Tensor {
  return noGrad(() => {
    const dt = grads.reduce((d, g) => promoteTypes(d, g.dtype), grads[0].dtype);
    if (normType === Infinity) {
      const norms = grads.map((g) => amax(abs(g)).to(dt));
      return norms.length === 1 ? norms[0] : amax(stack(norms));
    }
    return norm(stack(grads.map((g) => norm(g, normType).to(dt))), normType);
  });
}

function checkFinite(total: number, normType: number): void {
  if (!Number.isFinite(total)) {
    throw new AutogradError(
      `clipGradNorm: the total norm of order ${normType} of the gradients is non-finite (${String(total)}), ` +
        'so it cannot be clipped',
    );
  }
}

function scaleGrads(grads: Tensor[], total: Tensor, maxNorm: number): void {
  noGrad(() => {
    const coef = clamp(div(maxNorm, add(total, 1e-6)), null, 1);
    for (const g of grads) g.mul_(coef.to(g.dtype));
  });
}

/** Clamps every gradient element into [−clipValue, clipValue], in place. */
export function clipGradValue(params: Iterable<Tensor> | Tensor, clipValue: number): void {
  if (typeof clipValue !== 'number' || Number.isNaN(clipValue)) {
    throw new IndexError(`clipGradValue: clipValue must be a number, got ${String(clipValue)}`);
  }
  noGrad(() => {
    for (const g of gradsOf(params)) g.clamp_(-clipValue, clipValue);
  });
}
