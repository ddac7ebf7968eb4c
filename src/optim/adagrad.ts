import { add, div, mul, neg } from '../ops/arith.js';
import { sqrt } from '../ops/unary.js';
import type { Tensor } from '../tensor/tensor.js';
import type { ParamGroup, ParamGroupInput, ParamState, Params } from './optimizer.js';
import { Optimizer, filledLike } from './optimizer.js';
import { checkOption } from './validate.js';

export interface AdagradOptions {
  lr: number;
  lrDecay: number;
  weightDecay: number;
  initialAccumulatorValue: number;
  eps: number;
  maximize: boolean;
}

/**
 * Adagrad: the sum of squared gradients divides each step, p ← p − clr·g / (√Σg² + eps), with the
 * decayed rate clr = lr / (1 + (step − 1)·lrDecay). State is created for every parameter up front,
 * as PyTorch does.
 */
export class Adagrad extends Optimizer<AdagradOptions> {
  constructor(params: Params<AdagradOptions>, opts: Partial<AdagradOptions> = {}) {
    super(params, {
      lr: opts.lr ?? 1e-2,
      lrDecay: opts.lrDecay ?? 0,
      weightDecay: opts.weightDecay ?? 0,
      initialAccumulatorValue: opts.initialAccumulatorValue ?? 0,
      eps: opts.eps ?? 1e-10,
      maximize: opts.maximize ?? false,
    });
  }

  protected validate(o: Partial<AdagradOptions>): void {
    for (const k of ['lr', 'lrDecay', 'weightDecay', 'initialAccumulatorValue', 'eps'] as const) {
      checkOption('Adagrad', k, o[k]);
    }
  }

  override addParamGroup(group: ParamGroupInput<AdagradOptions>): void {
    super.addParamGroup(group);
    const g = this.paramGroups[this.paramGroups.length - 1];
    for (const p of g.params) this.state.set(p, { step: 0, sum: filledLike(p, g.initialAccumulatorValue) });
  }

  protected update(p: Tensor, grad: Tensor, st: ParamState, g: ParamGroup<AdagradOptions>): void {
    const step = ((st.step as number | undefined) ?? 0) + 1;
    st.step = step;
    let gr = g.maximize ? neg(grad) : grad;
    if (g.weightDecay !== 0) gr = add(gr, mul(p, g.weightDecay));
    const clr = g.lr / (1 + (step - 1) * g.lrDecay);
    const sum = add((st.sum as Tensor | undefined) ?? filledLike(p, g.initialAccumulatorValue), mul(gr, gr));
    st.sum = sum;
    p.add_(div(mul(gr, -clr), add(sqrt(sum), g.eps)));
  }
}
