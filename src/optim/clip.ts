/**
 * Gradient clipping (PyTorch's torch.nn.utils.clip_grad_norm_ / clip_grad_value_). Both change the
 * gradients in place, between backward() and step().
 */
import { noGrad } from '../autograd/grad-mode.js';
import { add, div } from '../ops/arith.js';
import { clamp, isfinite } from '../ops/compare.js';
import '../ops/inplace.js';
import { stack } from '../ops/join.js';
import { amax } from '../ops/reduce.js';
import { norm } from '../ops/softmax.js';
import { abs } from '../ops/unary.js';
import { scalar } from '../tensor/create.js';
import { promoteTypes } from '../tensor/dtype.js';
import { AutogradError, IndexError } from '../tensor/errors.js';
import { Tensor } from '../tensor/tensor.js';

function gradsOf(params: Iterable<Tensor> | Tensor): Tensor[] {
  const list = params instanceof Tensor ? [params] : [...params];
  return list.map((p) => p.grad).filter((g): g is Tensor => g !== null);
}

/**
 * Scales all gradients together so that their joint normType-norm (the norm of the per-parameter
 * norms; Infinity for the max-norm) is at most maxNorm: g ← g · min(1, maxNorm / (total + 1e-6)).
 * Returns the total norm before clipping as a 0-d tensor. With errorIfNonfinite a NaN or infinite
 * norm throws (this reads the norm on the host).
 */
export function clipGradNorm(
  params: Iterable<Tensor> | Tensor,
  maxNorm: number,
  normType = 2,
  opts: { errorIfNonfinite?: boolean } = {},
): Tensor {
  if (typeof maxNorm !== 'number' || Number.isNaN(maxNorm)) {
    throw new IndexError(`clipGradNorm: maxNorm must be a number, got ${String(maxNorm)}`);
  }
  const grads = gradsOf(params);
  if (grads.length === 0) return scalar(0);
  return noGrad(() => {
    const dt = grads.reduce((d, g) => promoteTypes(d, g.dtype), grads[0].dtype);
    let total: Tensor;
    if (normType === Infinity) {
      const norms = grads.map((g) => amax(abs(g)).to(dt));
      total = norms.length === 1 ? norms[0] : amax(stack(norms));
    } else {
      total = norm(stack(grads.map((g) => norm(g, normType).to(dt))), normType);
    }
    if (opts.errorIfNonfinite && !isfinite(total).item()) {
      throw new AutogradError(
        `clipGradNorm: the total norm of order ${normType} of the gradients is non-finite (${String(total.item())}), ` +
          'so it cannot be clipped',
      );
    }
    const coef = clamp(div(maxNorm, add(total, 1e-6)), null, 1);
    for (const g of grads) g.mul_(coef.to(g.dtype));
    return total;
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
