/**
 * chainrule: tensors with reverse-mode automatic differentiation. This entry point is browser-safe:
 * it uses no Node-only module.
 */
import './backend/js/index.js';
import './backend/wasm/index.js';
import './ops/convert.js';
import './ops/arith.js';
import './ops/unary.js';
import './ops/compare.js';
import './ops/shape.js';
import './ops/slice.js';
import './ops/gather.js';
import './ops/join.js';
import './ops/reduce.js';
import './ops/cumulative.js';
import './ops/softmax.js';
import './ops/matmul.js';
import './ops/sort.js';
import './ops/activation.js';
import './ops/sample.js';
import './ops/inplace.js';
import './autograd/engine.js';

export { Tensor } from './tensor/tensor.js';
export type { NestedArray } from './tensor/tensor.js';
export type { DType, TypedArray } from './tensor/dtype.js';
export { promoteTypes } from './tensor/dtype.js';
export type { Shape } from './tensor/shape.js';
export { broadcastShapes } from './tensor/shape.js';
export {
  ChainruleError,
  ShapeError,
  DTypeError,
  IndexError,
  AutogradError,
  BackendError,
  AnomalyError,
} from './tensor/errors.js';
export type { TensorOptions } from './tensor/create.js';
export {
  tensor,
  scalar,
  full,
  zeros,
  ones,
  fullLike,
  zerosLike,
  onesLike,
  arange,
  linspace,
  eye,
} from './tensor/create.js';
export type { RandomOptions } from './tensor/random.js';
export {
  Generator,
  defaultGenerator,
  manualSeed,
  rand,
  randn,
  randLike,
  randnLike,
  uniform,
  normal,
  randint,
  randperm,
} from './tensor/random.js';

export type { Backend, Storage } from './backend/backend.js';
export { setBackend, getBackend, listBackends, registerBackend } from './backend/backend.js';
export type { PoolWorker, WorkerFactory } from './backend/wasm/threads.js';
export { setNumThreads, getNumThreads, setWorkerFactory } from './backend/wasm/threads.js';
export { useWebWorkers } from './backend/wasm/web-workers.js';
export { initWebGPU, probeWebGPU, WebGPUBackend } from './backend/webgpu/index.js';
export type {
  InitOptions as WebGPUInitOptions,
  AdapterDescription,
  WebGPUStats,
} from './backend/webgpu/index.js';

export type { TensorLike } from './ops/util.js';
export { to, clone, detach } from './ops/convert.js';
export { add, sub, mul, div, neg, pow, log } from './ops/arith.js';
export {
  exp,
  log1p,
  expm1,
  sqrt,
  rsqrt,
  abs,
  sign,
  sin,
  cos,
  tanh,
  sigmoid,
  relu,
  erf,
  floor,
  ceil,
  round,
  reciprocal,
} from './ops/unary.js';
export {
  eq,
  ne,
  lt,
  le,
  gt,
  ge,
  logicalAnd,
  logicalOr,
  logicalNot,
  isnan,
  isinf,
  isfinite,
  maximum,
  minimum,
  where,
  clamp,
} from './ops/compare.js';
export { sumToShape, broadcastTo } from './ops/broadcast.js';
export { asStrided } from './ops/strided.js';
export { reshape, flatten, squeeze, unsqueeze, permute, transpose, expand } from './ops/shape.js';
export type { IndexSpec } from './ops/slice.js';
export { narrow, slice, select, flip, index } from './ops/slice.js';
export { gather, scatterAdd, indexSelect } from './ops/gather.js';
export * from './ops/join.js';
export type { Dims, VarOptions } from './ops/reduce.js';
export { sum, mean, prod, amax, amin, argmax, argmin, max, min, variance as var, std } from './ops/reduce.js';
export { cumsum, cumprod } from './ops/cumulative.js';
export { softmax, logSoftmax, logsumexp, norm } from './ops/softmax.js';
export { matmul, mm } from './ops/matmul.js';
export { sort, argsort, topk } from './ops/sort.js';
export * from './ops/activation.js';
export { bernoulli } from './ops/sample.js';

export type { BackwardOptions, GradOptions } from './autograd/engine.js';
export { backward } from './autograd/engine.js';
export { noGrad, enableGrad, isGradEnabled, setGradEnabled } from './autograd/grad-mode.js';
export { detectAnomaly, isAnomalyEnabled } from './autograd/anomaly.js';
export type { TransformOptions } from './autograd/functional.js';
export { grad, valueAndGrad, vjp } from './autograd/functional.js';
export type { TensorTree } from './autograd/tree.js';
export { treeLeaves, treeMap } from './autograd/tree.js';
export type { FunctionDef } from './autograd/function.js';
export { customFunction, FunctionCtx } from './autograd/function.js';
export type { GradcheckOptions } from './autograd/gradcheck.js';
export { gradcheck, gradgradcheck, GradcheckError } from './autograd/gradcheck.js';
export * as autograd from './autograd/namespace.js';
export * as nn from './nn/index.js';
export * as optim from './optim/index.js';
export * as data from './data/index.js';
export * from './train/index.js';
export * as io from './io/index.js';
export * as vision from './vision/index.js';
export * as rl from './rl/index.js';
export { multinomial, multinomialAsync } from './nn/sampling.js';
