/**
 * A convolutional VAE on Fashion-MNIST, with the loss, data and pictures of `vae`: the encoder halves
 * the image twice with stride-2 convolutions (28 → 14 → 7) before linear heads for μ and log σ²
 * (20-unit code); the decoder mirrors it with a linear layer to 64 × 7 × 7 and two stride-2
 * transposed convolutions (7 → 14 → 28; outputPadding 1 gives the odd pixel that kernel 3 with
 * padding 1 leaves out) and a sigmoid. Adam 1e-3, batch 128, 5 epochs (it is slower than the MLP).
 *
 *   npx chainrule train conv-vae --data ../shared/data/fashion-mnist
 */
import type { Generator, Tensor } from '../../src/index.js';
import { nn } from '../../src/index.js';
import type { Example } from '../common.js';
import type { VaeConfig, VaeExample, VaeModel } from './train.js';
import { evalVae, runVae } from './train.js';

const FLAT = 64 * 7 * 7;

export class ConvVae extends nn.Module implements VaeModel {
  readonly encoder: nn.Sequential;
  readonly fcMu: nn.Linear;
  readonly fcLogvar: nn.Linear;
  readonly decoder: nn.Sequential;

  constructor(
    readonly latent = 20,
    generator?: Generator,
  ) {
    super();
    const g = { generator };
    const down = { stride: 2, padding: 1, ...g };
    const up = { stride: 2, padding: 1, outputPadding: 1, ...g };
    this.encoder = new nn.Sequential(
      new nn.Conv2d(1, 32, 3, down),
      new nn.ReLU(),
      new nn.Conv2d(32, 64, 3, down),
      new nn.ReLU(),
      new nn.Flatten(),
    );
    this.fcMu = new nn.Linear(FLAT, latent, g);
    this.fcLogvar = new nn.Linear(FLAT, latent, g);
    this.decoder = new nn.Sequential(
      new nn.Linear(latent, FLAT, g),
      new nn.ReLU(),
      new nn.Unflatten(1, [64, 7, 7]),
      new nn.ConvTranspose2d(64, 32, 3, up),
      new nn.ReLU(),
      new nn.ConvTranspose2d(32, 1, 3, up),
      new nn.Sigmoid(),
    );
  }

  /** Images [N, 1, 28, 28] to the posterior's mean and log-variance, each [N, latent]. */
  encode(x: Tensor): [Tensor, Tensor] {
    const h = this.encoder.forward(x) as Tensor;
    return [this.fcMu.forward(h), this.fcLogvar.forward(h)];
  }

  /** Codes [N, latent] to pixel probabilities [N, 1, 28, 28]. */
  decode(z: Tensor): Tensor {
    return this.decoder.forward(z) as Tensor;
  }

  /** The decoder's mean at z = μ (no sampling). */
  forward(x: Tensor): Tensor {
    return this.decode(this.encode(x)[0]);
  }
}

const CONFIG: VaeConfig = {
  epochs: 5,
  batchSize: 128,
  lr: 1e-3,
  seed: 0,
  latent: 20,
  quickTrain: 256,
  quickTest: 128,
};

const convVae: VaeExample = {
  name: 'conv-vae',
  buildModel: (latent, generator) => new ConvVae(latent, generator),
};

export const example: Example = {
  name: 'conv-vae',
  description:
    'Convolutional VAE (2 stride-2 convs, 20-D code, BCE + KL) on Fashion-MNIST (needs --data DIR)',
  run: (opts) => runVae(convVae, CONFIG, opts),
  evaluate: (checkpoint, opts) => evalVae(convVae, checkpoint, opts),
};
