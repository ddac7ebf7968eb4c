/** Embedding: a learnable lookup table from int32 indices to vectors. */
import { noGrad } from '../../autograd/grad-mode.js';
import { arange, zeros } from '../../tensor/create.js';
import type { DType } from '../../tensor/dtype.js';
import { IndexError, ShapeError, fmtShape } from '../../tensor/errors.js';
import type { Generator } from '../../tensor/random.js';
import type { Tensor } from '../../tensor/tensor.js';
import { eq, where } from '../../ops/compare.js';
import { embedding } from '../functional/layers.js';
import { normal } from '../init.js';
import { Module } from '../module.js';
import { Parameter } from '../parameter.js';

export interface EmbeddingOptions {
  /** This row starts as zeros and gets no gradient (e.g. the padding token). */
  paddingIdx?: number | null;
  dtype?: DType;
  generator?: Generator;
}

/**
 * Maps indices of any shape to rows of weight [numEmbeddings, embeddingDim]; the output has shape
 * [...input.shape, embeddingDim]. The weight starts as N(0, 1) samples, as in PyTorch.
 */
export class Embedding extends Module {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  readonly paddingIdx: number | null;
  weight: Parameter;

  constructor(numEmbeddings: number, embeddingDim: number, opts: EmbeddingOptions = {}) {
    super();
    for (const [name, v] of [
      ['numEmbeddings', numEmbeddings],
      ['embeddingDim', embeddingDim],
    ] as const) {
      if (!Number.isInteger(v) || v < 0) {
        throw new IndexError(`Embedding: ${name} must be a non-negative integer, got ${String(v)}`);
      }
    }
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    const p = opts.paddingIdx ?? null;
    if (p !== null && (!Number.isInteger(p) || p < -numEmbeddings || p >= numEmbeddings)) {
      throw new IndexError(`Embedding: paddingIdx ${p} must be within num_embeddings (${numEmbeddings})`);
    }
    // Negative indices count from the end, as in PyTorch.
    this.paddingIdx = p !== null && p < 0 ? p + numEmbeddings : p;
    this.weight = new Parameter(zeros([numEmbeddings, embeddingDim], { dtype: opts.dtype ?? 'float32' }));
    this.resetParameters(opts);
  }

  /** An embedding whose weight is (a copy of) the given [num, dim] tensor; frozen by default. */
  static fromPretrained(
    embeddings: Tensor,
    opts: { freeze?: boolean; paddingIdx?: number | null } = {},
  ): Embedding {
    if (embeddings.ndim !== 2) {
      throw new ShapeError(
        `Embedding.fromPretrained: embeddings must be 2-D, got ${fmtShape(embeddings.shape)}`,
      );
    }
    const [n, d] = embeddings.shape;
    const e = new Embedding(n, d, { paddingIdx: opts.paddingIdx, dtype: embeddings.dtype });
    noGrad(() => e.weight.copy_(embeddings));
    e.weight.requiresGrad = !(opts.freeze ?? true);
    return e;
  }

  resetParameters(opts: { generator?: Generator } = {}): void {
    normal(this.weight, 0, 1, { generator: opts.generator });
    const p = this.paddingIdx;
    if (p === null) return;
    // Tensors are not views of each other, so the row is zeroed through a mask over the whole weight.
    const n = this.numEmbeddings;
    const isPad = eq(arange(n).reshape([n, 1]), p);
    noGrad(() => this.weight.copy_(where(isPad, 0, this.weight)));
  }

  forward(input: Tensor): Tensor {
    return embedding(input, this.weight, this.paddingIdx);
  }

  override extraRepr(): string {
    const pad = this.paddingIdx === null ? '' : `, padding_idx=${this.paddingIdx}`;
    return `${this.numEmbeddings}, ${this.embeddingDim}${pad}`;
  }
}
