/** The layer modules of the nn namespace. */
export { Sequential, ModuleList, ModuleDict, Residual } from './container.js';
export type { LinearOptions } from './linear.js';
export { Linear, Identity, Flatten, Unflatten, Dropout } from './linear.js';
export type { BatchNormOptions, LayerNormOptions } from './normalization.js';
export { BatchNorm1d, BatchNorm2d, LayerNorm } from './normalization.js';
export type { EmbeddingOptions } from './embedding.js';
export { Embedding } from './embedding.js';
export {
  ReLU,
  LeakyReLU,
  ELU,
  GELU,
  SiLU,
  Sigmoid,
  Tanh,
  Softplus,
  LogSigmoid,
  Softmax,
  LogSoftmax,
} from './activation.js';
export type { ConvOptions, ConvTransposeOptions } from './conv.js';
export { Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d } from './conv.js';
export type { MaxPoolOptions, AvgPoolOptions, UpsampleOptions } from './pooling.js';
export {
  MaxPool1d,
  MaxPool2d,
  AvgPool1d,
  AvgPool2d,
  AdaptiveAvgPool2d,
  Dropout2d,
  Upsample,
} from './pooling.js';
export type { RNNCellOptions } from './rnn-cell.js';
export { RNNCell, LSTMCell, GRUCell } from './rnn-cell.js';
export type { RNNOptions } from './rnn.js';
export { RNN, LSTM, GRU } from './rnn.js';
export type { MultiheadAttentionOptions, MultiheadAttentionForwardOptions } from './attention.js';
export { MultiheadAttention } from './attention.js';
export type {
  TransformerEncoderLayerOptions,
  TransformerEncoderForwardOptions,
  TransformerActivation,
} from './transformer.js';
export { TransformerEncoderLayer, TransformerEncoder, generateSquareSubsequentMask } from './transformer.js';
