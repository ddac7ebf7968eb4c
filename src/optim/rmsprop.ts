import { add, div, mul, neg, sub } from '../ops/arith.js';
import { sqrt } from '../ops/unary.js';
import type { Tensor } from '../tensor/tensor.js';
import type { ParamGroup, ParamState, Params } from './optimizer.js';
import { Optimizer, filledLike } from './optimizer.js';
import { checkOption } from './validate.js';

export interface RMSpropOptions {
  lr: number;
  alpha: number;
  eps: number;
  weightDecay: number;
  momentum: number;
  centered: boolean;
  maximize: boolean;
}

/**
 * RMSprop as PyTorch computes it: v ← αv + (1 − α)g², divided by √v + eps (centered: by
 * √(v − ḡ²) + eps with ḡ the running mean gradient), optionally through a momentum buffer.
 */
export class RMSprop extends Optimizer<RMSpropOptions> {
  constructor(params: Params<RMSpropOptions>, opts: Partial<RMSpropOptions> = {}) {
    super(params, {
      lr: opts.lr ?? 1e-2,
      alpha: opts.alpha ?? 0.99,
      eps: opts.eps ?? 1e-8,
      weightDecay: opts.weightDecay ?? 0,
      momentum: opts.momentum ?? 0,
      centered: opts.centered ?? false,
      maximize: opts.maximize ?? false,
    });
  }

  protected validate(o: Partial<RMSpropOptions>): void {
    for (const k of ['lr', 'eps', 'momentum', 'weightDecay', 'alpha'] as const)
      checkOption('RMSprop', k, o[k]);
  }

  protected update(p: Tensor, grad: Tensor, st: ParamState, g: ParamGroup<RMSpropOptions>): void {
    if (st.step === undefined) {
      st.step = 0;
      st.square_avg = filledLike(p, 0);
      if (g.momentum > 0) st.momentum_buffer = filledLike(p, 0);
      if (g.centered) st.grad_avg = filledLike(p, 0);
    }
    st.step = (st.step as number) + 1;
    let gr = g.maximize ? neg(grad) : grad;
    if (g.weightDecay !== 0) gr = add(gr, mul(p, g.weightDecay));
    const squareAvg = add(mul(st.square_avg as Tensor, g.alpha), mul(mul(gr, gr), 1 - g.alpha));
    st.square_avg = squareAvg;
    let avg: Tensor;
    if (g.centered) {
      const gradAvg = add(
        mul((st.grad_avg as Tensor | undefined) ?? filledLike(p, 0), g.alpha),
        mul(gr, 1 - g.alpha),
      );
      st.grad_avg = gradAvg;
      avg = sqrt(sub(squareAvg, mul(gradAvg, gradAvg)));
    } else {
      avg = sqrt(squareAvg);
    }
    avg = add(avg, g.eps);
    if (g.momentum > 0) {
      const prev = (st.momentum_buffer as Tensor | undefined) ?? filledLike(p, 0);
      const buf = add(mul(prev, g.momentum), div(gr, avg));
      st.momentum_buffer = buf;
      p.add_(mul(buf, -g.lr));
    } else {
      p.add_(div(mul(gr, -g.lr), avg));
    }
  }
}
