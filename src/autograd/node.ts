import type { Backend } from '../backend/backend.js';
import type { DType } from '../tensor/dtype.js';
import type { Tensor } from '../tensor/tensor.js';

/** Where the gradient of one input goes: the node that made it, a leaf to accumulate into, or nowhere. */
export type Edge = { node: Node; index: number } | { leaf: Tensor } | null;

/** Computes the gradients of the inputs from those of the outputs (null where an input needs none). */
export type BackwardFn = (grads: Tensor[]) => readonly (Tensor | null | undefined)[];

export interface SavedRecord {
  tensor: Tensor;
  version: number;
}

/** One recorded operation in the tape: a vertex of the backward graph. */
export class Node {
  /** Set when the graph was freed by a backward pass without retainGraph. */
  released = false;
  /** Stack of the forward call, captured in anomaly mode to say where a bad gradient came from. */
  forwardStack?: string;
  /** Non-leaf outputs whose .grad should be kept (retainGrad). */
  retained?: Map<number, WeakRef<Tensor>>;

  constructor(
    readonly name: string,
    public backwardFn: BackwardFn | null,
    readonly edges: readonly Edge[],
    public saved: readonly SavedRecord[],
    readonly outputs: readonly { shape: readonly number[]; dtype: DType; backend: Backend }[],
  ) {}

  release(): void {
    this.backwardFn = null;
    this.saved = [];
    this.released = true;
  }
}
