import { record } from '../autograd/record.js';
import type { DType } from '../tensor/dtype.js';
import { assertDType, isFloating } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';

/** Converts to another dtype; differentiable between floating dtypes (the gradient converts back). */
export function to(x: Tensor, dtype: DType): Tensor {
  assertDType(dtype);
  if (x.dtype === dtype) return x;
  const out = new Tensor(x.storage.backend.cast(x.storage, dtype), x.shape);
  if (!isFloating(dtype)) return out;
  const from = x.dtype;
  return record('to', [x], out, (g) => [to(g, from)]);
}

/** A copy that shares no storage (PyTorch's clone); differentiable. */
export function clone(x: Tensor): Tensor {
  const b = x.storage.backend;
  const out = new Tensor(b.cast(x.storage, x.dtype), x.shape);
  return record('clone', [x], out, (g) => [g]);
}

/** A tensor sharing this one's storage but cut off from the graph. */
export function detach(x: Tensor): Tensor {
  return new Tensor(x.storage, x.shape);
}

declare module '../tensor/tensor.js' {
  interface Tensor {
    to(dtype: DType): Tensor;
    float(): Tensor;
    double(): Tensor;
    int(): Tensor;
    bool(): Tensor;
    clone(): Tensor;
    detach(): Tensor;
    /** Contiguous already (storage is always row-major): returns this tensor. */
    contiguous(): Tensor;
  }
}

Tensor.prototype.to = function (dtype: DType) {
  return to(this, dtype);
};
Tensor.prototype.float = function () {
  return to(this, 'float32');
};
Tensor.prototype.double = function () {
  return to(this, 'float64');
};
Tensor.prototype.int = function () {
  return to(this, 'int32');
};
Tensor.prototype.bool = function () {
  return to(this, 'bool');
};
Tensor.prototype.clone = function () {
  return clone(this);
};
Tensor.prototype.detach = function () {
  return detach(this);
};
Tensor.prototype.contiguous = function () {
  return this;
};
