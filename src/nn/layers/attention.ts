/**
 * MultiheadAttention with PyTorch's parameter names (in_proj_weight, in_proj_bias, out_proj.weight,
 * out_proj.bias, or q/k/v_proj_weight when kdim/vdim differ from embedDim), init and mask rules, so
 * PyTorch state dicts load one to one.
 */
import type { DType } from '../../tensor/dtype.js';
import { DTypeError, IndexError, ShapeError, fmtShape } from '../../tensor/errors.js';
import { zeros } from '../../tensor/create.js';
import type { Generator } from '../../tensor/random.js';
import { Tensor } from '../../tensor/tensor.js';
import { add } from '../../ops/arith.js';
import { mean } from '../../ops/reduce.js';
import { permute, reshape, squeeze, transpose, unsqueeze } from '../../ops/shape.js';
import { narrow } from '../../ops/slice.js';
import { attentionCore, causalMask, maskToBias } from '../functional/attention.js';
import { linear } from '../functional/layers.js';
import { constant, xavierUniform } from '../init.js';
import { Module } from '../module.js';
import { Parameter } from '../parameter.js';
import { Linear } from './linear.js';

export interface MultiheadAttentionOptions {
  /** Dropout on the attention weights, in training mode. */
  dropout?: number;
  bias?: boolean;
  /** Feature size of the keys (embedDim by default). */
  kdim?: number;
  /** Feature size of the values (embedDim by default). */
  vdim?: number;
  /** Inputs and output as [batch, seq, feature] instead of [seq, batch, feature]. */
  batchFirst?: boolean;
  dtype?: DType;
  /** Draws the initial weights and the dropout masks from this generator instead of the default one. */
  generator?: Generator;
}

export interface MultiheadAttentionForwardOptions {
  /** [N, S] (or [S] unbatched): bool true marks keys to ignore; a float mask is added to the scores. */
  keyPaddingMask?: Tensor | null;
  /** Return the attention weights too (default true). */
  needWeights?: boolean;
  /** [L, S] or [N·numHeads, L, S]: bool true marks pairs that may not attend; a float mask is added. */
  attnMask?: Tensor | null;
  /** Average the returned weights over the heads (default true). */
  averageAttnWeights?: boolean;
  /** Masks keys after each query. With attnMask given, it is a hint that attnMask is causal. */
  isCausal?: boolean;
}

function positiveInt(op: string, name: string, n: unknown): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) {
    throw new IndexError(`${op}: ${name} must be a positive integer, got ${String(n)}`);
  }
  return n;
}

/**
 * Attention with numHeads heads of embedDim/numHeads features each: the inputs are projected to
 * queries, keys and values, attended per head, concatenated and projected by out_proj.
 * forward(query [L, N, E], key [S, N, kdim], value [S, N, vdim]) (batch first with batchFirst, or
 * unbatched without N) returns [output [L, N, E], weights [N, L, S] (per head [N, H, L, S]) or null].
 */
export class MultiheadAttention extends Module {
  readonly embedDim: number;
  readonly kdim: number;
  readonly vdim: number;
  readonly numHeads: number;
  readonly headDim: number;
  readonly dropout: number;
  readonly batchFirst: boolean;
  generator: Generator | undefined;
  in_proj_weight: Parameter | null = null;
  q_proj_weight: Parameter | null = null;
  k_proj_weight: Parameter | null = null;
  v_proj_weight: Parameter | null = null;
  in_proj_bias: Parameter | null = null;
  out_proj: Linear;

