/**
 * One-step recurrent cells: RNNCell, LSTMCell and GRUCell, with PyTorch's parameter names
 * (weight_ih, weight_hh, bias_ih, bias_hh), gate layouts and init, so PyTorch state dicts load as is.
 */
import type { DType } from '../../tensor/dtype.js';
import { DTypeError, IndexError, ShapeError, fmtShape } from '../../tensor/errors.js';
import { zeros } from '../../tensor/create.js';
import type { Generator } from '../../tensor/random.js';
import { Tensor } from '../../tensor/tensor.js';
import { squeeze, unsqueeze } from '../../ops/shape.js';
import { linear } from '../functional/layers.js';
import type { RNNNonlinearity } from '../functional/rnn.js';
import { gruStep, lstmStep, rnnStep } from '../functional/rnn.js';
import { uniform } from '../init.js';
import { Module } from '../module.js';
import { Parameter } from '../parameter.js';

export interface RNNCellOptions {
  bias?: boolean;
  /** RNNCell only: 'tanh' (default) or 'relu'. */
  nonlinearity?: RNNNonlinearity;
  dtype?: DType;
  /** Draws the initial weights from this generator instead of the default one. */
  generator?: Generator;
}

/** Checks a size argument (a positive integer). */
export function checkRNNSize(op: string, name: string, n: unknown): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) {
    throw new IndexError(`${op}: ${name} must be a positive integer, got ${String(n)}`);
  }
  return n;
}

export function checkNonlinearity(op: string, nl: unknown): RNNNonlinearity {
  if (nl !== 'tanh' && nl !== 'relu') {
    throw new IndexError(`${op}: unknown nonlinearity '${String(nl)}' (expected 'tanh' or 'relu')`);
  }
  return nl;
}

/** A floating-point tensor whose dtype matches the layer's parameters. */
export function checkFloatInput(op: string, what: string, x: unknown, dtype: DType): Tensor {
  if (!(x instanceof Tensor)) {
    throw new DTypeError(`${op}: expected ${what} to be a Tensor, got ${x === null ? 'null' : typeof x}`);
  }
  if (x.dtype !== dtype) {
    throw new DTypeError(
      `${op}: ${what} dtype ${x.dtype} does not match the parameters' dtype ${dtype} (shape ${fmtShape(x.shape)})`,
    );
  }
  return x;
}

/** The shared parts of the cells: parameters, init (PyTorch's U(−1/√H, 1/√H) for all) and checks. */
abstract class RNNCellBase extends Module {
  readonly inputSize: number;
  readonly hiddenSize: number;
  weight_ih: Parameter;
  weight_hh: Parameter;
  bias_ih: Parameter | null;
  bias_hh: Parameter | null;

  constructor(inputSize: number, hiddenSize: number, numGates: number, opts: RNNCellOptions) {
    super();
    const op = this.constructor.name;
    this.inputSize = checkRNNSize(op, 'inputSize', inputSize);
    this.hiddenSize = checkRNNSize(op, 'hiddenSize', hiddenSize);
    const dtype = opts.dtype ?? 'float32';
    const g = numGates * hiddenSize;
    this.weight_ih = new Parameter(zeros([g, inputSize], { dtype }));
    this.weight_hh = new Parameter(zeros([g, hiddenSize], { dtype }));
    const bias = opts.bias !== false;
    this.bias_ih = bias ? new Parameter(zeros([g], { dtype })) : null;
    this.bias_hh = bias ? new Parameter(zeros([g], { dtype })) : null;
    this.resetParameters(opts);
  }

  /** Draws fresh initial values: every parameter from U(−1/√hiddenSize, 1/√hiddenSize). */
  resetParameters(opts: { generator?: Generator } = {}): void {
    const bound = 1 / Math.sqrt(this.hiddenSize);
    for (const p of this.parameters()) uniform(p, -bound, bound, { generator: opts.generator });
  }

  /** Checks the input ([B, in] or [in]) and returns it as [B, in] with whether it was unbatched. */
  protected batchedInput(input: unknown): [Tensor, boolean] {
    const op = this.constructor.name;
    const x = checkFloatInput(op, 'input', input, this.weight_ih.dtype);
    if (x.ndim !== 1 && x.ndim !== 2) {
      throw new ShapeError(`${op}: expected input to be 1-D or 2-D, got shape ${fmtShape(x.shape)}`);
    }
    if (x.shape[x.ndim - 1] !== this.inputSize) {
      throw new ShapeError(
        `${op}: input has inconsistent input size: got shape ${fmtShape(x.shape)}, expected last dim ${this.inputSize}`,
      );
    }
    return x.ndim === 1 ? [unsqueeze(x, 0), true] : [x, false];
  }

