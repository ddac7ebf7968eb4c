/**
 * Fashion-MNIST with a small CNN: two 3×3 conv layers with batch norm, ReLU and 2×2 max pooling, then
 * dropout and two linear layers — the network of the PyTorch baseline (Adam 1e-3, batch 128,
 * normalized inputs: 0.9078 test accuracy after 5 epochs, 0.9204 after 10, 0.9237 after 15).
 *
 *   npx chainrule train fashion-cnn --data ../shared/data/fashion-mnist
 *   npx chainrule eval runs/fashion-cnn/checkpoint.safetensors --data ../shared/data/fashion-mnist
 */
import type { Generator } from '../../src/index.js';
import { nn } from '../../src/index.js';
import type { Example } from '../common.js';
import type { VisionConfig, VisionExample } from '../vision-common.js';
import { evalVision, runVision } from '../vision-common.js';

const CONFIG: VisionConfig = {
  epochs: 10,
  batchSize: 128,
  lr: 1e-3,
  seed: 0,
  quickTrain: 512,
  quickTest: 256,
  augmentPadding: 0,
  // Cosine decay of the learning rate (the baseline keeps it constant) gets there in fewer epochs.
  cosine: true,
  weightDecay: 0,
};

export function buildModel(generator: Generator): nn.Module {
  const g = { generator };
  return new nn.Sequential(
    new nn.Conv2d(1, 32, 3, { padding: 1, ...g }),
    new nn.BatchNorm2d(32),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Conv2d(32, 64, 3, { padding: 1, ...g }),
    new nn.BatchNorm2d(64),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Dropout(0.25),
    new nn.Flatten(),
    new nn.Linear(64 * 7 * 7, 128, g),
    new nn.ReLU(),
    new nn.Dropout(0.5),
    new nn.Linear(128, 10, g),
  );
}

const vision: VisionExample = { name: 'fashion-cnn', buildModel };

export const example: Example = {
  name: 'fashion-cnn',
  description: 'Fashion-MNIST with a 2-conv CNN + batch norm + dropout (needs --data DIR)',
  run: (opts) => runVision(vision, CONFIG, opts),
  evaluate: (checkpoint, opts) => evalVision(vision, checkpoint, opts),
};
