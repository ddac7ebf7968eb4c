import { getBackend } from '../backend/backend.js';
import type { DType, TypedArray } from './dtype.js';
import { assertDType, dtypeOfTypedArray, typedArrayFor } from './dtype.js';
import { DTypeError, ShapeError, fmtShape } from './errors.js';
import type { Shape } from './shape.js';
import { checkShape, sizeOf } from './shape.js';
import type { NestedArray } from './tensor.js';
import { Tensor } from './tensor.js';

export interface TensorOptions {
  dtype?: DType;
  requiresGrad?: boolean;
}

/** Wraps host values of the given shape (takes ownership of the array). */
export function fromTypedArray(values: TypedArray, shape: Shape): Tensor {
  return new Tensor(getBackend().upload(values), shape);
}

function finish(t: Tensor, opts?: TensorOptions): Tensor {
  if (opts?.requiresGrad) t.requiresGrad = true;
  return t;
}

function inferShape(data: NestedArray, op: string): number[] {
  const shape: number[] = [];
  let cur: NestedArray = data;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    cur = cur[0];
  }
  // Check that the nesting is rectangular.
  const check = (x: NestedArray, dim: number): void => {
    if (dim === shape.length) {
      if (Array.isArray(x))
        throw new ShapeError(`${op}: ragged nested array (expected shape ${fmtShape(shape)})`);
      if (typeof x !== 'number' && typeof x !== 'boolean') {
        throw new DTypeError(`${op}: elements must be numbers or booleans, got ${typeof x}`);
      }
      return;
    }
    if (!Array.isArray(x) || x.length !== shape[dim]) {
      throw new ShapeError(`${op}: ragged nested array (expected shape ${fmtShape(shape)})`);
    }
    for (const y of x) check(y, dim + 1);
  };
  check(data, 0);
  return shape;
}

function allBooleans(data: NestedArray): boolean {
  return Array.isArray(data) ? data.length > 0 && data.every(allBooleans) : typeof data === 'boolean';
}

function flattenInto(data: NestedArray, out: number[]): void {
  if (Array.isArray(data)) for (const x of data) flattenInto(x, out);
  else out.push(typeof data === 'boolean' ? (data ? 1 : 0) : data);
}

/**
 * Makes a tensor from nested arrays, a typed array or a number. The dtype is inferred (booleans →
 * bool, a typed array → its own, otherwise float32) unless given.
 */
export function tensor(
  data: NestedArray | TypedArray | Tensor,
  opts: TensorOptions & { shape?: Shape } = {},
): Tensor {
  if (data instanceof Tensor) {
    const t = new Tensor(getBackend().upload(data.dataSync()), data.shape);
    return finish(opts.dtype && opts.dtype !== t.dtype ? castTensor(t, opts.dtype) : t, opts);
  }
  if (ArrayBuffer.isView(data)) {
    const src = data as TypedArray;
    const shape = opts.shape ? checkShape('tensor', opts.shape) : [src.length];
    if (sizeOf(shape) !== src.length) {
      throw new ShapeError(`tensor: shape ${fmtShape(shape)} does not hold ${src.length} elements`);
    }
    const dtype = assertDType(opts.dtype ?? dtypeOfTypedArray(src));
    const values = typedArrayFor(dtype, src.length);
    if (dtype === 'bool') for (let i = 0; i < src.length; i++) values[i] = src[i] ? 1 : 0;
    else values.set(src);
    return finish(fromTypedArray(values, shape), opts);
  }
  const shape = inferShape(data, 'tensor');
  const flat: number[] = [];
  flattenInto(data, flat);
  // bool only when every element is a boolean (PyTorch promotes [true, 2] to a number type).
  const dtype = assertDType(opts.dtype ?? (allBooleans(data) ? 'bool' : 'float32'));
  const values = typedArrayFor(dtype, flat.length);
  for (let i = 0; i < flat.length; i++) {
    values[i] = dtype === 'bool' ? (flat[i] ? 1 : 0) : dtype === 'int32' ? Math.trunc(flat[i]) : flat[i];
  }
  const finalShape = opts.shape ? checkShape('tensor', opts.shape) : shape;
  if (sizeOf(finalShape) !== flat.length) {
    throw new ShapeError(`tensor: shape ${fmtShape(finalShape)} does not hold ${flat.length} elements`);
  }
  return finish(fromTypedArray(values, finalShape), opts);
}

/** A 0-d tensor holding one number. */
export function scalar(value: number | boolean, dtype: DType = 'float32'): Tensor {
  return new Tensor(getBackend().fill(1, Number(value), dtype), []);
}

