/** Conv1d, Conv2d, ConvTranspose1d and ConvTranspose2d, with PyTorch's parameters, init and printout. */
import type { SizeArg } from '../../ops/conv-args.js';
import { expandSize } from '../../ops/conv-args.js';
import type { ConvPadding, ConvPaddingMode } from '../../ops/conv.js';
import { convNd, convTranspose1d, convTranspose2d } from '../../ops/conv.js';
import type { LinearActivation } from '../../backend/backend.js';
import { zeros } from '../../tensor/create.js';
import type { DType } from '../../tensor/dtype.js';
import { IndexError } from '../../tensor/errors.js';
import type { Generator } from '../../tensor/random.js';
import type { Tensor } from '../../tensor/tensor.js';
import { calculateFanInAndFanOut, kaimingUniform, uniform } from '../init.js';
import { Module } from '../module.js';
import { Parameter } from '../parameter.js';

export interface ConvOptions {
  stride?: SizeArg;
  /** A size, one per spatial dim, 'valid' (none) or 'same' (output as large as the input; stride 1). */
  padding?: ConvPadding;
  dilation?: SizeArg;
  groups?: number;
  bias?: boolean;
  /** How the padding is filled: zeros (default), or the input reflected, replicated or wrapped around. */
  paddingMode?: ConvPaddingMode;
  dtype?: DType;
  /** Draws the initial weights from this generator instead of the default one. */
  generator?: Generator;
}

export interface ConvTransposeOptions {
  stride?: SizeArg;
  padding?: SizeArg;
  /** Extra size added to one side of the output (picks among the sizes a strided conv maps from). */
  outputPadding?: SizeArg;
  groups?: number;
  bias?: boolean;
  dilation?: SizeArg;
  dtype?: DType;
  generator?: Generator;
}

const tuple = (v: readonly number[]): string => `(${v.join(', ')}${v.length === 1 ? ',' : ''})`;

/** What the convolution layers share: the kernel's bookkeeping, PyTorch's init and printout. */
abstract class ConvBase extends Module {
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly dilation: number[];
  readonly groups: number;
  weight: Parameter;
  bias: Parameter | null;

  constructor(
    readonly kind: string,
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: SizeArg,
    dims: number,
    transposed: boolean,
    opts: ConvOptions | ConvTransposeOptions,
  ) {
    super();
    for (const [what, n] of [
      ['inChannels', inChannels],
      ['outChannels', outChannels],
    ] as const) {
      if (!Number.isInteger(n) || n < 1) {
        throw new IndexError(`${kind}: ${what} must be a positive integer, got ${String(n)}`);
      }
    }
    this.kernelSize = expandSize(kind, 'kernelSize', kernelSize, dims, 1);
    this.stride = expandSize(kind, 'stride', opts.stride ?? 1, dims, 1);
    this.dilation = expandSize(kind, 'dilation', opts.dilation ?? 1, dims, 1);
    this.groups = opts.groups ?? 1;
    if (!Number.isInteger(this.groups) || this.groups < 1) {
      throw new IndexError(`${kind}: groups must be a positive integer, got ${String(this.groups)}`);
    }
    if (inChannels % this.groups !== 0 || outChannels % this.groups !== 0) {
      throw new IndexError(
        `${kind}: inChannels (${inChannels}) and outChannels (${outChannels}) must be divisible by groups (${this.groups})`,
      );
    }
    const dtype = opts.dtype ?? 'float32';
    const shape = transposed
      ? [inChannels, outChannels / this.groups, ...this.kernelSize]
      : [outChannels, inChannels / this.groups, ...this.kernelSize];
    this.weight = new Parameter(zeros(shape, { dtype }));
    this.bias = opts.bias === false ? null : new Parameter(zeros([outChannels], { dtype }));
    this.resetParameters({ generator: opts.generator });
  }

  /** PyTorch's init: kaimingUniform with a = √5 (U(±1/√fanIn)), the bias from the same range. */
  resetParameters(opts: { generator?: Generator } = {}): void {
    const g = { generator: opts.generator };
    kaimingUniform(this.weight, Math.sqrt(5), 'fanIn', 'leaky_relu', g);
    if (this.bias) {
      const [fanIn] = calculateFanInAndFanOut(this.weight);
      const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
      uniform(this.bias, -bound, bound, g);
    }
  }

