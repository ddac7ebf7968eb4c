/**
 * TransformerEncoderLayer and TransformerEncoder with PyTorch's submodule names (self_attn, linear1,
 * dropout, linear2, norm1, norm2, dropout1, dropout2; layers.0, …, norm), so PyTorch state dicts
 * load one to one.
 */
import type { DType } from '../../tensor/dtype.js';
import { ChainruleError, IndexError } from '../../tensor/errors.js';
import { fromTypedArray } from '../../tensor/create.js';
import { typedArrayFor } from '../../tensor/dtype.js';
import type { Generator } from '../../tensor/random.js';
import { Tensor } from '../../tensor/tensor.js';
import { noGrad } from '../../autograd/grad-mode.js';
import { add } from '../../ops/arith.js';
import { gelu, relu } from '../functional/layers.js';
import { Module } from '../module.js';
import { Parameter } from '../parameter.js';
import { MultiheadAttention } from './attention.js';
import { ModuleList } from './container.js';
import { Dropout, Linear } from './linear.js';
import { LayerNorm } from './normalization.js';

export type TransformerActivation = 'relu' | 'gelu';

export interface TransformerEncoderLayerOptions {
  dimFeedforward?: number;
  dropout?: number;
  activation?: TransformerActivation;
  layerNormEps?: number;
  /** Inputs and output as [batch, seq, feature] instead of [seq, batch, feature]. */
  batchFirst?: boolean;
  /** Normalize before the attention and feed-forward blocks (pre-norm) instead of after them. */
  normFirst?: boolean;
  bias?: boolean;
  dtype?: DType;
  /** Draws the initial weights and the dropout masks from this generator instead of the default one. */
  generator?: Generator;
}

export interface TransformerEncoderForwardOptions {
  /** Attention mask [S, S] or [N·nhead, S, S], as MultiheadAttention's attnMask. */
  srcMask?: Tensor | null;
  /** [N, S]: bool true marks padding positions to ignore. */
  srcKeyPaddingMask?: Tensor | null;
  /** Causal self-attention (with srcMask given, a hint that srcMask is causal). */
  isCausal?: boolean;
}

/**
 * A float [size, size] mask with −∞ above the diagonal and 0 elsewhere: the causal attention mask
 * (PyTorch's nn.Transformer.generate_square_subsequent_mask).
 */
export function generateSquareSubsequentMask(size: number, opts: { dtype?: DType } = {}): Tensor {
  if (!Number.isInteger(size) || size < 0) {
    throw new IndexError(`generateSquareSubsequentMask: size must be a non-negative integer, got ${size}`);
  }
  const v = typedArrayFor(opts.dtype ?? 'float32', size * size);
  for (let i = 0; i < size; i++) for (let j = i + 1; j < size; j++) v[i * size + j] = -Infinity;
  return fromTypedArray(v, [size, size]);
}

/**
 * Self-attention and a feed-forward block (linear2(dropout(activation(linear1(x))))), each with a
 * residual connection and a LayerNorm, after (default) or before (normFirst) the block.
 */
export class TransformerEncoderLayer extends Module {
  self_attn: MultiheadAttention;
  linear1: Linear;
  dropout: Dropout;
  linear2: Linear;
  norm1: LayerNorm;
  norm2: LayerNorm;
  dropout1: Dropout;
  dropout2: Dropout;
  readonly normFirst: boolean;
  readonly activation: TransformerActivation;

  constructor(dModel: number, nhead: number, opts: TransformerEncoderLayerOptions = {}) {
    super();
    const activation = opts.activation ?? 'relu';
    if (activation !== 'relu' && activation !== 'gelu') {
      throw new IndexError(
        `TransformerEncoderLayer: activation should be 'relu' or 'gelu', not '${String(activation)}'`,
      );
    }
    const p = opts.dropout ?? 0.1;
    const bias = opts.bias !== false;
    const common = { dtype: opts.dtype, generator: opts.generator };
    const eps = opts.layerNormEps ?? 1e-5;
    const ff = opts.dimFeedforward ?? 2048;
    this.self_attn = new MultiheadAttention(dModel, nhead, {
      dropout: p,
      bias,
      batchFirst: opts.batchFirst ?? false,
      ...common,
    });
    this.linear1 = new Linear(dModel, ff, { bias, ...common });
    this.dropout = new Dropout(p, { generator: opts.generator });
    this.linear2 = new Linear(ff, dModel, { bias, ...common });
    this.norm1 = new LayerNorm(dModel, { eps, bias, dtype: opts.dtype });
    this.norm2 = new LayerNorm(dModel, { eps, bias, dtype: opts.dtype });
    this.dropout1 = new Dropout(p, { generator: opts.generator });
    this.dropout2 = new Dropout(p, { generator: opts.generator });
    this.normFirst = opts.normFirst ?? false;
    this.activation = activation;
  }

