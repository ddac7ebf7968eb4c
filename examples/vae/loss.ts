/**
 * The pieces of a variational autoencoder's objective (Kingma & Welling 2014): the reparameterized
 * latent sample and the negative evidence lower bound with a Bernoulli decoder and a N(0, I) prior.
 */
import type { Generator, Tensor } from '../../src/index.js';
import { nn, randn } from '../../src/index.js';

/** z = μ + σ·ε with ε ~ N(0, I) from the generator, so that the sample is differentiable in μ and log σ². */
export function reparameterize(mu: Tensor, logvar: Tensor, generator: Generator): Tensor {
  const eps = randn(mu.shape, { dtype: mu.dtype, generator });
  return mu.add(logvar.mul(0.5).exp().mul(eps));
}

export interface VaeLoss {
  /** bce + kl, summed over the batch (divide by the batch size for nats per image). */
  loss: Tensor;
  /** −log p(x | z): binary cross-entropy summed over pixels and images. */
  bce: Tensor;
  /** KL(q(z | x) ‖ N(0, I)) in closed form, summed over latent units and images. */
  kl: Tensor;
}

/**
 * The negative ELBO of a batch as in PyTorch's VAE example: BCE summed over pixels (a per-pixel mean
 * would weigh the reconstruction 784 times less than the KL term) plus
 * KL = −½ Σ (1 + log σ² − μ² − σ²).
 */
export function vaeLoss(recon: Tensor, x: Tensor, mu: Tensor, logvar: Tensor): VaeLoss {
  const bce = nn.functional.binaryCrossEntropy(recon, x, { reduction: 'sum' });
  const kl = logvar.add(1).sub(mu.mul(mu)).sub(logvar.exp()).sum().mul(-0.5);
  return { loss: bce.add(kl), bce, kl };
}
