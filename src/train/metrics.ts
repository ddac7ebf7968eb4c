import { ShapeError, fmtShape } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { noGrad } from '../autograd/grad-mode.js';

/** Share of rows whose highest score is the target class (targets: int32 class indices). */
export function accuracy(logits: Tensor, targets: Tensor): number {
  return topKAccuracy(logits, targets, 1);
}

/** Share of rows whose target class is among the k highest scores. */
export function topKAccuracy(logits: Tensor, targets: Tensor, k: number): number {
  if (logits.ndim !== 2 || targets.ndim !== 1 || logits.shape[0] !== targets.shape[0]) {
    throw new ShapeError(
      `accuracy: expected scores [N, C] and int32 targets [N], got ${fmtShape(logits.shape)} and ${fmtShape(targets.shape)}`,
    );
  }
  if (logits.shape[0] === 0) return 0;
  return noGrad(() => {
    const top = k === 1 ? logits.argmax(1, true) : logits.topk(k, 1)[1];
    const hit = top
      .eq(targets.reshape([-1, 1]))
      .sum(1)
      .gt(0);
    return (hit.sum().item() as number) / targets.shape[0];
  });
}
