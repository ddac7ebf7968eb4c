/** Shared checks and the reduction step of the loss functions. */
import { isFloating } from '../../tensor/dtype.js';
import { DTypeError, IndexError, ShapeError, fmtShape } from '../../tensor/errors.js';
import { broadcastShapes, shapesEqual } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import { mean, sum } from '../../ops/reduce.js';

/** How a loss combines its per-element values: PyTorch's `reduction` keyword. */
export type Reduction = 'mean' | 'sum' | 'none';

export function checkReduction(op: string, reduction: unknown, extra: readonly string[] = []): void {
  const allowed = ['mean', 'sum', 'none', ...extra];
  if (typeof reduction !== 'string' || !allowed.includes(reduction)) {
    throw new IndexError(
      `${op}: reduction must be ${allowed.map((r) => `'${r}'`).join(', ')}, got ${JSON.stringify(reduction)}`,
    );
  }
}

export function reduce(loss: Tensor, reduction: Reduction): Tensor {
  if (reduction === 'mean') return mean(loss);
  if (reduction === 'sum') return sum(loss);
  return loss;
}

export function checkFloatTensor(op: string, x: unknown, what: string): Tensor {
  if (!(x instanceof Tensor)) {
    throw new DTypeError(`${op}: expected ${what} to be a Tensor, got ${x === null ? 'null' : typeof x}`);
  }
  if (!isFloating(x.dtype)) {
    throw new DTypeError(
      `${op}: ${what} must be a floating-point tensor, got dtype ${x.dtype} (shape ${fmtShape(x.shape)})`,
    );
  }
  return x;
}

/**
 * Input and target of an elementwise loss: both floating point and of one shape. PyTorch only warns
 * about a target that broadcasts to another shape (an [N,1] input against an [N] target silently
 * becomes [N,N]); here it is an error.
 */
export function checkPair(op: string, input: unknown, target: unknown): [Tensor, Tensor] {
  const x = checkFloatTensor(op, input, 'input');
  const y = checkFloatTensor(op, target, 'target');
  if (!shapesEqual(x.shape, y.shape)) {
    throw new ShapeError(
      `${op}: target shape ${fmtShape(y.shape)} does not match input shape ${fmtShape(x.shape)}; ` +
        'reshape one of them so that they are equal',
    );
  }
  return [x, y];
}

/** An optional weight tensor that must broadcast to `shape` without changing it. */
export function checkWeight(
  op: string,
  w: unknown,
  shape: readonly number[],
  what = 'weight',
): Tensor | null {
  if (w === undefined || w === null) return null;
  const t = checkFloatTensor(op, w, what);
  let ok = true;
  try {
    ok = shapesEqual(broadcastShapes(op, t.shape, shape), shape);
  } catch {
    ok = false;
  }
  if (!ok) {
    throw new ShapeError(
      `${op}: ${what} of shape ${fmtShape(t.shape)} does not broadcast to ${fmtShape(shape)}`,
    );
  }
  return t;
}

export function checkNumber(op: string, name: string, v: unknown, min = -Infinity, max = Infinity): number {
  if (typeof v !== 'number' || Number.isNaN(v) || v < min || v > max) {
    const range = max === Infinity ? `>= ${min}` : `in [${min}, ${max}]`;
    throw new IndexError(`${op}: ${name} must be a number ${range}, got ${String(v)}`);
  }
  return v;
}
