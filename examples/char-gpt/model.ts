/**
 * A decoder-only GPT in the manner of Andrej Karpathy's nanoGPT (model.py), in one file: token and
 * learned position embeddings, nLayer pre-norm blocks of causal self-attention and a 4× GELU MLP,
 * a final LayerNorm and a language-model head that shares its weight with the token embedding.
 *
 * Submodules carry nanoGPT's names (transformer.wte, transformer.h.0.attn.c_attn, lm_head, ...), so
 * the state dict's keys and shapes are those of a nanoGPT checkpoint.
 */
import type { Generator, Tensor } from '../../src/index.js';
import { add, arange, nn, reshape, ShapeError, split, transpose } from '../../src/index.js';
import type { CharModel } from '../char-common.js';

const F = nn.functional;

export interface GPTConfig {
  vocabSize: number;
  /** The longest context (the number of learned positions). */
  blockSize: number;
  nLayer: number;
  nHead: number;
  nEmbd: number;
  dropout: number;
  /** Biases in the Linear layers and LayerNorms (nanoGPT's default: true). */
  bias: boolean;
  /**
   * The MLP's GELU: 'none' is exact (nanoGPT's nn.GELU()), 'tanh' the approximation GPT-2 was
   * trained with. Default 'tanh': exact GELU needs erf, which the wasm backend computes on the host.
   */
  gelu?: 'none' | 'tanh';
}

/** Multi-head causal self-attention with one Linear for q, k and v together, as nanoGPT. */
export class CausalSelfAttention extends nn.Module {
  readonly nHead: number;
  readonly nEmbd: number;
  readonly dropout: number;
  c_attn: nn.Linear;
  c_proj: nn.Linear;
  resid_dropout: nn.Dropout;

  constructor(config: GPTConfig) {
    super();
    if (config.nEmbd % config.nHead !== 0) {
      throw new ShapeError(
        `CausalSelfAttention: nEmbd ${config.nEmbd} must be divisible by nHead ${config.nHead}`,
      );
    }
    this.nHead = config.nHead;
    this.nEmbd = config.nEmbd;
    this.dropout = config.dropout;
    this.c_attn = new nn.Linear(config.nEmbd, 3 * config.nEmbd, { bias: config.bias });
    this.c_proj = new nn.Linear(config.nEmbd, config.nEmbd, { bias: config.bias });
    this.resid_dropout = new nn.Dropout(config.dropout);
  }

  forward(x: Tensor): Tensor {
    const [B, T, C] = x.shape;
    const hs = C / this.nHead;
    // [B, T, 3C] → q, k, v each [B, nHead, T, hs]: every head attends in its own slice of the width.
    const [q, k, v] = split(this.c_attn.forward(x), C, 2).map((t) =>
      transpose(reshape(t, [B, T, this.nHead, hs]), 1, 2),
    );
    const p = this.training ? this.dropout : 0;
    const y = F.scaledDotProductAttention(q, k, v, null, p, true);
    // Heads side by side again: [B, nHead, T, hs] → [B, T, C].
    return this.resid_dropout.forward(this.c_proj.forward(reshape(transpose(y, 1, 2), [B, T, C])));
  }
}

export class MLP extends nn.Module {
  c_fc: nn.Linear;
  gelu: nn.GELU;
  c_proj: nn.Linear;
  dropout: nn.Dropout;

  constructor(config: GPTConfig) {
    super();
    this.c_fc = new nn.Linear(config.nEmbd, 4 * config.nEmbd, { bias: config.bias });
    this.gelu = new nn.GELU(config.gelu ?? 'tanh');
    this.c_proj = new nn.Linear(4 * config.nEmbd, config.nEmbd, { bias: config.bias });
    this.dropout = new nn.Dropout(config.dropout);
  }

  forward(x: Tensor): Tensor {
    return this.dropout.forward(this.c_proj.forward(this.gelu.forward(this.c_fc.forward(x))));
  }
}

/** Pre-norm residual block: x + attn(ln(x)), then x + mlp(ln(x)). */
export class Block extends nn.Module {
  ln_1: nn.LayerNorm;
  attn: CausalSelfAttention;
  ln_2: nn.LayerNorm;
  mlp: MLP;

