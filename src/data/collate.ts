/** Turning a list of samples into a batch (PyTorch's default_collate). */
import { IndexError } from '../tensor/errors.js';
import { tensor } from '../tensor/create.js';
import { Tensor } from '../tensor/tensor.js';
import { stack } from '../ops/join.js';

/** The batch type that defaultCollate makes of samples of type T. */
export type Collated<T> = T extends Tensor
  ? Tensor
  : T extends number | boolean
    ? Tensor
    : T extends string
      ? string[]
      : T extends readonly unknown[]
        ? { -readonly [K in keyof T]: Collated<T[K]> }
        : T extends object
          ? { [K in keyof T]: Collated<T[K]> }
          : T[];

/**
 * Batches samples as PyTorch's default_collate does: tensors are stacked along a new first dim;
 * numbers become a 1-d tensor (int32 when all are integers, float64 otherwise, as PyTorch turns
 * Python floats into float64); booleans a bool tensor; strings stay a list; arrays and objects are
 * collated position by position / key by key, so samples [x, y] give the batch [xs, ys].
 */
export function defaultCollate<T>(samples: readonly T[]): Collated<T> {
  return collate(samples as readonly unknown[], 'sample') as Collated<T>;
}

function collate(samples: readonly unknown[], path: string): unknown {
  if (samples.length === 0) throw new IndexError('defaultCollate: cannot collate an empty list of samples');
  const first = samples[0];
  const same = (pred: (x: unknown) => boolean, what: string): void => {
    samples.forEach((s, i) => {
      if (!pred(s))
        throw new IndexError(`defaultCollate: ${path} of item 0 is ${what} but that of item ${i} is not`);
    });
  };
  if (first instanceof Tensor) {
    same((x) => x instanceof Tensor, 'a Tensor');
    return stack(samples as Tensor[], 0);
  }
  if (typeof first === 'number') {
    same((x) => typeof x === 'number', 'a number');
    const nums = samples as number[];
    return tensor(nums, { dtype: nums.every(Number.isInteger) ? 'int32' : 'float64' });
  }
  if (typeof first === 'boolean') {
    same((x) => typeof x === 'boolean', 'a boolean');
    return tensor(samples as boolean[], { dtype: 'bool' });
  }
  if (typeof first === 'string') {
    same((x) => typeof x === 'string', 'a string');
    return [...samples];
  }
  if (Array.isArray(first)) {
    samples.forEach((s, i) => {
      if (!Array.isArray(s) || s.length !== first.length) {
        throw new IndexError(
          `defaultCollate: each element of the batch should be of equal size: ${path} of item 0 has ` +
            `${first.length} elements, that of item ${i} ${Array.isArray(s) ? s.length : 'is not an array'}`,
        );
      }
    });
    return first.map((_, k) =>
      collate(
        samples.map((s) => (s as unknown[])[k]),
        `${path}[${k}]`,
      ),
    );
  }
  if (typeof first === 'object' && first !== null) {
    same((x) => typeof x === 'object' && x !== null && !Array.isArray(x), 'an object');
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(first)) {
      out[key] = collate(
        samples.map((s) => (s as Record<string, unknown>)[key]),
        `${path}.${key}`,
      );
    }
    return out;
  }
  return [...samples];
}

export { permutation } from '../tensor/random.js';
