/** Convolution, pooling and resizing in nn.functional, in PyTorch's argument order. */
export type { SizeArg } from '../../ops/conv-args.js';
export type { ConvPadding, ConvPaddingMode } from '../../ops/conv.js';
export { conv1d, conv2d, convTranspose1d, convTranspose2d } from '../../ops/conv.js';
export { maxPool1d, maxPool2d, avgPool1d, avgPool2d, adaptiveAvgPool2d } from '../../ops/pool.js';
export type { InterpolateMode } from '../../ops/interpolate.js';
export { interpolate } from '../../ops/interpolate.js';
