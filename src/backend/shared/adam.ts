import type { TypedArray } from '../../tensor/dtype.js';
import type { AdamHyper } from '../backend.js';

/**
 * One Adam/AdamW step over plain arrays, element by element in the order of PyTorch 1.13's
 * single-tensor Adam (so float64 results equal the composed ops' exactly): no temporaries. With
 * vmax (AMSGrad), the denominator uses the running maximum of v, kept in vmax.
 */
export function adamLoop(
  p: TypedArray,
  g: TypedArray,
  m: TypedArray,
  v: TypedArray,
  h: AdamHyper,
  vmax: TypedArray | null = null,
): void {
  const { lr, beta1, beta2, eps, weightDecay, decoupled, maximize, step } = h;
  const decay = decoupled ? 1 - lr * weightDecay : 1;
  const l2 = decoupled ? 0 : weightDecay;
  const stepSize = lr / (1 - beta1 ** step);
  const bc2Sqrt = Math.sqrt(1 - beta2 ** step);
  const c1 = 1 - beta1;
  const c2 = 1 - beta2;
  for (let i = 0; i < p.length; i++) {
    let pi = p[i];
    let gi = maximize ? -g[i] : g[i];
    if (decoupled) pi *= decay;
    else if (l2 !== 0) gi += pi * l2;
    const mi = m[i] * beta1 + gi * c1;
    const vi = v[i] * beta2 + gi * gi * c2;
    m[i] = mi;
    v[i] = vi;
    // AMSGrad: the running maximum of the second moments (NaN propagates, as torch.maximum).
    const second = vmax ? (vmax[i] = Math.max(vmax[i], vi)) : vi;
    p[i] = pi + (mi * -stepSize) / (Math.sqrt(second) / bc2Sqrt + eps);
  }
}
