/** The layer modules of the nn namespace. */
export { Sequential, ModuleList, ModuleDict, Residual } from './container.js';
export type { LinearOptions } from './linear.js';
export { Linear, Identity, Flatten, Unflatten, Dropout } from './linear.js';
export type { BatchNormOptions, LayerNormOptions } from './normalization.js';
export { BatchNorm1d, LayerNorm } from './normalization.js';
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
