/** Linear, Identity, Flatten, Unflatten and Dropout, initialized and printed like PyTorch's. */
import type { DType } from '../../tensor/dtype.js';
import { IndexError, ShapeError, fmtShape } from '../../tensor/errors.js';
import { zeros } from '../../tensor/create.js';
import type { Generator } from '../../tensor/random.js';
import type { Tensor } from '../../tensor/tensor.js';
import { flatten, reshape } from '../../ops/shape.js';
import { normalizeDim } from '../../tensor/shape.js';
import { dropout, linear, linearActivation } from '../functional/layers.js';
import { calculateFanInAndFanOut, kaimingUniform, uniform } from '../init.js';
import { Module } from '../module.js';
import { Parameter } from '../parameter.js';

export interface LinearOptions {
  bias?: boolean;
  dtype?: DType;
  /** Draws the initial weights from this generator instead of the default one. */
  generator?: Generator;
}

function checkSize(op: string, name: string, n: unknown): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
    throw new IndexError(`${op}: ${name} must be a non-negative integer, got ${String(n)}`);
  }
  return n;
}

/**
 * y = x·Wᵀ + b, for inputs [*, inFeatures]. Weight [outFeatures, inFeatures] and bias start as in
 * PyTorch: kaimingUniform with a = √5, i.e. U(−1/√in, 1/√in), and the bias from the same range.
 */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  weight: Parameter;
  bias: Parameter | null;

  constructor(inFeatures: number, outFeatures: number, opts: LinearOptions = {}) {
    super();
    this.inFeatures = checkSize('Linear', 'inFeatures', inFeatures);
    this.outFeatures = checkSize('Linear', 'outFeatures', outFeatures);
    const dtype = opts.dtype ?? 'float32';
    this.weight = new Parameter(zeros([outFeatures, inFeatures], { dtype }));
    this.bias = opts.bias === false ? null : new Parameter(zeros([outFeatures], { dtype }));
    this.resetParameters(opts);
  }

  /** Draws fresh initial values (PyTorch's reset_parameters). */
  resetParameters(opts: { generator?: Generator } = {}): void {
    const g = { generator: opts.generator };
    kaimingUniform(this.weight, Math.sqrt(5), 'fanIn', 'leaky_relu', g);
    if (this.bias) {
      const [fanIn] = calculateFanInAndFanOut(this.weight);
      const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
      uniform(this.bias, -bound, bound, g);
    }
  }

  forward(input: Tensor): Tensor {
    return linear(input, this.weight, this.bias);
  }

  /** This layer then ReLU as one op where the backend fuses them (Sequential's Linear → ReLU). */
  forwardRelu(input: Tensor): Tensor {
    return linearActivation(input, this.weight, this.bias, 'relu');
  }

  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${this.bias !== null}`;
  }
}

/** Returns its input unchanged (a placeholder, e.g. to switch a layer off). */
export class Identity extends Module {
  forward(input: Tensor): Tensor {
    return input;
  }
}

/** Flattens dims startDim … endDim into one (by default all but the batch dim). */
export class Flatten extends Module {
  constructor(
    readonly startDim = 1,
    readonly endDim = -1,
  ) {
    super();
  }

  forward(input: Tensor): Tensor {
    return flatten(input, this.startDim, this.endDim);
  }

  override extraRepr(): string {
    return `start_dim=${this.startDim}, end_dim=${this.endDim}`;
  }
}

/** Splits dim into unflattenedSize (one size may be -1), the inverse of Flatten. */
export class Unflatten extends Module {
  readonly unflattenedSize: readonly number[];

  constructor(
    readonly dim: number,
    unflattenedSize: readonly number[],
  ) {
    super();
    this.unflattenedSize = [...unflattenedSize];
  }

  forward(input: Tensor): Tensor {
    const d = normalizeDim('Unflatten', this.dim, input.ndim, input.shape);
    const shape = [...input.shape.slice(0, d), ...this.unflattenedSize, ...input.shape.slice(d + 1)];
    const known = this.unflattenedSize.filter((s) => s !== -1).reduce((a, b) => a * b, 1);
    const fits = this.unflattenedSize.includes(-1) ? input.shape[d] % known === 0 : known === input.shape[d];
    if (!fits) {
      throw new ShapeError(
        `Unflatten: size ${fmtShape(this.unflattenedSize)} does not fit dim ${this.dim} of input ${fmtShape(input.shape)}`,
      );
    }
    return reshape(input, shape);
  }

  override extraRepr(): string {
    return `dim=${this.dim}, unflattened_size=${fmtShape(this.unflattenedSize)}`;
  }
}

/**
 * In training, zeroes each element with probability p and scales the others by 1/(1 − p); in eval it
 * is the identity. The mask comes from the given generator, or the default one (see manualSeed).
 */
export class Dropout extends Module {
  readonly p: number;
  generator: Generator | undefined;

  constructor(p = 0.5, opts: { generator?: Generator } = {}) {
    super();
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) {
      throw new IndexError(`Dropout: dropout probability has to be between 0 and 1, but got ${String(p)}`);
    }
    this.p = p;
    this.generator = opts.generator;
  }

  forward(input: Tensor): Tensor {
    return dropout(input, this.p, this.training, { generator: this.generator });
  }

  override extraRepr(): string {
    return `p=${this.p}`;
  }
}
