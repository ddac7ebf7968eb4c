/**
 * Explicit L1 and L2 penalties to add to a loss, besides the optimizers' weightDecay. Both are
 * differentiable 0-d tensors.
 *
 * Convention: l2Penalty is Σw² without a ½. Adding (λ/2)·l2Penalty(params) to the loss gives the
 * gradient term λ·w, the same as SGD's `weightDecay: λ` (and Adam's coupled weightDecay).
 */
import { add, mul } from '../ops/arith.js';
import { sum } from '../ops/reduce.js';
import { abs } from '../ops/unary.js';
import { scalar } from '../tensor/create.js';
import { DTypeError } from '../tensor/errors.js';
import { Tensor } from '../tensor/tensor.js';

function total(op: string, params: Iterable<Tensor> | Tensor, term: (p: Tensor) => Tensor): Tensor {
  const list = params instanceof Tensor ? [params] : [...params];
  let acc: Tensor | null = null;
  list.forEach((p, i) => {
    if (!(p instanceof Tensor)) throw new DTypeError(`${op}: parameter ${i} is not a Tensor`);
    const t = sum(term(p));
    acc = acc ? add(acc, t) : t;
  });
  return acc ?? scalar(0);
}

/** Σ|w| over every element of every parameter (its gradient is sign(w), 0 at 0). */
export function l1Penalty(params: Iterable<Tensor> | Tensor): Tensor {
  return total('l1Penalty', params, abs);
}

/** Σw² over every element of every parameter (no ½; see the convention above). */
export function l2Penalty(params: Iterable<Tensor> | Tensor): Tensor {
  return total('l2Penalty', params, (p) => mul(p, p));
}
