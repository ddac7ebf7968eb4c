export type { ResNetOptions } from './resnet.js';
export { BasicBlock, ResNet } from './resnet.js';
