/**
 * The character-level LSTM language model of the char-lstm example: Embedding → stacked LSTM →
 * Linear to one logit per character. It reads batch-first token ids [B, T] and carries its state
 * [h, c] from one call to the next, so text of any length can be read in chunks.
 */
import type { Generator, Tensor } from '../../src/index.js';
import { nn } from '../../src/index.js';
import type { CharModel, RecurrentState } from '../char-common.js';

export interface CharLSTMConfig {
  vocabSize: number;
  embeddingDim: number;
  hiddenSize: number;
  numLayers: number;
}

export class CharLSTM extends nn.Module implements CharModel {
  /** Recurrent: no context limit, it reads any length by carrying its state. */
  readonly blockSize = null;
  readonly config: CharLSTMConfig;
  encoder: nn.Embedding;
  lstm: nn.LSTM;
  decoder: nn.Linear;

  constructor(config: CharLSTMConfig, generator?: Generator) {
    super();
    this.config = { ...config };
    const { vocabSize, embeddingDim, hiddenSize, numLayers } = config;
    this.encoder = new nn.Embedding(vocabSize, embeddingDim, { generator });
    this.lstm = new nn.LSTM(embeddingDim, hiddenSize, { numLayers, batchFirst: true, generator });
    this.decoder = new nn.Linear(hiddenSize, vocabSize, { generator });
  }

  /** Logits [B, T, V] for tokens [B, T], starting from `state` (zeros when absent), and the final state. */
  forward(tokens: Tensor, state?: RecurrentState | null): [Tensor, RecurrentState] {
    const [out, [h, c]] = this.lstm.forward(this.encoder.forward(tokens), state ?? null);
    return [this.decoder.forward(out), [h, c]];
  }

  predict(tokens: Tensor, state?: RecurrentState | null): [Tensor, RecurrentState] {
    return this.forward(tokens, state);
  }
}
