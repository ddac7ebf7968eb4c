/** Pooling, channel dropout and upsampling layers for images (NCHW), as PyTorch's. */
import type { SizeArg } from '../../ops/conv-args.js';
import type { InterpolateMode } from '../../ops/interpolate.js';
import { interpolate } from '../../ops/interpolate.js';
import { adaptiveAvgPool2d, avgPoolNd, maxPoolNd } from '../../ops/pool.js';
import { IndexError } from '../../tensor/errors.js';
import type { Generator } from '../../tensor/random.js';
import type { Tensor } from '../../tensor/tensor.js';
import { dropout2d } from '../functional/layers.js';
import { Module } from '../module.js';

const show = (v: SizeArg | null): string =>
  v === null ? 'None' : typeof v === 'number' ? `${v}` : `(${v.join(', ')})`;

export interface MaxPoolOptions {
  /** Defaults to the kernel size. */
  stride?: SizeArg | null;
  padding?: SizeArg;
  dilation?: SizeArg;
  /** Round the output size up (a last, partial window) instead of down. */
  ceilMode?: boolean;
  /** forward returns [output, indices] (positions in each input plane, for MaxUnpool). */
  returnIndices?: boolean;
}

abstract class MaxPoolNd extends Module {
  readonly stride: SizeArg;
  readonly padding: SizeArg;
  readonly dilation: SizeArg;
  readonly ceilMode: boolean;
  readonly returnIndices: boolean;

  constructor(
    private readonly op: 'maxPool1d' | 'maxPool2d',
    readonly kernelSize: SizeArg,
    opts: MaxPoolOptions,
  ) {
    super();
    this.stride = opts.stride ?? kernelSize;
    this.padding = opts.padding ?? 0;
    this.dilation = opts.dilation ?? 1;
    this.ceilMode = opts.ceilMode ?? false;
    this.returnIndices = opts.returnIndices ?? false;
  }

  forward(input: Tensor): Tensor | [Tensor, Tensor] {
    const { op, kernelSize, stride, padding, dilation, ceilMode, returnIndices } = this;
    return maxPoolNd(op, input, kernelSize, stride, padding, dilation, ceilMode, returnIndices);
  }

  override extraRepr(): string {
    return (
      `kernel_size=${show(this.kernelSize)}, stride=${show(this.stride)}, padding=${show(this.padding)}, ` +
      `dilation=${show(this.dilation)}, ceil_mode=${this.ceilMode ? 'True' : 'False'}`
    );
  }
}

/** The maximum over each window of [N, C, H, W]; `new MaxPool2d(2)` halves height and width. */
export class MaxPool2d extends MaxPoolNd {
  constructor(kernelSize: SizeArg, opts: MaxPoolOptions = {}) {
    super('maxPool2d', kernelSize, opts);
  }
}

/** The maximum over each window of [N, C, L]. */
export class MaxPool1d extends MaxPoolNd {
  constructor(kernelSize: SizeArg, opts: Omit<MaxPoolOptions, 'returnIndices'> = {}) {
    super('maxPool1d', kernelSize, opts);
  }
}

export interface AvgPoolOptions {
  stride?: SizeArg | null;
  padding?: SizeArg;
  ceilMode?: boolean;
  /** Count the zero padding in each window's divisor (PyTorch's default: true). */
  countIncludePad?: boolean;
  /** Divide every window by this instead (2-D only). */
  divisorOverride?: number | null;
}

abstract class AvgPoolNd extends Module {
  readonly stride: SizeArg;
  readonly padding: SizeArg;
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;
  readonly divisorOverride: number | null;

  constructor(
    private readonly op: 'avgPool1d' | 'avgPool2d',
    readonly kernelSize: SizeArg,
    opts: AvgPoolOptions,
  ) {
    super();
    this.stride = opts.stride ?? kernelSize;
    this.padding = opts.padding ?? 0;
    this.ceilMode = opts.ceilMode ?? false;
    this.countIncludePad = opts.countIncludePad ?? true;
    this.divisorOverride = opts.divisorOverride ?? null;
  }

  forward(input: Tensor): Tensor {
    const { op, kernelSize, stride, padding, ceilMode, countIncludePad, divisorOverride } = this;
    return avgPoolNd(op, input, kernelSize, stride, padding, ceilMode, countIncludePad, divisorOverride);
  }

  override extraRepr(): string {
    return `kernel_size=${show(this.kernelSize)}, stride=${show(this.stride)}, padding=${show(this.padding)}`;
  }
}

/** The mean over each window of [N, C, H, W]. */
export class AvgPool2d extends AvgPoolNd {
  constructor(kernelSize: SizeArg, opts: AvgPoolOptions = {}) {
    super('avgPool2d', kernelSize, opts);
  }
}

/** The mean over each window of [N, C, L]. */
export class AvgPool1d extends AvgPoolNd {
  constructor(kernelSize: SizeArg, opts: Omit<AvgPoolOptions, 'divisorOverride'> = {}) {
    super('avgPool1d', kernelSize, opts);
  }
}

/** Averages to a fixed output size whatever the input's (1 gives global average pooling). */
export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: number | readonly (number | null)[]) {
    super();
  }

  forward(input: Tensor): Tensor {
    return adaptiveAvgPool2d(input, this.outputSize);
  }

  override extraRepr(): string {
    const s = this.outputSize;
    return `output_size=${typeof s === 'number' ? s : `(${s.map((v) => v ?? 'None').join(', ')})`}`;
  }
}

/** In training, zeroes whole channels of [N, C, H, W] with probability p and scales the rest by 1/(1 − p). */
export class Dropout2d extends Module {
  readonly p: number;
  generator: Generator | undefined;

  constructor(p = 0.5, opts: { generator?: Generator } = {}) {
    super();
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) {
      throw new IndexError(`Dropout2d: dropout probability has to be between 0 and 1, but got ${String(p)}`);
    }
    this.p = p;
    this.generator = opts.generator;
  }

  forward(input: Tensor): Tensor {
    return dropout2d(input, this.p, this.training, { generator: this.generator });
  }

  override extraRepr(): string {
    return `p=${this.p}`;
  }
}

export interface UpsampleOptions {
  size?: number | readonly number[] | null;
  scaleFactor?: number | readonly number[] | null;
  mode?: InterpolateMode;
  alignCorners?: boolean | null;
}

/** Resizes by a scale factor or to a size: nearest (default) or bilinear; see F.interpolate. */
export class Upsample extends Module {
  readonly size: number | readonly number[] | null;
  readonly scaleFactor: number | readonly number[] | null;
  readonly mode: InterpolateMode;
  readonly alignCorners: boolean | null;

  constructor(opts: UpsampleOptions = {}) {
    super();
    this.size = opts.size ?? null;
    this.scaleFactor = opts.scaleFactor ?? null;
    this.mode = opts.mode ?? 'nearest';
    this.alignCorners = opts.alignCorners ?? null;
    if ((this.size === null) === (this.scaleFactor === null)) {
      throw new IndexError('Upsample: give exactly one of size and scaleFactor');
    }
  }

  forward(input: Tensor): Tensor {
    return interpolate(input, this.size, this.scaleFactor, this.mode, this.alignCorners);
  }

  override extraRepr(): string {
    const s = this.size === null ? `scale_factor=${show(this.scaleFactor)}` : `size=${show(this.size)}`;
    return `${s}, mode='${this.mode}'`;
  }
}
