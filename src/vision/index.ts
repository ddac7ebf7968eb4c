/** Computer-vision helpers: image transforms for training (models are added alongside). */
export type {
  Transform,
  TransformLike,
  PaddingMode,
  RandomCropOptions,
  RandomOptionsLike,
} from './transforms.js';
export { Compose, RandomCrop, RandomHorizontalFlip, Normalize } from './transforms.js';
export type { ResNetOptions } from './models/index.js';
export { BasicBlock, ResNet } from './models/index.js';
