import type { Tensor } from '../tensor/tensor.js';
import { noGrad } from './grad-mode.js';

/**
 * Clears the gradients of tensors: to null (PyTorch's default set_to_none), or to zeros in place,
 * detached first so that a gradient made with createGraph does not keep its graph alive.
 */
export function zeroGrads(tensors: Iterable<Tensor>, setToNone = true): void {
  for (const p of tensors) {
    if (!p.grad) continue;
    if (setToNone) {
      p.grad = null;
      continue;
    }
    if (p.grad.gradFn) p.grad = p.grad.detach();
    noGrad(() => p.grad!.zero_());
  }
}
