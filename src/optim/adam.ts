import { add, div, mul, neg } from '../ops/arith.js';
import { maximum } from '../ops/compare.js';
import { sqrt } from '../ops/unary.js';
import type { Tensor } from '../tensor/tensor.js';
import type { ParamGroup, ParamState, Params } from './optimizer.js';
import { Optimizer, filledLike } from './optimizer.js';
import { checkOption } from './validate.js';

export interface AdamOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  maximize: boolean;
}

function validateAdam(cls: string, o: Partial<AdamOptions>): void {
  checkOption(cls, 'lr', o.lr);
  checkOption(cls, 'eps', o.eps);
  const betas = o.betas ?? [0.9, 0.999];
  checkOption(cls, 'betas[0]', betas[0], { max: 1 });
  checkOption(cls, 'betas[1]', betas[1], { max: 1 });
  checkOption(cls, 'weightDecay', o.weightDecay);
}

/**
 * The Adam update of PyTorch 1.13 (non-foreach): moments m, v with bias correction, denominator
 * √v̂ + eps; `decoupled` is AdamW's p ← p·(1 − lr·weightDecay) instead of an L2 term in the gradient.
 */
function adamUpdate(
  p: Tensor,
  grad: Tensor,
  st: ParamState,
  g: ParamGroup<AdamOptions>,
  decoupled: boolean,
): void {
  if (st.step === undefined) {
    st.step = 0;
    st.exp_avg = filledLike(p, 0);
    st.exp_avg_sq = filledLike(p, 0);
    if (g.amsgrad) st.max_exp_avg_sq = filledLike(p, 0);
  }
  const step = (st.step as number) + 1;
  st.step = step;
  const [beta1, beta2] = g.betas;
  if (fusedStep(p, grad, st, g, decoupled, step)) return;
  let gr = g.maximize ? neg(grad) : grad;
  if (decoupled) p.mul_(1 - g.lr * g.weightDecay);
  else if (g.weightDecay !== 0) gr = add(gr, mul(p, g.weightDecay));
  const expAvg = add(mul(st.exp_avg as Tensor, beta1), mul(gr, 1 - beta1));
  const expAvgSq = add(mul(st.exp_avg_sq as Tensor, beta2), mul(mul(gr, gr), 1 - beta2));
  st.exp_avg = expAvg;
  st.exp_avg_sq = expAvgSq;
  const stepSize = g.lr / (1 - beta1 ** step);
  const bc2Sqrt = Math.sqrt(1 - beta2 ** step);
  let second = expAvgSq;
  if (g.amsgrad) {
    // The running maximum of the second moments; created here too if amsgrad was turned on later.
    second = maximum((st.max_exp_avg_sq as Tensor | undefined) ?? filledLike(p, 0), expAvgSq);
    st.max_exp_avg_sq = second;
  }
  const denom = add(div(sqrt(second), bc2Sqrt), g.eps);
  p.add_(div(mul(expAvg, -stepSize), denom));
}

/**
 * The same update by the backend's fused kernel, in place and without temporaries, where it has one
 * (AMSGrad's running maximum included). Returns false to compose ops.
 */
function fusedStep(
  p: Tensor,
  grad: Tensor,
  st: ParamState,
  g: ParamGroup<AdamOptions>,
  decoupled: boolean,
  step: number,
): boolean {
  const be = p.storage.backend;
  const m = st.exp_avg as Tensor;
  const v = st.exp_avg_sq as Tensor;
  if (g.amsgrad && !st.max_exp_avg_sq) st.max_exp_avg_sq = filledLike(p, 0);
  const vmax = g.amsgrad ? (st.max_exp_avg_sq as Tensor) : null;
  const same = [grad, m, v, ...(vmax ? [vmax] : [])].every(
    (t) => t.storage.backend === be && t.dtype === p.dtype,
  );
  if (!be.adamStep || !same) return false;
  const [beta1, beta2] = g.betas;
  be.adamStep(
    p.storage,
    grad.storage,
    m.storage,
    v.storage,
    {
      lr: g.lr,
      beta1,
      beta2,
      eps: g.eps,
      weightDecay: g.weightDecay,
      decoupled,
      maximize: g.maximize,
      step,
    },
    vmax?.storage ?? null,
  );
  if (vmax) vmax.storage.version++;
  // In-place writes: a graph that saved these tensors must notice (version counters).
  p.storage.version++;
  m.storage.version++;
  v.storage.version++;
  return true;
}

/** Adam (Kingma & Ba) with L2 weight decay added to the gradient, AMSGrad and maximization. */
export class Adam extends Optimizer<AdamOptions> {
  constructor(params: Params<AdamOptions>, opts: Partial<AdamOptions> = {}) {
    super(params, {
      lr: opts.lr ?? 1e-3,
      betas: opts.betas ?? [0.9, 0.999],
      eps: opts.eps ?? 1e-8,
      weightDecay: opts.weightDecay ?? 0,
      amsgrad: opts.amsgrad ?? false,
      maximize: opts.maximize ?? false,
    });
  }

  /** AdamW decays the weights directly instead of adding the decay to the gradient. */
  protected decoupled(): boolean {
    return false;
  }

  protected validate(o: Partial<AdamOptions>): void {
    validateAdam(this.constructor.name, o);
  }

  protected update(p: Tensor, grad: Tensor, st: ParamState, g: ParamGroup<AdamOptions>): void {
    adamUpdate(p, grad, st, g, this.decoupled());
  }
}

/** Adam with decoupled weight decay (Loshchilov & Hutter); weightDecay defaults to 0.01. */
export class AdamW extends Adam {
  constructor(params: Params<AdamOptions>, opts: Partial<AdamOptions> = {}) {
    super(params, { ...opts, weightDecay: opts.weightDecay ?? 1e-2 });
  }

  protected override decoupled(): boolean {
    return true;
  }
}
