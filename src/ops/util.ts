import type { DType } from '../tensor/dtype.js';
import { promoteTypes, promoteWithScalar } from '../tensor/dtype.js';
import { DTypeError, ShapeError, fmtShape } from '../tensor/errors.js';
import { scalar } from '../tensor/create.js';
import { to } from './convert.js';
import { Tensor } from '../tensor/tensor.js';

/** What ops accept where a tensor is expected: a tensor, or a number/boolean (a 0-d tensor). */
export type TensorLike = Tensor | number | boolean;

export function checkTensor(op: string, x: unknown, what = 'input'): Tensor {
  if (!(x instanceof Tensor)) {
    throw new DTypeError(`${op}: expected ${what} to be a Tensor, got ${x === null ? 'null' : typeof x}`);
  }
  return x;
}

/** The dtype two operands compute in (PyTorch's result_type with the wrapped-number rule). */
export function resultType(a: TensorLike, b: TensorLike): DType {
  if (a instanceof Tensor && b instanceof Tensor) return promoteTypes(a.dtype, b.dtype);
  if (a instanceof Tensor) return promoteWithScalar(a.dtype, b as number | boolean);
  if (b instanceof Tensor) return promoteWithScalar(b.dtype, a as number | boolean);
  const ta = typeof a === 'boolean' ? 'bool' : Number.isInteger(a) ? 'int32' : 'float32';
  const tb = typeof b === 'boolean' ? 'bool' : Number.isInteger(b) ? 'int32' : 'float32';
  return promoteTypes(ta, tb);
}

/** Turns a TensorLike into a tensor of the given dtype (numbers become 0-d tensors). */
export function asTensor(op: string, x: TensorLike, dtype?: DType): Tensor {
  if (x instanceof Tensor) return dtype && x.dtype !== dtype ? to(x, dtype) : x;
  if (typeof x !== 'number' && typeof x !== 'boolean') {
    throw new DTypeError(`${op}: expected a Tensor or a number, got ${x === null ? 'null' : typeof x}`);
  }
  return scalar(x, dtype ?? (typeof x === 'boolean' ? 'bool' : 'float32'));
}

export function checkSameBackend(op: string, tensors: readonly Tensor[]): void {
  const b = tensors[0]?.storage.backend;
  for (const t of tensors) {
    if (t.storage.backend !== b) {
      throw new DTypeError(
        `${op}: tensors live on different backends ('${b?.name}' and '${t.storage.backend.name}')`,
      );
    }
  }
}

export function checkFloating(op: string, x: Tensor): void {
  if (x.dtype !== 'float32' && x.dtype !== 'float64') {
    throw new DTypeError(
      `${op}: expected a floating-point tensor, got dtype ${x.dtype} (shape ${fmtShape(x.shape)})`,
    );
  }
}

export function checkIntIndex(op: string, index: Tensor): void {
  if (index.dtype !== 'int32') {
    throw new DTypeError(
      `${op}: index must be an int32 tensor, got dtype ${index.dtype} (shape ${fmtShape(index.shape)})`,
    );
  }
}

export function checkShapeArg(op: string, shape: unknown): readonly number[] {
  if (!Array.isArray(shape)) {
    throw new ShapeError(
      `${op}: expected the shape/dims as an array, e.g. [2, 3], got ${JSON.stringify(shape)}`,
    );
  }
  return shape as number[];
}