  constructor(embedDim: number, numHeads: number, opts: MultiheadAttentionOptions = {}) {
    super();
    const op = 'MultiheadAttention';
    this.embedDim = positiveInt(op, 'embedDim', embedDim);
    this.numHeads = positiveInt(op, 'numHeads', numHeads);
    if (embedDim % numHeads !== 0) {
      throw new IndexError(`${op}: embedDim ${embedDim} must be divisible by numHeads ${numHeads}`);
    }
    this.headDim = embedDim / numHeads;
    this.kdim = positiveInt(op, 'kdim', opts.kdim ?? embedDim);
    this.vdim = positiveInt(op, 'vdim', opts.vdim ?? embedDim);
    const p = opts.dropout ?? 0;
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) {
      throw new IndexError(`${op}: dropout must be in [0, 1], got ${String(p)}`);
    }
    this.dropout = p;
    this.batchFirst = opts.batchFirst ?? false;
    this.generator = opts.generator;
    const dtype = opts.dtype ?? 'float32';
    const E = embedDim;
    if (this.qkvSameEmbedDim) {
      this.in_proj_weight = new Parameter(zeros([3 * E, E], { dtype }));
    } else {
      this.q_proj_weight = new Parameter(zeros([E, E], { dtype }));
      this.k_proj_weight = new Parameter(zeros([E, this.kdim], { dtype }));
      this.v_proj_weight = new Parameter(zeros([E, this.vdim], { dtype }));
    }
    if (opts.bias !== false) this.in_proj_bias = new Parameter(zeros([3 * E], { dtype }));
    this.out_proj = new Linear(E, E, { bias: opts.bias !== false, dtype, generator: opts.generator });
    this.resetParameters(opts);
  }

  /** Whether keys and values have embedDim features (then one packed in_proj_weight). */
  get qkvSameEmbedDim(): boolean {
    return this.kdim === this.embedDim && this.vdim === this.embedDim;
  }

  /** PyTorch's init: Xavier-uniform projections, zero biases; out_proj.weight keeps Linear's init. */
  resetParameters(opts: { generator?: Generator } = {}): void {
    const g = { generator: opts.generator };
    for (const w of [this.in_proj_weight, this.q_proj_weight, this.k_proj_weight, this.v_proj_weight]) {
      if (w) xavierUniform(w, 1, g);
    }
    if (this.in_proj_bias) constant(this.in_proj_bias, 0);
    if (this.out_proj.bias) constant(this.out_proj.bias, 0);
  }

  /** The projection weight and bias of part i (0 query, 1 key, 2 value). */
  private projection(i: number): [Tensor, Tensor | null] {
    const E = this.embedDim;
    const w = this.in_proj_weight
      ? narrow(this.in_proj_weight, 0, i * E, E)
      : [this.q_proj_weight, this.k_proj_weight, this.v_proj_weight][i]!;
    return [w, this.in_proj_bias ? narrow(this.in_proj_bias, 0, i * E, E) : null];
  }

  /** Projects x [N, T, features] and splits the heads: [N, H, T, headDim]. */
  private heads(x: Tensor, i: number): Tensor {
    const [w, b] = this.projection(i);
    const [N, T] = x.shape;
    return permute(reshape(linear(x, w, b), [N, T, this.numHeads, this.headDim]), [0, 2, 1, 3]);
  }

  private checkInput(what: string, x: unknown, features: number, ndim: number): Tensor {
    const op = 'MultiheadAttention';
    const dtype = this.out_proj.weight.dtype;
    if (!(x instanceof Tensor) || x.dtype !== dtype) {
      const got = x instanceof Tensor ? `dtype ${x.dtype}` : typeof x;
      throw new DTypeError(`${op}: expected ${what} to be a ${dtype} tensor, got ${got}`);
    }
    if (x.ndim !== ndim || x.shape[ndim - 1] !== features) {
      throw new ShapeError(
        `${op}: expected ${what} of ${ndim}-D shape [${ndim === 3 ? '*, *, ' : '*, '}${features}], got ${fmtShape(x.shape)}`,
      );
    }
    return ndim === 2 ? unsqueeze(x, 0) : this.batchFirst ? x : transpose(x, 0, 1);
  }

  /** The additive mask [N, H, L, S] (or broadcastable) from attnMask, isCausal and keyPaddingMask. */
  private bias(N: number, L: number, S: number, unbatched: boolean, o: MultiheadAttentionForwardOptions) {
    const op = 'MultiheadAttention';
    const dtype = this.out_proj.weight.dtype;
    const checkMask = (what: string, m: Tensor, shapes: number[][]) => {
      if (!(m instanceof Tensor) || (m.dtype !== 'bool' && m.dtype !== dtype)) {
        const got = m instanceof Tensor ? m.dtype : typeof m;
        throw new DTypeError(`${op}: ${what} must be a bool or ${dtype} tensor, got ${got}`);
      }
      if (!shapes.some((s) => s.length === m.ndim && s.every((d, i) => d === m.shape[i]))) {
        throw new ShapeError(
          `${op}: ${what} of shape ${fmtShape(m.shape)} should be ${shapes.map(fmtShape).join(' or ')}`,
        );
      }
    };
    let bias: Tensor | null = null;
    if (o.attnMask !== undefined && o.attnMask !== null) {
      const H = this.numHeads;
      checkMask('attnMask', o.attnMask, [
        [L, S],
        [unbatched ? H : N * H, L, S],
      ]);
      const m = o.attnMask.ndim === 3 ? reshape(o.attnMask, [N, H, L, S]) : o.attnMask;
      bias = maskToBias(m, dtype, 'mask');
    } else if (o.isCausal) {
      bias = maskToBias(causalMask(L, S), dtype, 'keep');
    }
    if (o.keyPaddingMask !== undefined && o.keyPaddingMask !== null) {
      checkMask('keyPaddingMask', o.keyPaddingMask, [unbatched ? [S] : [N, S]]);
      const kpm = maskToBias(reshape(o.keyPaddingMask, [N, 1, 1, S]), dtype, 'mask');
      bias = bias ? add(bias, kpm) : kpm;
    }
    return bias;
  }

  forward(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    opts: MultiheadAttentionForwardOptions = {},
  ): [Tensor, Tensor | null] {
    const op = 'MultiheadAttention';
    const nd = query instanceof Tensor ? query.ndim : 0;
    if (nd !== 2 && nd !== 3) {
      const got = query instanceof Tensor ? `shape ${fmtShape(query.shape)}` : typeof query;
      throw new ShapeError(`${op}: expected query to be 2-D (unbatched) or 3-D (batched), got ${got}`);
    }
    const unbatched = nd === 2;
    // Work in the batch-first layout [N, T, features].
    const q = this.checkInput('query', query, this.embedDim, nd);
    const k = this.checkInput('key', key, this.kdim, nd);
    const v = this.checkInput('value', value, this.vdim, nd);
    const [N, L] = q.shape;
    const S = k.shape[1];
    if (k.shape[0] !== N || v.shape[0] !== N || v.shape[1] !== S) {
      throw new ShapeError(
        `${op}: query, key and value must share the batch size, and key and value the sequence length; ` +
          `got query ${fmtShape(query.shape)}, key ${fmtShape(key.shape)}, value ${fmtShape(value.shape)}`,
      );
    }
    const bias = this.bias(N, L, S, unbatched, opts);
    const dropoutP = this.training ? this.dropout : 0;
    const [heads, weights] = attentionCore(
      this.heads(q, 0),
      this.heads(k, 1),
      this.heads(v, 2),
      bias,
      1 / Math.sqrt(this.headDim),
      dropoutP,
      { generator: this.generator },
    );
    const merged = reshape(permute(heads, [0, 2, 1, 3]), [N, L, this.embedDim]);
    let out = this.out_proj.forward(merged);
    out = unbatched ? squeeze(out, 0) : this.batchFirst ? out : transpose(out, 0, 1);
    if (opts.needWeights === false) return [out, null];
    let w = opts.averageAttnWeights === false ? weights : mean(weights, 1);
    if (unbatched) w = squeeze(w, 0);
    return [out, w];
  }

  override extraRepr(): string {
    return `embed_dim=${this.embedDim}, num_heads=${this.numHeads}, dropout=${this.dropout}, batch_first=${this.batchFirst}`;
  }
}