  /** A state of shape [B, H] ([H] for unbatched input), or zeros when not given. */
  protected state(what: string, h: unknown, batch: number, unbatched: boolean): Tensor {
    const op = this.constructor.name;
    if (h === undefined || h === null) {
      return zeros([batch, this.hiddenSize], { dtype: this.weight_ih.dtype });
    }
    const t = checkFloatInput(op, what, h, this.weight_ih.dtype);
    const expected = unbatched ? [this.hiddenSize] : [batch, this.hiddenSize];
    if (t.ndim !== expected.length || t.shape.some((s, i) => s !== expected[i])) {
      throw new ShapeError(
        `${op}: expected ${what} of shape ${fmtShape(expected)} for input of batch size ${unbatched ? 'none (unbatched)' : batch}, got ${fmtShape(t.shape)}`,
      );
    }
    return unbatched ? unsqueeze(t, 0) : t;
  }

  /** x·W_ihᵀ + b_ih. */
  protected inputProjection(x: Tensor): Tensor {
    return linear(x, this.weight_ih, this.bias_ih);
  }

  override extraRepr(): string {
    return `${this.inputSize}, ${this.hiddenSize}${this.bias_ih ? '' : ', bias=false'}`;
  }
}

/** h' = tanh(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh) (or relu), for input [B, in] or [in]. */
export class RNNCell extends RNNCellBase {
  readonly nonlinearity: RNNNonlinearity;

  constructor(inputSize: number, hiddenSize: number, opts: RNNCellOptions = {}) {
    const nl = checkNonlinearity('RNNCell', opts.nonlinearity ?? 'tanh');
    super(inputSize, hiddenSize, 1, opts);
    this.nonlinearity = nl;
  }

  forward(input: Tensor, hx?: Tensor | null): Tensor {
    const [x, unbatched] = this.batchedInput(input);
    const h = this.state('hx', hx, x.shape[0], unbatched);
    const h2 = rnnStep(this.inputProjection(x), h, this.weight_hh, this.bias_hh, this.nonlinearity);
    return unbatched ? squeeze(h2, 0) : h2;
  }

  override extraRepr(): string {
    return super.extraRepr() + (this.nonlinearity === 'tanh' ? '' : `, nonlinearity=${this.nonlinearity}`);
  }
}

/**
 * The LSTM cell: gates i, f, g, o (in that order in weight_ih/weight_hh, 4·hiddenSize rows).
 * forward(input, [h, c]?) returns [h', c'].
 */
export class LSTMCell extends RNNCellBase {
  constructor(inputSize: number, hiddenSize: number, opts: Omit<RNNCellOptions, 'nonlinearity'> = {}) {
    super(inputSize, hiddenSize, 4, opts);
  }

  forward(input: Tensor, hx?: readonly [Tensor, Tensor] | null): [Tensor, Tensor] {
    const [x, unbatched] = this.batchedInput(input);
    if (hx !== undefined && hx !== null && (!Array.isArray(hx) || hx.length !== 2)) {
      throw new ShapeError('LSTMCell: expected hx to be a pair [h, c] of tensors');
    }
    const h = this.state('h', hx?.[0], x.shape[0], unbatched);
    const c = this.state('c', hx?.[1], x.shape[0], unbatched);
    const [h2, c2] = lstmStep(this.inputProjection(x), h, c, this.weight_hh, this.bias_hh);
    return unbatched ? [squeeze(h2, 0), squeeze(c2, 0)] : [h2, c2];
  }
}

/**
 * The GRU cell: gates r, z, n (in that order, 3·hiddenSize rows), with
 * n = tanh(W_in·x + b_in + r ⊙ (W_hn·h + b_hn)) and h' = (1 − z) ⊙ n + z ⊙ h.
 */
export class GRUCell extends RNNCellBase {
  constructor(inputSize: number, hiddenSize: number, opts: Omit<RNNCellOptions, 'nonlinearity'> = {}) {
    super(inputSize, hiddenSize, 3, opts);
  }

  forward(input: Tensor, hx?: Tensor | null): Tensor {
    const [x, unbatched] = this.batchedInput(input);
    const h = this.state('hx', hx, x.shape[0], unbatched);
    const h2 = gruStep(this.inputProjection(x), h, this.weight_hh, this.bias_hh);
    return unbatched ? squeeze(h2, 0) : h2;
  }
}
