/**
 * Multi-layer recurrent layers RNN, LSTM and GRU, with PyTorch's parameter names (weight_ih_l0,
 * weight_hh_l0, bias_ih_l0, bias_hh_l0, and _reverse for the backward direction), shapes, init and
 * input/output layouts, so PyTorch state dicts load one to one.
 *
 * For speed, each layer and direction computes the input projection of all time steps in one
 * product over [T·B, in]; only the hidden projection runs step by step. Backpropagation through time
 * runs on the iterative autograd engine, so long sequences do not grow the call stack.
 */
import type { DType } from '../../tensor/dtype.js';
import { IndexError, ShapeError, fmtShape } from '../../tensor/errors.js';
import { zeros } from '../../tensor/create.js';
import type { Generator } from '../../tensor/random.js';
import type { Tensor } from '../../tensor/tensor.js';
import { add } from '../../ops/arith.js';
import { cat, stack } from '../../ops/join.js';
import { reshape, squeeze, transpose, unsqueeze } from '../../ops/shape.js';
import { dropout, linear } from '../functional/layers.js';
import type { RNNNonlinearity } from '../functional/rnn.js';
import { gruStep, lstmStep, rnnStep, unbind } from '../functional/rnn.js';
import { uniform } from '../init.js';
import { Module } from '../module.js';
import { Parameter } from '../parameter.js';
import { checkFloatInput, checkNonlinearity, checkRNNSize } from './rnn-cell.js';

export interface RNNOptions {
  numLayers?: number;
  /** RNN only: 'tanh' (default) or 'relu'. */
  nonlinearity?: RNNNonlinearity;
  bias?: boolean;
  /** Input and output as [batch, seq, feature] instead of [seq, batch, feature]. */
  batchFirst?: boolean;
  /** Dropout on the outputs of each layer but the last, in training mode. */
  dropout?: number;
  bidirectional?: boolean;
  dtype?: DType;
  /** Draws the initial weights and the dropout masks from this generator instead of the default one. */
  generator?: Generator;
}

type Mode = 'RNN' | 'LSTM' | 'GRU';

interface DirParams {
  wIh: Parameter;
  wHh: Parameter;
  bIh: Parameter | null;
  bHh: Parameter | null;
}

/** The shared machinery of RNN, LSTM and GRU (PyTorch's RNNBase). */
abstract class RNNBase extends Module {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;
  generator: Generator | undefined;
  protected readonly mode: Mode;
  protected readonly nonlinearity: RNNNonlinearity;

