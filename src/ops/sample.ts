import { DTypeError, IndexError } from '../tensor/errors.js';
import type { Generator } from '../tensor/random.js';
import { rand } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { lt, where } from './compare.js';
import { amax, amin } from './reduce.js';
import { checkFloating } from './util.js';

/** Draws 1 with probability p and 0 otherwise, elementwise (p in [0, 1], floating point). */
export function bernoulli(p: Tensor, opts: { generator?: Generator } = {}): Tensor {
  if (!(p instanceof Tensor)) throw new DTypeError('bernoulli: expected a tensor of probabilities');
  checkFloating('bernoulli', p);
  if (p.numel() > 0 && p.storage.backend.canReadSync) {
    // A cheap guard against probabilities outside [0, 1], which would silently saturate.
    const lo = amin(p).item() as number;
    const hi = amax(p).item() as number;
    if (!(lo >= 0 && hi <= 1)) {
      throw new IndexError(`bernoulli: probabilities must be in [0, 1], got values in [${lo}, ${hi}]`);
    }
  }
  const u = rand(p.shape, { dtype: p.dtype, generator: opts.generator });
  return where(lt(u, p.detach()), 1, 0).to(p.dtype);
}

declare module '../tensor/tensor.js' {
  interface Tensor {
    bernoulli(opts?: { generator?: Generator }): Tensor;
  }
}

Tensor.prototype.bernoulli = function (opts?: { generator?: Generator }) {
  return bernoulli(this, opts);
};
