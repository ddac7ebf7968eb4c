/**
 * A small ResNet for 28×28 (or 32×32) images: He et al.'s CIFAR design (a 3×3 stem, stages of
 * BasicBlocks that halve the size and double the width, global average pooling, one linear layer).
 * The identity shortcut lets gradients skip each block, the cure for vanishing gradients in deep
 * nets; where a block changes size or width, a 1×1 strided convolution with batch norm projects it.
 */
import { add } from '../../ops/arith.js';
import { ShapeError } from '../../tensor/errors.js';
import { relu } from '../../ops/unary.js';
import type { Generator } from '../../tensor/random.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Sequential } from '../../nn/layers/container.js';
import { Conv2d } from '../../nn/layers/conv.js';
import { Flatten, Linear } from '../../nn/layers/linear.js';
import { BatchNorm2d } from '../../nn/layers/normalization.js';
import { AdaptiveAvgPool2d } from '../../nn/layers/pooling.js';
import { ReLU } from '../../nn/layers/activation.js';
import { Module } from '../../nn/module.js';

/** conv3×3 → BN → ReLU → conv3×3 → BN, plus the shortcut, then ReLU (torchvision's BasicBlock). */
export class BasicBlock extends Module {
  conv1: Conv2d;
  bn1: BatchNorm2d;
  conv2: Conv2d;
  bn2: BatchNorm2d;
  /** null for the identity; a 1×1 conv + BN when the stride or the width changes. */
  downsample: Sequential | null;

  constructor(inPlanes: number, planes: number, stride = 1, opts: { generator?: Generator } = {}) {
    super();
    const g = opts.generator;
    this.conv1 = new Conv2d(inPlanes, planes, 3, { stride, padding: 1, bias: false, generator: g });
    this.bn1 = new BatchNorm2d(planes);
    this.conv2 = new Conv2d(planes, planes, 3, { padding: 1, bias: false, generator: g });
    this.bn2 = new BatchNorm2d(planes);
    this.downsample =
      stride !== 1 || inPlanes !== planes
        ? new Sequential(
            new Conv2d(inPlanes, planes, 1, { stride, bias: false, generator: g }),
            new BatchNorm2d(planes),
          )
        : null;
  }

  forward(x: Tensor): Tensor {
    const out = this.bn2.forward(this.conv2.forward(relu(this.bn1.forward(this.conv1.forward(x)))));
    const shortcut = this.downsample ? (this.downsample.forward(x) as Tensor) : x;
    return relu(add(out, shortcut));
  }
}

export interface ResNetOptions {
  /** Input channels (1 for grey images). */
  inChannels?: number;
  numClasses?: number;
  /** Width of each stage (default [32, 64, 128]). */
  widths?: readonly number[];
  /** BasicBlocks per stage (default [1, 1, 1]). */
  blocks?: readonly number[];
  /**
   * The stride of each stage's first block (default [1, 2, 2, …]: full size in the first stage). A first
   * stride of 2 halves the work of every stage for a small loss of detail.
   */
  strides?: readonly number[];
  generator?: Generator;
}

/** stem (conv1, bn1) → stages of BasicBlocks (layers.<stage>.<block>) → global average pool → fc. */
export class ResNet extends Module {
  conv1: Conv2d;
  bn1: BatchNorm2d;
  relu = new ReLU();
  layers: Sequential;
  avgpool = new AdaptiveAvgPool2d(1);
  flatten = new Flatten();
  fc: Linear;

  constructor(opts: ResNetOptions = {}) {
    super();
    const widths = opts.widths ?? [32, 64, 128];
    const blocks = opts.blocks ?? widths.map(() => 1);
    const strides = opts.strides ?? widths.map((_, i) => (i === 0 ? 1 : 2));
    if (blocks.length !== widths.length || strides.length !== widths.length) {
      throw new ShapeError(
        `ResNet: widths [${widths.join(', ')}], blocks [${blocks.join(', ')}] and strides ` +
          `[${strides.join(', ')}] should list one value per stage`,
      );
    }
    const g = opts.generator;
    this.conv1 = new Conv2d(opts.inChannels ?? 1, widths[0], 3, { padding: 1, bias: false, generator: g });
    this.bn1 = new BatchNorm2d(widths[0]);
    const stages: Module[] = [];
    let planes = widths[0];
    widths.forEach((w, i) => {
      const stage: Module[] = [];
      for (let b = 0; b < blocks[i]; b++) {
        stage.push(new BasicBlock(planes, w, b === 0 ? strides[i] : 1, { generator: g }));
        planes = w;
      }
      stages.push(new Sequential(...stage));
    });
    this.layers = new Sequential(...stages);
    this.fc = new Linear(planes, opts.numClasses ?? 10, { generator: g });
  }

  forward(x: Tensor): Tensor {
    const stem = this.relu.forward(this.bn1.forward(this.conv1.forward(x)));
    const features = this.flatten.forward(this.avgpool.forward(this.layers.forward(stem) as Tensor));
    return this.fc.forward(features);
  }
}