  constructor(mode: Mode, inputSize: number, hiddenSize: number, opts: RNNOptions) {
    super();
    const op = mode;
    this.mode = mode;
    this.nonlinearity = checkNonlinearity(op, opts.nonlinearity ?? 'tanh');
    this.inputSize = checkRNNSize(op, 'inputSize', inputSize);
    this.hiddenSize = checkRNNSize(op, 'hiddenSize', hiddenSize);
    this.numLayers = checkRNNSize(op, 'numLayers', opts.numLayers ?? 1);
    this.bias = opts.bias !== false;
    this.batchFirst = opts.batchFirst ?? false;
    const p = opts.dropout ?? 0;
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) {
      throw new IndexError(`${op}: dropout should be a number in [0, 1], got ${String(p)}`);
    }
    this.dropout = p;
    this.bidirectional = opts.bidirectional ?? false;
    this.generator = opts.generator;
    const dtype = opts.dtype ?? 'float32';
    const gateSize = (mode === 'LSTM' ? 4 : mode === 'GRU' ? 3 : 1) * hiddenSize;
    const dirs = this.bidirectional ? 2 : 1;
    // Registered in PyTorch's order (layer, direction, then w_ih, w_hh, b_ih, b_hh).
    for (let layer = 0; layer < this.numLayers; layer++) {
      const layerIn = layer === 0 ? inputSize : hiddenSize * dirs;
      for (let d = 0; d < dirs; d++) {
        const sfx = `_l${layer}${d === 1 ? '_reverse' : ''}`;
        this.registerParameter(`weight_ih${sfx}`, new Parameter(zeros([gateSize, layerIn], { dtype })));
        this.registerParameter(`weight_hh${sfx}`, new Parameter(zeros([gateSize, hiddenSize], { dtype })));
        if (this.bias) {
          this.registerParameter(`bias_ih${sfx}`, new Parameter(zeros([gateSize], { dtype })));
          this.registerParameter(`bias_hh${sfx}`, new Parameter(zeros([gateSize], { dtype })));
        }
      }
    }
    this.resetParameters(opts);
  }

  /** Draws fresh initial values: every parameter from U(−1/√hiddenSize, 1/√hiddenSize). */
  resetParameters(opts: { generator?: Generator } = {}): void {
    const bound = 1 / Math.sqrt(this.hiddenSize);
    for (const p of this.parameters()) uniform(p, -bound, bound, { generator: opts.generator });
  }

  protected get numDirections(): number {
    return this.bidirectional ? 2 : 1;
  }

  private params(layer: number, dir: number): DirParams {
    const sfx = `_l${layer}${dir === 1 ? '_reverse' : ''}`;
    const self = this as unknown as Record<string, Parameter | null>;
    return {
      wIh: self[`weight_ih${sfx}`]!,
      wHh: self[`weight_hh${sfx}`]!,
      bIh: this.bias ? self[`bias_ih${sfx}`] : null,
      bHh: this.bias ? self[`bias_hh${sfx}`] : null,
    };
  }

  /** Checks the input and returns it as [T, B, in], with whether it was unbatched. */
  protected sequenceInput(input: unknown): [Tensor, boolean] {
    const op = this.mode;
    const x = checkFloatInput(op, 'input', input, this.parameters()[0].dtype);
    if (x.ndim !== 2 && x.ndim !== 3) {
      throw new ShapeError(
        `${op}: expected input to be 2-D (unbatched) or 3-D (batched), got shape ${fmtShape(x.shape)}`,
      );
    }
    if (x.shape[x.ndim - 1] !== this.inputSize) {
      throw new ShapeError(
        `${op}: input size must be ${this.inputSize} (the last dim), got input of shape ${fmtShape(x.shape)}`,
      );
    }
    const unbatched = x.ndim === 2;
    const seq = unbatched ? unsqueeze(x, 1) : this.batchFirst ? transpose(x, 0, 1) : x;
    if (seq.shape[0] === 0 || seq.shape[1] === 0) {
      throw new ShapeError(`${op}: expected a non-empty sequence and batch, got input ${fmtShape(x.shape)}`);
    }
    return [seq, unbatched];
  }

  /** An initial state [L·D, B, H] ([L·D, H] when unbatched), or zeros. */
  protected initialState(what: string, h: unknown, batch: number, unbatched: boolean): Tensor {
    const op = this.mode;
    const n = this.numLayers * this.numDirections;
    const dtype = this.parameters()[0].dtype;
    if (h === undefined || h === null) return zeros([n, batch, this.hiddenSize], { dtype });
    const t = checkFloatInput(op, what, h, dtype);
    const expected = unbatched ? [n, this.hiddenSize] : [n, batch, this.hiddenSize];
    if (t.ndim !== expected.length || t.shape.some((s, i) => s !== expected[i])) {
      throw new ShapeError(
        `${op}: expected ${what} of shape ${fmtShape(expected)} (numLayers·numDirections, ` +
          `${unbatched ? '' : 'batch, '}hiddenSize), got ${fmtShape(t.shape)}`,
      );
    }
    return unbatched ? unsqueeze(t, 1) : t;
  }

  /**
   * Runs all layers over x [T, B, in] from the initial states (each [L·D, B, H]; two for LSTM).
   * Returns the output [T, B, D·H] and the final states, each [L·D, B, H].
   */
  protected run(x: Tensor, init: Tensor[]): [Tensor, Tensor[]] {
    const [T, B] = x.shape;
    const D = this.numDirections;
    const starts = init.map((s) => unbind(s, 0));
    const finals: Tensor[][] = init.map(() => []);
    let layerInput = x;
    for (let layer = 0; layer < this.numLayers; layer++) {
      const outs: Tensor[] = [];
      for (let dir = 0; dir < D; dir++) {
        const p = this.params(layer, dir);
        const k = layer * D + dir;
        // One product for the input projection of every step; for RNN and LSTM b_hh joins it too.
        const flat = reshape(layerInput, [T * B, layerInput.shape[2]]);
        let gi = linear(flat, p.wIh, p.bIh);
        const bHhInStep = this.mode === 'GRU' ? p.bHh : null;
        if (this.mode !== 'GRU' && p.bHh) gi = add(gi, p.bHh);
        const steps = unbind(reshape(gi, [T, B, gi.shape[1]]), 0);
        let states = starts.map((s) => s[k]);
        const hs: Tensor[] = new Array<Tensor>(T);
        for (let s = 0; s < T; s++) {
          const t = dir === 0 ? s : T - 1 - s;
          states = this.step(steps[t], states, p.wHh, bHhInStep);
          hs[t] = states[0];
        }
        states.forEach((st, i) => finals[i].push(st));
        outs.push(stack(hs, 0));
      }
      layerInput = D === 1 ? outs[0] : cat(outs, 2);
      if (this.dropout > 0 && this.training && layer < this.numLayers - 1) {
        layerInput = dropout(layerInput, this.dropout, true, { generator: this.generator });
      }
    }
    return [layerInput, finals.map((f) => stack(f, 0))];
  }

  private step(gi: Tensor, states: Tensor[], wHh: Tensor, bHh: Tensor | null): Tensor[] {
    if (this.mode === 'LSTM') return lstmStep(gi, states[0], states[1], wHh, bHh);
    if (this.mode === 'GRU') return [gruStep(gi, states[0], wHh, bHh)];
    return [rnnStep(gi, states[0], wHh, bHh, this.nonlinearity)];
  }

  /** The shared forward: states in and out are lists (one for RNN/GRU, [h, c] for LSTM). */
  protected forwardStates(
    input: Tensor,
    hx: (Tensor | null | undefined)[],
    names: string[],
  ): [Tensor, Tensor[]] {
    const [x, unbatched] = this.sequenceInput(input);
    const B = x.shape[1];
    const init = hx.map((h, i) => this.initialState(names[i], h, B, unbatched));
    const [out, finals] = this.run(x, init);
    if (unbatched) return [squeeze(out, 1), finals.map((f) => squeeze(f, 1))];
    return [this.batchFirst ? transpose(out, 0, 1) : out, finals];
  }

  override extraRepr(): string {
    let s = `${this.inputSize}, ${this.hiddenSize}`;
    if (this.numLayers !== 1) s += `, num_layers=${this.numLayers}`;
    if (this.mode === 'RNN' && this.nonlinearity !== 'tanh') s += `, nonlinearity=${this.nonlinearity}`;
    if (!this.bias) s += ', bias=false';
    if (this.batchFirst) s += ', batch_first=true';
    if (this.dropout !== 0) s += `, dropout=${this.dropout}`;
    if (this.bidirectional) s += ', bidirectional=true';
    return s;
  }
}