  constructor(config: GPTConfig) {
    super();
    this.ln_1 = new nn.LayerNorm(config.nEmbd, { bias: config.bias });
    this.attn = new CausalSelfAttention(config);
    this.ln_2 = new nn.LayerNorm(config.nEmbd, { bias: config.bias });
    this.mlp = new MLP(config);
  }

  forward(x: Tensor): Tensor {
    x = add(x, this.attn.forward(this.ln_1.forward(x)));
    return add(x, this.mlp.forward(this.ln_2.forward(x)));
  }
}

/** The body that nanoGPT keeps in an nn.ModuleDict named `transformer`. */
class Transformer extends nn.Module {
  wte: nn.Embedding;
  wpe: nn.Embedding;
  drop: nn.Dropout;
  h: nn.ModuleList<Block>;
  ln_f: nn.LayerNorm;

  constructor(config: GPTConfig) {
    super();
    this.wte = new nn.Embedding(config.vocabSize, config.nEmbd);
    this.wpe = new nn.Embedding(config.blockSize, config.nEmbd);
    this.drop = new nn.Dropout(config.dropout);
    this.h = new nn.ModuleList(Array.from({ length: config.nLayer }, () => new Block(config)));
    this.ln_f = new nn.LayerNorm(config.nEmbd, { bias: config.bias });
  }

  forward(): never {
    throw new ShapeError('GPT.transformer: has no forward of its own; call the GPT');
  }
}

export class GPT extends nn.Module implements CharModel {
  readonly config: GPTConfig;
  readonly blockSize: number;
  transformer: Transformer;
  lm_head: nn.Linear;

  constructor(config: GPTConfig, generator?: Generator) {
    super();
    this.config = { ...config };
    this.blockSize = config.blockSize;
    this.transformer = new Transformer(config);
    this.lm_head = new nn.Linear(config.nEmbd, config.vocabSize, { bias: false });
    // Weight tying: the head scores each character by its embedding (one [V, C] tensor, trained once).
    this.lm_head.weight = this.transformer.wte.weight;
    this.initWeights(generator);
  }

  /**
   * nanoGPT's init: every Linear and Embedding weight from N(0, 0.02), biases zero; the projections
   * that write into the residual stream (c_proj) from N(0, 0.02/√(2·nLayer)), so that the stream's
   * variance does not grow with depth (GPT-2's scaling).
   */
  private initWeights(generator?: Generator): void {
    const g = { generator };
    const residualStd = 0.02 / Math.sqrt(2 * this.config.nLayer);
    for (const [name, m] of this.namedModules()) {
      if (m === this.lm_head) continue; // its weight is wte's, drawn once
      if (m instanceof nn.Linear) {
        nn.init.normal(m.weight, 0, name.endsWith('c_proj') ? residualStd : 0.02, g);
        if (m.bias) nn.init.zeros(m.bias);
      } else if (m instanceof nn.Embedding) {
        nn.init.normal(m.weight, 0, 0.02, g);
      }
    }
  }

  /** The number of parameters, without the position embeddings (as nanoGPT reports it). */
  numParams(): number {
    const all = this.parameters().reduce((n, p) => n + p.numel(), 0);
    return all - this.transformer.wpe.weight.numel();
  }

  /** Logits [B, T, vocabSize] for token ids [B, T] (int32), T ≤ blockSize. */
  forward(idx: Tensor): Tensor {
    if (idx.ndim !== 2) {
      throw new ShapeError(`GPT: expected token ids of shape [B, T], got [${idx.shape.join(', ')}]`);
    }
    const T = idx.shape[1];
    if (T > this.blockSize) {
      throw new ShapeError(
        `GPT: cannot read a sequence of length ${T}, the block size is only ${this.blockSize} (input [${idx.shape.join(', ')}])`,
      );
    }
    const t = this.transformer;
    const pos = arange(T); // int32 positions 0..T−1
    let x = t.drop.forward(add(t.wte.forward(idx), t.wpe.forward(pos)));
    for (const block of t.h) x = block.forward(x);
    return this.lm_head.forward(t.ln_f.forward(x));
  }

  predict(tokens: Tensor): [Tensor, null] {
    return [this.forward(tokens), null];
  }
}
