/**
 * The gradient penalty of WGAN-GP (Gulrajani et al. 2017): the critic is pushed towards unit gradient
 * norm, the 1-Lipschitz constraint of the Wasserstein dual, on random points between real and
 * generated samples.
 */
import type { Generator, Tensor } from '../../src/index.js';
import { autograd, rand } from '../../src/index.js';

/**
 * λ · mean over the points of (‖∇ₓ critic(x)‖₂ − 1)², points [n, d], critic [n, d] → [n, 1] or [n].
 * The input gradient is taken with createGraph, so that the penalty backpropagates into the critic's
 * weights (a gradient of a gradient).
 */
export function penaltyAt(critic: (x: Tensor) => Tensor, points: Tensor, lambda: number): Tensor {
  const x = points.detach().requiresGrad_();
  // Each output depends on its own row only, so the gradient of the sum is the per-point gradient.
  const [g] = autograd.grad(critic(x).sum(), [x], { createGraph: true });
  const gap = g!.norm(2, 1).sub(1);
  return gap.mul(gap).mean().mul(lambda);
}

/** x̂ = fake + ε (real − fake) with ε ~ U[0, 1) per row, detached from both. */
export function interpolate(real: Tensor, fake: Tensor, generator: Generator): Tensor {
  const eps = rand([real.shape[0], 1], { dtype: real.dtype, generator });
  const f = fake.detach();
  return f.add(real.detach().sub(f).mul(eps));
}

/** The WGAN-GP penalty on random interpolates of a batch of real and generated points. */
export function gradientPenalty(
  critic: (x: Tensor) => Tensor,
  real: Tensor,
  fake: Tensor,
  lambda: number,
  generator: Generator,
): Tensor {
  return penaltyAt(critic, interpolate(real, fake, generator), lambda);
}
