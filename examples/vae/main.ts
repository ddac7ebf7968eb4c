/**
 * The fully connected variational autoencoder of PyTorch's VAE example on Fashion-MNIST (pixels in
 * [0, 1]): 784-400-(μ, log σ²) with a 20-unit latent code, decoder 20-400-784 with a sigmoid, the
 * reparameterization trick, loss = binary cross-entropy summed over pixels + KL divergence to
 * N(0, I), Adam 1e-3, batch 128, 10 epochs. Reports the test loss in nats per image (one latent
 * sample per image) after each epoch; writes test images over their reconstructions and samples from
 * the prior.
 *
 * `vae-2d` is the same model with a 2-unit latent code, which can be drawn: it also writes the
 * decoder's outputs over a 20 × 20 linear grid of codes in [−3, 3]² and the test images' codes.
 *
 *   npx chainrule train vae --data ../shared/data/fashion-mnist
 *   npx chainrule train vae-2d --data ../shared/data/fashion-mnist
 *   npx chainrule eval runs/vae/checkpoint.safetensors --data ../shared/data/fashion-mnist
 */
import type { Generator, Tensor } from '../../src/index.js';
import { nn } from '../../src/index.js';
import type { Example } from '../common.js';
import type { VaeConfig, VaeExample, VaeModel } from './train.js';
import { evalVae, runVae } from './train.js';

const PIXELS = 28 * 28;

/** PyTorch's example VAE, with its layer names (fc1, fc21, fc22, fc3, fc4) for matching state dicts. */
export class MlpVae extends nn.Module implements VaeModel {
  readonly fc1: nn.Linear;
  readonly fc21: nn.Linear;
  readonly fc22: nn.Linear;
  readonly fc3: nn.Linear;
  readonly fc4: nn.Linear;

  constructor(
    readonly latent = 20,
    hidden = 400,
    generator?: Generator,
  ) {
    super();
    const g = { generator };
    this.fc1 = new nn.Linear(PIXELS, hidden, g);
    this.fc21 = new nn.Linear(hidden, latent, g);
    this.fc22 = new nn.Linear(hidden, latent, g);
    this.fc3 = new nn.Linear(latent, hidden, g);
    this.fc4 = new nn.Linear(hidden, PIXELS, g);
  }

  /** Images [N, 1, 28, 28] (or [N, 784]) to the posterior's mean and log-variance, each [N, latent]. */
  encode(x: Tensor): [Tensor, Tensor] {
    const h = this.fc1.forward(x.reshape([-1, PIXELS])).relu();
    return [this.fc21.forward(h), this.fc22.forward(h)];
  }

  /** Codes [N, latent] to pixel probabilities [N, 1, 28, 28]. */
  decode(z: Tensor): Tensor {
    return this.fc4.forward(this.fc3.forward(z).relu()).sigmoid().reshape([-1, 1, 28, 28]);
  }

  /** The decoder's mean at z = μ (no sampling). */
  forward(x: Tensor): Tensor {
    return this.decode(this.encode(x)[0]);
  }
}

const CONFIG: VaeConfig = {
  epochs: 10,
  batchSize: 128,
  lr: 1e-3,
  seed: 0,
  latent: 20,
  quickTrain: 512,
  quickTest: 256,
};

const vae: VaeExample = {
  name: 'vae',
  buildModel: (latent, generator) => new MlpVae(latent, 400, generator),
};
const vae2d: VaeExample = { ...vae, name: 'vae-2d' };

export const example: Example = {
  name: 'vae',
  description: 'Variational autoencoder (784-400-20, BCE + KL) on Fashion-MNIST (needs --data DIR)',
  run: (opts) => runVae(vae, CONFIG, opts),
  evaluate: (checkpoint, opts) => evalVae(vae, checkpoint, opts),
};

export const example2d: Example = {
  name: 'vae-2d',
  description: 'The VAE with a 2-D latent code, drawn as a grid of decoded codes (needs --data DIR)',
  run: (opts) => runVae(vae2d, { ...CONFIG, latent: 2 }, opts),
  evaluate: (checkpoint, opts) => evalVae(vae2d, checkpoint, opts),
};
