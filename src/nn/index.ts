/** The nn namespace: modules, layers, losses, initializers and the functional forms. */
export { Module, StateDictError, checkInputDims } from './module.js';
export type { StateDict, LoadResult } from './module.js';
export { Parameter } from './parameter.js';
export * from './layers/index.js';
export * from './loss.js';
export * as functional from './functional/index.js';
export * as init from './init.js';
export * as utils from './utils.js';
export { multinomial, multinomialAsync, sampleNext, sampleNextAsync } from './sampling.js';
export type { SamplingOptions, SampleNextOptions } from './sampling.js';