/**
 * Elman RNN: h_t = tanh(x_t·W_ihᵀ + b_ih + h_{t−1}·W_hhᵀ + b_hh) (or relu), stacked numLayers deep.
 * forward(input [T, B, in] ([B, T, in] with batchFirst, or unbatched [T, in]), h0? [L·D, B, H])
 * returns [output [T, B, D·H], h_n [L·D, B, H]].
 */
export class RNN extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, opts: RNNOptions = {}) {
    super('RNN', inputSize, hiddenSize, opts);
  }

  forward(input: Tensor, hx?: Tensor | null): [Tensor, Tensor] {
    const [out, [h]] = this.forwardStates(input, [hx], ['hx']);
    return [out, h];
  }
}

/**
 * Long short-term memory, gates i, f, g, o as PyTorch. forward(input, [h0, c0]?) returns
 * [output, [h_n, c_n]], shapes as for RNN.
 */
export class LSTM extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, opts: Omit<RNNOptions, 'nonlinearity'> = {}) {
    super('LSTM', inputSize, hiddenSize, opts);
  }

  forward(input: Tensor, hx?: readonly [Tensor, Tensor] | null): [Tensor, [Tensor, Tensor]] {
    if (hx !== undefined && hx !== null && (!Array.isArray(hx) || hx.length !== 2)) {
      throw new ShapeError('LSTM: expected hx to be a pair [h0, c0] of tensors');
    }
    const [out, [h, c]] = this.forwardStates(input, [hx?.[0], hx?.[1]], ['h0', 'c0']);
    return [out, [h, c]];
  }
}

/** Gated recurrent unit, gates r, z, n as PyTorch. forward(input, h0?) returns [output, h_n]. */
export class GRU extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, opts: Omit<RNNOptions, 'nonlinearity'> = {}) {
    super('GRU', inputSize, hiddenSize, opts);
  }

  forward(input: Tensor, hx?: Tensor | null): [Tensor, Tensor] {
    const [out, [h]] = this.forwardStates(input, [hx], ['hx']);
    return [out, h];
  }
}
