/** BatchNorm1d, BatchNorm2d and LayerNorm, with PyTorch's parameters, buffers and running-statistics rule. */
import { noGrad } from '../../autograd/grad-mode.js';
import { ones, scalar, zeros, zerosLike } from '../../tensor/create.js';
import type { DType } from '../../tensor/dtype.js';
import { IndexError, ShapeError, fmtShape } from '../../tensor/errors.js';
import type { Tensor } from '../../tensor/tensor.js';
import { batchNorm, layerNorm } from '../functional/layers.js';
import * as init from '../init.js';
import { Module, checkInputDims } from '../module.js';
import { Parameter } from '../parameter.js';

export interface BatchNormOptions {
  eps?: number;
  /** Weight of the new batch in the running averages; null for a cumulative average over all batches. */
  momentum?: number | null;
  /** Learnable per-channel scale (weight) and shift (bias). */
  affine?: boolean;
  /** Keep running_mean/running_var for eval; without them, eval normalizes with batch statistics. */
  trackRunningStats?: boolean;
  dtype?: DType;
}

/**
 * Batch normalization per channel C (dim 1): BatchNorm1d over [N, C] or [N, C, L], BatchNorm2d over
 * [N, C, H, W]. Training normalizes with the
 * batch mean and biased variance, and updates running_mean and running_var (unbiased) as
 * running = (1 − momentum)·running + momentum·batch; eval normalizes with the running statistics.
 * Buffers: running_mean, running_var, num_batches_tracked (int32), as named in PyTorch.
 */
abstract class BatchNormNd extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  weight: Parameter | null;
  bias: Parameter | null;

  constructor(
    private readonly kind: string,
    private readonly ranks: readonly number[],
    numFeatures: number,
    opts: BatchNormOptions,
  ) {
    super();
    if (!Number.isInteger(numFeatures) || numFeatures < 1) {
      throw new IndexError(`${kind}: numFeatures must be a positive integer, got ${String(numFeatures)}`);
    }
    this.numFeatures = numFeatures;
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum === undefined ? 0.1 : opts.momentum;
    this.affine = opts.affine ?? true;
    this.trackRunningStats = opts.trackRunningStats ?? true;
    const dtype = opts.dtype ?? 'float32';
    this.weight = this.affine ? new Parameter(ones([numFeatures], { dtype })) : null;
    this.bias = this.affine ? new Parameter(zeros([numFeatures], { dtype })) : null;
    const track = this.trackRunningStats;
    this.registerBuffer('running_mean', track ? zeros([numFeatures], { dtype }) : null);
    this.registerBuffer('running_var', track ? ones([numFeatures], { dtype }) : null);
    this.registerBuffer('num_batches_tracked', track ? scalar(0, 'int32') : null);
  }

  get runningMean(): Tensor | null {
    return this.getBuffer('running_mean');
  }

  get runningVar(): Tensor | null {
    return this.getBuffer('running_var');
  }

  get numBatchesTracked(): Tensor | null {
    return this.getBuffer('num_batches_tracked');
  }

  resetRunningStats(): void {
    noGrad(() => {
      this.runningMean?.zero_();
      this.runningVar?.fill_(1);
      this.numBatchesTracked?.zero_();
    });
  }

  resetParameters(): void {
    this.resetRunningStats();
    if (this.weight) init.ones(this.weight);
    if (this.bias) init.zeros(this.bias);
  }

  forward(input: Tensor): Tensor {
    checkInputDims(this.kind, input, this.ranks);
    if (input.shape[1] !== this.numFeatures) {
      throw new ShapeError(
        `${this.kind}: expected ${this.numFeatures} channels in dim 1, got input of shape ${fmtShape(input.shape)}`,
      );
    }
    let factor = this.momentum ?? 0;
    const tracked = this.numBatchesTracked;
    if (this.training && this.trackRunningStats && tracked) {
      noGrad(() => tracked.add_(1));
      // momentum null: a cumulative average, the n-th batch weighted 1/n.
      if (this.momentum === null) {
        if (!tracked.storage.backend.canReadSync) return this.cumulativeOnDevice(input, tracked);
        factor = 1 / (tracked.item() as number);
      }
    }
    // Without running statistics, eval also normalizes with the batch's.
    const useBatch = this.training || (this.runningMean === null && this.runningVar === null);
    const keep = !this.training || this.trackRunningStats;
    return batchNorm(
      input,
      keep ? this.runningMean : null,
      keep ? this.runningVar : null,
      this.weight,
      this.bias,
      useBatch,
      factor,
      this.eps,
    );
  }

  /**
   * The cumulative average (momentum null) where the batch count cannot be read synchronously
   * (WebGPU): the batch's statistics land in fresh buffers (momentum 1), then
   * running += (batch − running) / n with n read on the device.
   */
  private cumulativeOnDevice(input: Tensor, tracked: Tensor): Tensor {
    const mean = this.runningMean;
    const variance = this.runningVar;
    const batchMean = mean && zerosLike(mean);
    const batchVar = variance && zerosLike(variance);
    const y = batchNorm(input, batchMean, batchVar, this.weight, this.bias, true, 1, this.eps);
    noGrad(() => {
      const n = tracked.to(mean?.dtype ?? variance?.dtype ?? 'float32');
      if (mean && batchMean) mean.add_(batchMean.sub(mean).div(n));
      if (variance && batchVar) variance.add_(batchVar.sub(variance).div(n));
    });
    return y;
  }

  override extraRepr(): string {
    return (
      `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, affine=${this.affine}, ` +
      `track_running_stats=${this.trackRunningStats}`
    );
  }
}