  private selfAttentionBlock(x: Tensor, o: TransformerEncoderForwardOptions): Tensor {
    const [y] = this.self_attn.forward(x, x, x, {
      attnMask: o.srcMask,
      keyPaddingMask: o.srcKeyPaddingMask,
      needWeights: false,
      isCausal: o.isCausal,
    });
    return this.dropout1.forward(y);
  }

  private feedForwardBlock(x: Tensor): Tensor {
    const h = this.linear1.forward(x);
    const a = this.activation === 'gelu' ? gelu(h) : relu(h);
    return this.dropout2.forward(this.linear2.forward(this.dropout.forward(a)));
  }

  forward(src: Tensor, opts: TransformerEncoderForwardOptions = {}): Tensor {
    let x = src;
    if (this.normFirst) {
      x = add(x, this.selfAttentionBlock(this.norm1.forward(x), opts));
      return add(x, this.feedForwardBlock(this.norm2.forward(x)));
    }
    x = this.norm1.forward(add(x, this.selfAttentionBlock(x, opts)));
    return this.norm2.forward(add(x, this.feedForwardBlock(x)));
  }
}

/**
 * A deep copy of a module: fresh copies of its parameters and buffers, its submodules copied the
 * same way, other settings shared (generators included, so seeded dropout stays seeded).
 */
export function cloneModule<T extends Module>(m: T): T {
  const copy = Object.create(Object.getPrototypeOf(m) as object) as Record<string, unknown>;
  const fresh = (t: Tensor) => noGrad(() => t.detach().clone());
  for (const [k, v] of Object.entries(m)) {
    if (v instanceof Parameter) copy[k] = new Parameter(fresh(v), v.requiresGrad);
    else if (v instanceof Module) copy[k] = cloneModule(v);
    else if (v instanceof Tensor) copy[k] = fresh(v);
    else if (v instanceof Map) {
      // The buffer table: entries { tensor, persistent }.
      copy[k] = new Map(
        [...(v as Map<string, { tensor: Tensor | null; persistent: boolean }>)].map(([n, b]) => [
          n,
          { tensor: b.tensor && fresh(b.tensor), persistent: b.persistent },
        ]),
      );
    } else copy[k] = v;
  }
  return copy as unknown as T;
}

/** numLayers copies of an encoder layer (layers.0, layers.1, …), run in turn, then an optional norm. */
export class TransformerEncoder extends Module {
  layers: ModuleList<TransformerEncoderLayer>;
  readonly numLayers: number;
  norm: Module | null;

  constructor(encoderLayer: TransformerEncoderLayer, numLayers: number, opts: { norm?: Module | null } = {}) {
    super();
    if (!(encoderLayer instanceof Module)) {
      throw new ChainruleError('TransformerEncoder: encoderLayer must be a TransformerEncoderLayer');
    }
    if (!Number.isInteger(numLayers) || numLayers < 1) {
      throw new IndexError(`TransformerEncoder: numLayers must be a positive integer, got ${numLayers}`);
    }
    // Copies, as PyTorch: every layer starts from the given layer's weights but trains on its own.
    this.layers = new ModuleList(Array.from({ length: numLayers }, () => cloneModule(encoderLayer)));
    this.numLayers = numLayers;
    this.norm = opts.norm ?? null;
  }

  forward(
    src: Tensor,
    opts: { mask?: Tensor | null; srcKeyPaddingMask?: Tensor | null; isCausal?: boolean } = {},
  ): Tensor {
    let x = src;
    for (const layer of this.layers) {
      x = layer.forward(x, {
        srcMask: opts.mask,
        srcKeyPaddingMask: opts.srcKeyPaddingMask,
        isCausal: opts.isCausal,
      });
    }
    return this.norm ? (this.norm.forward(x) as Tensor) : x;
  }
}
