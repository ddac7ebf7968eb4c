/** PyTorch's torch.autograd names: `autograd.grad(outputs, inputs, opts)`, `autograd.backward`, ... */
export { autogradGrad as grad, backward } from './engine.js';
export { customFunction as Function, FunctionCtx } from './function.js';
export { gradcheck, gradgradcheck } from './gradcheck.js';
export { detectAnomaly } from './anomaly.js';
