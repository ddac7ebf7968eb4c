/** nn.functional (import as `F`): PyTorch's functional forms under camelCase names. */
export * from './layers.js';
export * from './loss.js';
export * from './conv.js';
export { scaledDotProductAttention } from './attention.js';
export type { ScaledDotProductAttentionOptions } from './attention.js';