/** Batch normalization of [N, C] or [N, C, L] inputs per channel (see BatchNormNd). */
export class BatchNorm1d extends BatchNormNd {
  constructor(numFeatures: number, opts: BatchNormOptions = {}) {
    super('BatchNorm1d', [2, 3], numFeatures, opts);
  }
}

/** Batch normalization of [N, C, H, W] images per channel, over the batch and all positions. */
export class BatchNorm2d extends BatchNormNd {
  constructor(numFeatures: number, opts: BatchNormOptions = {}) {
    super('BatchNorm2d', [4], numFeatures, opts);
  }
}

export interface LayerNormOptions {
  eps?: number;
  /** Learnable weight (ones) and bias (zeros) of normalizedShape. */
  elementwiseAffine?: boolean;
  /** With elementwiseAffine, whether to learn the bias too. */
  bias?: boolean;
  dtype?: DType;
}

/** Normalizes each sample over its last dims (normalizedShape), then applies weight and bias. */
export class LayerNorm extends Module {
  readonly normalizedShape: readonly number[];
  readonly eps: number;
  readonly elementwiseAffine: boolean;
  weight: Parameter | null;
  bias: Parameter | null;

  constructor(normalizedShape: number | readonly number[], opts: LayerNormOptions = {}) {
    super();
    const ns = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    if (ns.length === 0 || ns.some((s) => !Number.isInteger(s) || s < 1)) {
      throw new ShapeError(
        `LayerNorm: normalizedShape must be positive sizes, got ${JSON.stringify(normalizedShape)}`,
      );
    }
    this.normalizedShape = ns;
    this.eps = opts.eps ?? 1e-5;
    this.elementwiseAffine = opts.elementwiseAffine ?? true;
    const dtype = opts.dtype ?? 'float32';
    this.weight = this.elementwiseAffine ? new Parameter(ones(ns, { dtype })) : null;
    this.bias = this.elementwiseAffine && opts.bias !== false ? new Parameter(zeros(ns, { dtype })) : null;
  }

  resetParameters(): void {
    if (this.weight) init.ones(this.weight);
    if (this.bias) init.zeros(this.bias);
  }

  forward(input: Tensor): Tensor {
    return layerNorm(input, this.normalizedShape, this.weight, this.bias, this.eps);
  }

  override extraRepr(): string {
    return `${fmtShape(this.normalizedShape)}, eps=${this.eps}, elementwise_affine=${this.elementwiseAffine}`;
  }
}
