/**
 * Fashion-MNIST with a small ResNet (a 3×3 stem at 28×28, then three stages of BasicBlocks, 32/64/128
 * wide at 14×14, 7×7 and 4×4, global average pooling) trained with random crops (padding 2) and
 * horizontal flips, Adam with weight decay, cosine decay of the learning rate and label smoothing 0.1
 * (18 epochs: test accuracy 0.935 where 15 without smoothing gave 0.929). Downsampling in the
 * first stage already (strides [2, 2, 2]) costs a quarter of the full-size stage's arithmetic: about
 * 10.5 M multiply-adds per image.
 *
 *   npx chainrule train fashion-resnet --data ../shared/data/fashion-mnist
 */
import type { Generator } from '../../src/index.js';
import { vision as cv } from '../../src/index.js';
import type { Example } from '../common.js';
import type { VisionConfig, VisionExample } from '../vision-common.js';
import { evalVision, runVision } from '../vision-common.js';

const CONFIG: VisionConfig = {
  epochs: 18,
  batchSize: 128,
  lr: 2e-3,
  seed: 0,
  quickTrain: 256,
  quickTest: 128,
  augmentPadding: 2,
  cosine: true,
  weightDecay: 5e-4,
  labelSmoothing: 0.1,
};

const vision: VisionExample = {
  name: 'fashion-resnet',
  buildModel: (generator: Generator) =>
    new cv.ResNet({ widths: [32, 64, 128], blocks: [1, 1, 1], strides: [2, 2, 2], generator }),
};

export const example: Example = {
  name: 'fashion-resnet',
  description: 'Fashion-MNIST with a small ResNet and augmentation (needs --data DIR)',
  run: (opts) => runVision(vision, CONFIG, opts),
  evaluate: (checkpoint, opts) => evalVision(vision, checkpoint, opts),
};
