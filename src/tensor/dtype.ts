import { DTypeError } from './errors.js';

export type DType = 'float32' | 'float64' | 'int32' | 'bool';
export const DTYPES: readonly DType[] = ['float32', 'float64', 'int32', 'bool'];

export type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array;

export function typedArrayFor(dtype: DType, size: number): TypedArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(size);
    case 'float64':
      return new Float64Array(size);
    case 'int32':
      return new Int32Array(size);
    case 'bool':
      return new Uint8Array(size);
  }
}

export function dtypeOfTypedArray(a: TypedArray): DType {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof Int32Array) return 'int32';
  return 'bool';
}

export function isFloating(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float64';
}

export function assertDType(dtype: string): DType {
  if (!(DTYPES as readonly string[]).includes(dtype)) {
    throw new DTypeError(`unknown dtype '${dtype}' (expected one of ${DTYPES.join(', ')})`);
  }
  return dtype as DType;
}

const RANK: Record<DType, number> = { bool: 0, int32: 1, float32: 2, float64: 3 };

/** PyTorch's promotion for two tensors: bool < int32 < float32 < float64. */
export function promoteTypes(a: DType, b: DType): DType {
  return RANK[a] >= RANK[b] ? a : b;
}

/**
 * Promotion of a tensor with a JS number (PyTorch's "wrapped number" rule): a number never widens a
 * float tensor, but a fractional number turns an integer or bool tensor into the default float dtype.
 */
export function promoteWithScalar(dtype: DType, value: number | boolean): DType {
  if (typeof value === 'boolean') return dtype;
  if (isFloating(dtype)) return dtype;
  if (!Number.isInteger(value)) return 'float32';
  return dtype === 'bool' ? 'int32' : dtype;
}

/** Rounds a value as storing it into the dtype would. */
export function castScalar(value: number, dtype: DType): number {
  switch (dtype) {
    case 'float32':
      return Math.fround(value);
    case 'float64':
      return value;
    case 'int32':
      return Math.trunc(value) | 0;
    case 'bool':
      return value !== 0 ? 1 : 0; // NaN is true, as in PyTorch
  }
}
