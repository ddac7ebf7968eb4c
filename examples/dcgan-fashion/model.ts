/**
 * The DCGAN (Radford et al. 2016) networks for 28×28 grey images, sized for Fashion-MNIST.
 *
 * Generator: noise [B, latent] seen as a 1×1 image, a 7×7 transposed convolution to 128×7×7 (the
 * "project and reshape" step), then two stride-2 transposed convolutions with kernel 4 and padding 1
 * (7 → 14 → 28), batch norm and ReLU between them and tanh at the end: images in [−1, 1].
 * Discriminator: two stride-2 convolutions with kernel 4 and padding 1 (28 → 14 → 7), LeakyReLU 0.2,
 * batch norm on the second, then one linear layer to a logit. As in the paper, no batch norm on the
 * generator's output nor on the discriminator's input, and no bias where a batch norm follows.
 */
import type { Generator, Tensor } from '../../src/index.js';
import { nn } from '../../src/index.js';

/** The paper's init: convolution and linear weights N(0, 0.02), batch-norm scales N(1, 0.02), biases 0. */
export function dcganInit(module: nn.Module, generator?: Generator): void {
  const g = { generator };
  for (const m of module.modules()) {
    if (
      m instanceof nn.Conv2d ||
      m instanceof nn.ConvTranspose2d ||
      m instanceof nn.Linear ||
      m instanceof nn.BatchNorm2d
    ) {
      const bn = m instanceof nn.BatchNorm2d;
      for (const [name, p] of m.namedParameters('', false)) {
        if (name === 'weight') nn.init.normal(p, bn ? 1 : 0, 0.02, g);
        else if (name === 'bias') nn.init.zeros(p);
      }
    }
  }
}

export class DcganGenerator extends nn.Module {
  readonly net: nn.Sequential;

  constructor(
    readonly latent = 100,
    generator?: Generator,
  ) {
    super();
    const g = { generator, bias: false };
    const up = { stride: 2, padding: 1, ...g };
    this.net = new nn.Sequential(
      new nn.ConvTranspose2d(latent, 128, 7, g),
      new nn.BatchNorm2d(128),
      new nn.ReLU(),
      new nn.ConvTranspose2d(128, 64, 4, up),
      new nn.BatchNorm2d(64),
      new nn.ReLU(),
      new nn.ConvTranspose2d(64, 1, 4, up),
      new nn.Tanh(),
    );
  }

  /** Noise [B, latent] to images [B, 1, 28, 28] in [−1, 1]. */
  forward(z: Tensor): Tensor {
    return this.net.forward(z.reshape([z.shape[0], this.latent, 1, 1])) as Tensor;
  }
}

export class DcganDiscriminator extends nn.Module {
  readonly net: nn.Sequential;

  constructor(generator?: Generator) {
    super();
    const down = { stride: 2, padding: 1, bias: false, generator };
    this.net = new nn.Sequential(
      new nn.Conv2d(1, 64, 4, down),
      new nn.LeakyReLU(0.2),
      new nn.Conv2d(64, 128, 4, down),
      new nn.BatchNorm2d(128),
      new nn.LeakyReLU(0.2),
      new nn.Flatten(),
      new nn.Linear(128 * 7 * 7, 1, { generator }),
    );
  }

  /** Images [B, 1, 28, 28] to logits [B, 1] (real: positive). */
  forward(x: Tensor): Tensor {
    return this.net.forward(x) as Tensor;
  }
}

/**
 * The generator and the discriminator in one module, so that one checkpoint holds both (their
 * parameters appear as generator.* and discriminator.*). Both are drawn from the one generator, then
 * re-initialized by dcganInit from it.
 */
export class Dcgan extends nn.Module {
  readonly generator: DcganGenerator;
  readonly discriminator: DcganDiscriminator;

  constructor(
    readonly latent = 100,
    rng?: Generator,
  ) {
    super();
    this.generator = new DcganGenerator(latent, rng);
    this.discriminator = new DcganDiscriminator(rng);
    dcganInit(this, rng);
  }

  /** Noise [B, latent] to images [B, 1, 28, 28] in [−1, 1]. */
  forward(z: Tensor): Tensor {
    return this.generator.forward(z);
  }

  /** Images to the discriminator's logits [B, 1]. */
  score(x: Tensor): Tensor {
    return this.discriminator.forward(x);
  }
}
