import { isFloating } from '../tensor/dtype.js';
import { AutogradError, fmtShape } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkAnomaly, isAnomalyEnabled } from './anomaly.js';
import { isGradEnabled } from './grad-mode.js';
import type { BackwardFn, Edge } from './node.js';
import { Node } from './node.js';

// Recorded in-place writes per storage, and the count each tensor's history reflects: a view made
// before its storage was rewritten has a stale gradFn, and using it would give wrong gradients.
const rewrites = new WeakMap<object, number>();
const historyAt = new WeakMap<Tensor, number>();

/** Called by in-place ops that record: x's history is current, other tensors on its storage are stale. */
export function markRewritten(x: Tensor): void {
  const n = (rewrites.get(x.storage) ?? 0) + 1;
  rewrites.set(x.storage, n);
  historyAt.set(x, n);
}

function edgeOf(t: Tensor, op: string): Edge {
  if (!t.requiresGrad) return null;
  if (t.gradFn) {
    if ((rewrites.get(t.storage) ?? 0) !== (historyAt.get(t) ?? 0)) {
      throw new AutogradError(
        `${op}: an input of shape ${fmtShape(t.shape)} shares its storage with a tensor that was modified by ` +
          'an in-place operation after it was made, so its gradient would be wrong; take views after ' +
          'in-place updates, or clone() first',
      );
    }
    return { node: t.gradFn, index: t.outputIndex };
  }
  return { leaf: t };
}

/** The caller's stack, deep enough to reach user code past the frames of composite ops. */
function forwardStack(): string | undefined {
  const prev = Error.stackTraceLimit;
  Error.stackTraceLimit = 40;
  try {
    // Drop the message line and the frames of forwardStack and recordMulti.
    return new Error().stack?.split('\n').slice(3).join('\n');
  } finally {
    Error.stackTraceLimit = prev;
  }
}

/**
 * Records an op with several outputs on the tape: when grad mode is on and an input requires grad,
 * the floating-point outputs get a node whose backward maps output gradients to input gradients.
 * `saved` lists the tensors the backward closure reads, so in-place changes to them are detected.
 */
export function recordMulti(
  name: string,
  inputs: readonly Tensor[],
  outputs: Tensor[],
  backward: BackwardFn,
  saved: readonly Tensor[] = [],
): Tensor[] {
  if (isAnomalyEnabled()) checkAnomaly('forward', name, inputs, outputs);
  if (!isGradEnabled() || !inputs.some((t) => t.requiresGrad)) return outputs;
  const node = new Node(
    name,
    backward,
    inputs.map((t) => edgeOf(t, name)),
    saved.map((tensor) => ({ tensor, version: tensor.version })),
    outputs.map((t) => ({ shape: t.shape, dtype: t.dtype, backend: t.storage.backend })),
  );
  if (isAnomalyEnabled()) node.forwardStack = forwardStack();
  outputs.forEach((t, i) => {
    if (!isFloating(t.dtype)) return;
    const n = rewrites.get(t.storage);
    if (n) historyAt.set(t, n);
    t.gradFn = node;
    t.outputIndex = i;
    t.requiresGrad = true;
  });
  return outputs;
}

/** Records a single-output op; the local derivative sits beside the forward in each op's file. */
export function record(
  name: string,
  inputs: readonly Tensor[],
  out: Tensor,
  backward: (grad: Tensor) => readonly (Tensor | null | undefined)[],
  saved: readonly Tensor[] = [],
): Tensor {
  return recordMulti(name, inputs, [out], (grads) => backward(grads[0]), saved)[0];
}
