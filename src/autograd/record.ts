import { isFloating } from '../tensor/dtype.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkAnomaly, isAnomalyEnabled } from './anomaly.js';
import { isGradEnabled } from './grad-mode.js';
import type { BackwardFn, Edge } from './node.js';
import { Node } from './node.js';

function edgeOf(t: Tensor): Edge {
  if (!t.requiresGrad) return null;
  if (t.gradFn) return { node: t.gradFn, index: t.outputIndex };
  return { leaf: t };
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
    inputs.map(edgeOf),
    saved.map((tensor) => ({ tensor, version: tensor.version })),
    outputs.map((t) => ({ shape: t.shape, dtype: t.dtype })),
  );
  if (isAnomalyEnabled()) node.forwardStack = new Error().stack?.split('\n').slice(2).join('\n');
  outputs.forEach((t, i) => {
    if (!isFloating(t.dtype)) return;
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
