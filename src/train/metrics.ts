import { ShapeError, fmtShape } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { noGrad } from '../autograd/grad-mode.js';

/** Share of rows whose highest score is the target class (targets: int32 class indices). */
export function accuracy(logits: Tensor, targets: Tensor): number {
  return topKAccuracy(logits, targets, 1);
}

/** Share of rows whose target class is among the k highest scores. */
export function topKAccuracy(logits: Tensor, targets: Tensor, k: number): number {
  checkShapes(logits, targets);
  if (logits.shape[0] === 0) return 0;
  return (hits(logits, targets, k).item() as number) / targets.shape[0];
}

/** accuracy, read asynchronously: works on every backend, WebGPU included. */
export function accuracyAsync(logits: Tensor, targets: Tensor): Promise<number> {
  return topKAccuracyAsync(logits, targets, 1);
}

/** topKAccuracy, read asynchronously: works on every backend, WebGPU included. */
export async function topKAccuracyAsync(logits: Tensor, targets: Tensor, k: number): Promise<number> {
  checkShapes(logits, targets);
  if (logits.shape[0] === 0) return 0;
  // The count is built (and its read queued) before the first await, so inside the caller's noGrad.
  const count = hits(logits, targets, k).itemAsync();
  return ((await count) as number) / targets.shape[0];
}

function checkShapes(logits: Tensor, targets: Tensor): void {
  if (logits.ndim !== 2 || targets.ndim !== 1 || logits.shape[0] !== targets.shape[0]) {
    throw new ShapeError(
      `accuracy: expected scores [N, C] and int32 targets [N], got ${fmtShape(logits.shape)} and ${fmtShape(targets.shape)}`,
    );
  }
}

/** The number of rows whose target is among the k highest scores, as a 0-d tensor on their backend. */
function hits(logits: Tensor, targets: Tensor, k: number): Tensor {
  return noGrad(() => {
    const top = k === 1 ? logits.argmax(1, true) : logits.topk(k, 1)[1];
    return top
      .eq(targets.reshape([-1, 1]))
      .sum(1)
      .gt(0)
      .sum();
  });
}
