import { DTypeError, IndexError, ShapeError, fmtShape } from '../tensor/errors.js';
import { isFloating } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import { checkSameBackend, checkTensor } from './util.js';

/** A size given once for every spatial dim or once per dim, as PyTorch's `int or tuple`. */
export type SizeArg = number | readonly number[];

/** Expands a size argument to one value per spatial dim, checking it is an integer ≥ min. */
export function expandSize(op: string, name: string, v: SizeArg, dims: number, min: number): number[] {
  // Anything else (an options object, say: these arguments are positional, as in PyTorch) is named too.
  const list = typeof v === 'number' ? Array<number>(dims).fill(v) : Array.isArray(v) ? [...v] : [NaN];
  if (list.length !== dims || list.some((x) => !Number.isInteger(x) || x < min)) {
    throw new IndexError(
      `${op}: ${name} must be an integer ≥ ${min} or a list of ${dims} such integers, got ${JSON.stringify(v)}`,
    );
  }
  return list;
}

/** The output length of a sliding window (floor mode): ⌊(n + 2p − d(k − 1) − 1) / s⌋ + 1. */
export function windowCount(n: number, k: number, s: number, p: number, d: number, ceil = false): number {
  const span = n + 2 * p - d * (k - 1) - 1;
  if (!ceil) return Math.floor(span / s) + 1;
  let out = Math.ceil(span / s) + 1;
  // PyTorch's ceil mode: the last window must start inside the input or its left padding.
  if ((out - 1) * s >= n + p) out--;
  return out;
}

/** Checks a floating input of one of the allowed ranks on the same backend as the other tensors. */
export function checkFloatInput(
  op: string,
  input: Tensor,
  ranks: readonly number[],
  layout: string,
  others: readonly (Tensor | null | undefined)[] = [],
): void {
  checkTensor(op, input, 'the input');
  if (!ranks.includes(input.ndim)) {
    throw new ShapeError(
      `${op}: expected a ${ranks.join('-D or ')}-D input (${layout}), got shape ${fmtShape(input.shape)}`,
    );
  }
  if (!isFloating(input.dtype)) {
    throw new DTypeError(`${op}: expected a floating-point input, got ${input.dtype}`);
  }
  const present = others.filter((t): t is Tensor => t !== null && t !== undefined);
  for (const t of present) {
    if (t.dtype !== input.dtype) {
      throw new DTypeError(
        `${op}: input dtype ${input.dtype} and parameter dtype ${t.dtype} (shape ${fmtShape(t.shape)}) do not match`,
      );
    }
  }
  checkSameBackend(op, [input, ...present]);
}

/**
 * Host-computed values (pooling divisors, interpolation weights, source indices) as a tensor on x's
 * backend: int32 arrays stay int32, float values take x's floating dtype.
 */
export function constantLike(x: Tensor, values: Float64Array | Int32Array, shape: number[]): Tensor {
  const arr = values instanceof Int32Array || x.dtype === 'float64' ? values : Float32Array.from(values);
  return new Tensor(x.storage.backend.upload(arr), shape);
}