/** Converts storage dtype without recording autodiff (see ops for the differentiable `to`). */
export function castTensor(t: Tensor, dtype: DType): Tensor {
  if (t.dtype === dtype) return t;
  return new Tensor(t.storage.backend.cast(t.storage, dtype), t.shape);
}

export function full(shape: Shape, value: number | boolean, opts: TensorOptions = {}): Tensor {
  const s = checkShape('full', shape);
  const dtype = assertDType(opts.dtype ?? (typeof value === 'boolean' ? 'bool' : 'float32'));
  return finish(new Tensor(getBackend().fill(sizeOf(s), Number(value), dtype), s), opts);
}

export function zeros(shape: Shape, opts: TensorOptions = {}): Tensor {
  return full(shape, 0, { dtype: 'float32', ...opts });
}

export function ones(shape: Shape, opts: TensorOptions = {}): Tensor {
  return full(shape, 1, { dtype: 'float32', ...opts });
}

/** A tensor of t's shape filled with value, on t's backend (not the current default one). */
export function fullLike(t: Tensor, value: number | boolean, opts: TensorOptions = {}): Tensor {
  const dtype = assertDType(opts.dtype ?? t.dtype);
  return finish(new Tensor(t.storage.backend.fill(t.numel(), Number(value), dtype), t.shape), opts);
}

export function zerosLike(t: Tensor, opts: TensorOptions = {}): Tensor {
  return fullLike(t, 0, opts);
}

export function onesLike(t: Tensor, opts: TensorOptions = {}): Tensor {
  return fullLike(t, 1, opts);
}

/**
 * arange(end) or arange(start, end, step = 1), like torch.arange: int32 when every argument is an
 * integer, else float32. Options may follow any of the forms: arange(5, { dtype: 'float64' }).
 */
export function arange(end: number, opts?: TensorOptions): Tensor;
export function arange(start: number, end: number, opts?: TensorOptions): Tensor;
export function arange(start: number, end: number | undefined, step: number, opts?: TensorOptions): Tensor;
export function arange(
  a: number,
  b?: number | TensorOptions,
  c?: number | TensorOptions,
  d?: TensorOptions,
): Tensor {
  const end = typeof b === 'number' ? b : undefined;
  const step = typeof c === 'number' ? c : 1;
  const opts = [b, c, d].find((o): o is TensorOptions => typeof o === 'object' && o !== null) ?? {};
  const [start, stop] = end === undefined ? [0, a] : [a, end];
  if (!Number.isFinite(start) || !Number.isFinite(stop)) {
    throw new ShapeError(`arange: start and end must be finite numbers, got start ${start}, end ${stop}`);
  }
  if (step === 0 || !Number.isFinite(step))
    throw new ShapeError(`arange: step must be non-zero and finite, got ${step}`);
  if ((stop - start) / step < 0) {
    throw new ShapeError(`arange: upper bound ${stop} and step ${step} are inconsistent with start ${start}`);
  }
  const n = Math.ceil((stop - start) / step);
  const allInt = [start, stop, step].every(Number.isInteger);
  const dtype = assertDType(opts.dtype ?? (allInt ? 'int32' : 'float32'));
  const values = typedArrayFor(dtype, n);
  for (let i = 0; i < n; i++) values[i] = start + i * step;
  return finish(fromTypedArray(values, [n]), opts);
}

/** `steps` evenly spaced values from start to end inclusive. */
export function linspace(start: number, end: number, steps: number, opts: TensorOptions = {}): Tensor {
  if (!Number.isInteger(steps) || steps < 0)
    throw new ShapeError(`linspace: steps must be a non-negative integer, got ${steps}`);
  const dtype = assertDType(opts.dtype ?? 'float32');
  const values = typedArrayFor(dtype, steps);
  const step = steps > 1 ? (end - start) / (steps - 1) : 0;
  // Fill from both ends, as PyTorch does, so that the last value is exactly `end`; one step is `start`.
  const half = Math.floor(steps / 2);
  for (let i = 0; i < steps; i++) {
    values[i] = steps === 1 || i < half ? start + step * i : end - step * (steps - 1 - i);
  }
  return finish(fromTypedArray(values, [steps]), opts);
}

/** The n×m identity matrix (m defaults to n): eye(n), eye(n, m), eye(n, opts) or eye(n, m, opts). */
export function eye(n: number, m?: number | TensorOptions, opts: TensorOptions = {}): Tensor {
  const cols = typeof m === 'number' ? m : n;
  const o = typeof m === 'object' && m !== null ? m : opts;
  checkShape('eye', [n, cols]);
  const dtype = assertDType(o.dtype ?? 'float32');
  const values = typedArrayFor(dtype, n * cols);
  for (let i = 0; i < Math.min(n, cols); i++) values[i * cols + i] = 1;
  return finish(fromTypedArray(values, [n, cols]), o);
}
