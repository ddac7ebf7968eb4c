/** The optim namespace: optimizers, learning-rate schedulers, gradient clipping and penalties. */
export { Optimizer } from './optimizer.js';
export type {
  OptimizerOptions,
  OptimizerStateDict,
  ParamGroup,
  ParamGroupInput,
  ParamState,
  Params,
  SchedulerFields,
} from './optimizer.js';
export { SGD } from './sgd.js';
export type { SGDOptions } from './sgd.js';
export { Adam, AdamW } from './adam.js';
export type { AdamOptions } from './adam.js';
export { RMSprop } from './rmsprop.js';
export type { RMSpropOptions } from './rmsprop.js';
export { Adagrad } from './adagrad.js';
export type { AdagradOptions } from './adagrad.js';
export { clipGradNorm, clipGradNormAsync, clipGradValue } from './clip.js';
export { l1Penalty, l2Penalty } from './penalty.js';
export {
  LRScheduler,
  StepLR,
  MultiStepLR,
  ConstantLR,
  LinearLR,
  ExponentialLR,
  PolynomialLR,
  CosineAnnealingLR,
  LambdaLR,
  MultiplicativeLR,
} from './lr-scheduler.js';
export type { Scheduler } from './lr-scheduler.js';
export { OneCycleLR } from './one-cycle.js';
export type { OneCycleOptions } from './one-cycle.js';
export { ReduceLROnPlateau } from './plateau.js';
export type { ReduceLROnPlateauOptions } from './plateau.js';
export { SequentialLR, ChainedScheduler } from './chain.js';