  /** PyTorch's order: padding, dilation, output_padding, groups, bias, padding_mode. */
  protected reprParts(padding: ConvPadding, outputPadding: string[], paddingMode: string[]): string {
    const parts = [
      `${this.inChannels}, ${this.outChannels}`,
      `kernel_size=${tuple(this.kernelSize)}`,
      `stride=${tuple(this.stride)}`,
    ];
    const dims = this.kernelSize.length;
    if (typeof padding === 'string') parts.push(`padding=${padding}`);
    else if (expandSize(this.kind, 'padding', padding, dims, 0).some((p) => p !== 0)) {
      parts.push(`padding=${tuple(expandSize(this.kind, 'padding', padding, dims, 0))}`);
    }
    if (this.dilation.some((d) => d !== 1)) parts.push(`dilation=${tuple(this.dilation)}`);
    parts.push(...outputPadding);
    if (this.groups !== 1) parts.push(`groups=${this.groups}`);
    if (!this.bias) parts.push('bias=False');
    parts.push(...paddingMode);
    return parts.join(', ');
  }
}

/** Shared by Conv1d and Conv2d: padding (with its mode) and the forward. */
abstract class ConvNd extends ConvBase {
  readonly padding: ConvPadding;
  readonly paddingMode: ConvPaddingMode;

  constructor(name: string, inC: number, outC: number, kernelSize: SizeArg, dims: number, opts: ConvOptions) {
    super(name, inC, outC, kernelSize, dims, false, opts);
    this.padding = opts.padding ?? 0;
    this.paddingMode = opts.paddingMode ?? 'zeros';
    if (!['zeros', 'reflect', 'replicate', 'circular'].includes(this.paddingMode)) {
      throw new IndexError(
        `${name}: paddingMode must be zeros, reflect, replicate or circular, got '${String(this.paddingMode)}'`,
      );
    }
    if (this.padding === 'same' && this.stride.some((s) => s !== 1)) {
      throw new IndexError(`${name}: padding='same' is not supported for strided convolutions`);
    }
  }

  forward(input: Tensor): Tensor {
    return this.forwardAct(input, 'none');
  }

  /** relu(forward(input)) as one op (nn.Sequential runs a Conv → ReLU pair so). */
  forwardRelu(input: Tensor): Tensor {
    return this.forwardAct(input, 'relu');
  }

  private forwardAct(input: Tensor, activation: LinearActivation): Tensor {
    const op = this.kind === 'Conv1d' ? 'conv1d' : 'conv2d';
    return convNd(
      op,
      input,
      this.weight,
      this.bias,
      this.stride,
      this.padding,
      this.dilation,
      this.groups,
      this.paddingMode,
      activation,
    );
  }

  override extraRepr(): string {
    return this.reprParts(
      this.padding,
      [],
      this.paddingMode === 'zeros' ? [] : [`padding_mode=${this.paddingMode}`],
    );
  }
}

/** 2-D convolution over [N, C, H, W]: weight [outChannels, inChannels/groups, kH, kW], bias [outChannels]. */
export class Conv2d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: SizeArg, opts: ConvOptions = {}) {
    super('Conv2d', inChannels, outChannels, kernelSize, 2, opts);
  }
}

/** 1-D convolution over [N, C, L]: weight [outChannels, inChannels/groups, k]. */
export class Conv1d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: SizeArg, opts: ConvOptions = {}) {
    super('Conv1d', inChannels, outChannels, kernelSize, 1, opts);
  }
}

abstract class ConvTransposeNd extends ConvBase {
  readonly padding: number[];
  readonly outputPadding: number[];

  constructor(
    name: string,
    inC: number,
    outC: number,
    kernelSize: SizeArg,
    dims: number,
    opts: ConvTransposeOptions,
  ) {
    super(name, inC, outC, kernelSize, dims, true, opts);
    this.padding = expandSize(name, 'padding', opts.padding ?? 0, dims, 0);
    this.outputPadding = expandSize(name, 'outputPadding', opts.outputPadding ?? 0, dims, 0);
  }

  forward(input: Tensor): Tensor {
    const f = this.kind === 'ConvTranspose1d' ? convTranspose1d : convTranspose2d;
    return f(
      input,
      this.weight,
      this.bias,
      this.stride,
      this.padding,
      this.outputPadding,
      this.groups,
      this.dilation,
    );
  }

  override extraRepr(): string {
    const extra = this.outputPadding.some((p) => p !== 0)
      ? [`output_padding=${tuple(this.outputPadding)}`]
      : [];
    return this.reprParts(this.padding, extra, []);
  }
}

/**
 * The transposed 2-D convolution (upsampling; the gradient of Conv2d with respect to its input):
 * weight [inChannels, outChannels/groups, kH, kW].
 */
export class ConvTranspose2d extends ConvTransposeNd {
  constructor(inChannels: number, outChannels: number, kernelSize: SizeArg, opts: ConvTransposeOptions = {}) {
    super('ConvTranspose2d', inChannels, outChannels, kernelSize, 2, opts);
  }
}

/** The transposed 1-D convolution over [N, C, L]. */
export class ConvTranspose1d extends ConvTransposeNd {
  constructor(inChannels: number, outChannels: number, kernelSize: SizeArg, opts: ConvTransposeOptions = {}) {
    super('ConvTranspose1d', inChannels, outChannels, kernelSize, 1, opts);
  }
}
