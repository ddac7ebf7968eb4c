import { add, mul, neg } from '../ops/arith.js';
import { clone } from '../ops/convert.js';
import { IndexError } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import type { ParamGroup, ParamState, Params } from './optimizer.js';
import { Optimizer } from './optimizer.js';
import { checkOption } from './validate.js';

export interface SGDOptions {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  maximize: boolean;
}

/**
 * Stochastic gradient descent with optional momentum (PyTorch's form: v ← μv + (1 − dampening)·g,
 * p ← p − lr·v), Nesterov momentum, L2 weight decay and maximization. lr has no default.
 */
export class SGD extends Optimizer<SGDOptions> {
  constructor(params: Params<SGDOptions>, opts: Partial<SGDOptions> = {}) {
    super(params, {
      lr: opts.lr as number,
      momentum: opts.momentum ?? 0,
      dampening: opts.dampening ?? 0,
      weightDecay: opts.weightDecay ?? 0,
      nesterov: opts.nesterov ?? false,
      maximize: opts.maximize ?? false,
    });
  }

  protected validate(o: Partial<SGDOptions>): void {
    checkOption('SGD', 'lr', o.lr, { optional: true });
    checkOption('SGD', 'momentum', o.momentum);
    checkOption('SGD', 'weightDecay', o.weightDecay);
    if (o.nesterov && ((o.momentum ?? 0) <= 0 || (o.dampening ?? 0) !== 0)) {
      throw new IndexError('SGD: Nesterov momentum requires a momentum and zero dampening');
    }
  }

  protected update(p: Tensor, grad: Tensor, st: ParamState, g: ParamGroup<SGDOptions>): void {
    let d = g.maximize ? neg(grad) : grad;
    if (g.weightDecay !== 0) d = add(d, mul(p, g.weightDecay));
    if (g.momentum !== 0) {
      const prev = st.momentum_buffer as Tensor | undefined;
      // The first buffer is a copy: d may be the gradient itself, which zeroGrad can zero in place.
      const buf = prev ? add(mul(prev, g.momentum), d, { alpha: 1 - g.dampening }) : clone(d);
      st.momentum_buffer = buf;
      d = g.nesterov ? add(d, mul(buf, g.momentum)) : buf;
    }
    p.add_(mul(d, -g.lr));
  }
}
