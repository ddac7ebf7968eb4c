/** Datasets (like torch.utils.data): map-style collections of samples, by index. */
import { IndexError, ShapeError, fmtShape } from '../tensor/errors.js';
import type { Generator } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { indexSelect } from '../ops/gather.js';
import { select } from '../ops/slice.js';
import type { Collated } from './collate.js';
import { defaultCollate, permutation } from './collate.js';

/**
 * What a DataLoader reads: a length and samples by index. `getBatch`, when present, returns the
 * already collated batch of several indices at once (a fast path, like PyTorch's __getitems__).
 */
export interface DatasetLike<T> {
  readonly length: number;
  getItem(index: number): T;
  getBatch?(indices: readonly number[]): Collated<T>;
}

/**
 * Base class of map-style datasets (PyTorch's Dataset with __len__ and __getitem__): subclasses
 * define `length` and `getItem(index)` for 0 ≤ index < length.
 */
export abstract class Dataset<T = Tensor[]> implements DatasetLike<T> {
  abstract readonly length: number;
  abstract getItem(index: number): T;
}

/** Checks an index like Python's indexing does (negative counts from the end); returns it normalized. */
export function checkIndex(op: string, index: number, length: number): number {
  const i = index < 0 ? index + length : index;
  if (!Number.isInteger(index) || i < 0 || i >= length) {
    throw new IndexError(`${op}: index ${index} is out of range for a dataset of length ${length}`);
  }
  return i;
}

/**
 * Samples are rows of the given tensors, which share their first dim: `new TensorDataset(x, y)`
 * has getItem(i) = [x[i], y[i]]. A loader takes whole batches with one indexSelect per tensor.
 */
export class TensorDataset extends Dataset<Tensor[]> {
  readonly tensors: readonly Tensor[];

  constructor(...tensors: Tensor[]) {
    super();
    if (tensors.length === 0) throw new ShapeError('TensorDataset: expected at least one tensor');
    tensors.forEach((t, i) => {
      if (!(t instanceof Tensor)) throw new ShapeError(`TensorDataset: argument ${i} is not a Tensor`);
      if (t.ndim === 0)
        throw new ShapeError(`TensorDataset: tensor ${i} is 0-d; samples are rows of the first dim`);
      if (t.shape[0] !== tensors[0].shape[0]) {
        throw new ShapeError(
          `TensorDataset: size mismatch between tensors: tensor 0 has shape ${fmtShape(tensors[0].shape)}, ` +
            `tensor ${i} has shape ${fmtShape(t.shape)} (the first dims must be equal)`,
        );
      }
    });
    this.tensors = tensors;
  }

  get length(): number {
    return this.tensors[0].shape[0];
  }

  getItem(index: number): Tensor[] {
    const i = checkIndex('TensorDataset.getItem', index, this.length);
    return this.tensors.map((t) => select(t, 0, i));
  }

  getBatch(indices: readonly number[]): Tensor[] {
    const n = this.length;
    const idx = Int32Array.from(indices, (j) => checkIndex('TensorDataset.getBatch', j, n));
    return this.tensors.map((t) =>
      indexSelect(t, 0, new Tensor(t.storage.backend.upload(idx.slice()), [idx.length])),
    );
  }
}

/** The samples of a dataset at the given indices, in that order (PyTorch's Subset). */
export class Subset<T> extends Dataset<T> {
  readonly indices: readonly number[];

  constructor(
    readonly dataset: DatasetLike<T>,
    indices: readonly number[],
  ) {
    super();
    this.indices = indices.map((j) => checkIndex('Subset', j, dataset.length));
  }

  get length(): number {
    return this.indices.length;
  }

  getItem(index: number): T {
    return this.dataset.getItem(this.indices[checkIndex('Subset.getItem', index, this.length)]);
  }

  getBatch(indices: readonly number[]): Collated<T> {
    const mapped = indices.map((i) => this.indices[checkIndex('Subset.getBatch', i, this.length)]);
    if (this.dataset.getBatch) return this.dataset.getBatch(mapped);
    return defaultCollate(mapped.map((j) => this.dataset.getItem(j)));
  }
}

/** Several datasets one after the other (PyTorch's ConcatDataset). */
export class ConcatDataset<T> extends Dataset<T> {
  private readonly ends: number[] = [];

  constructor(readonly datasets: readonly DatasetLike<T>[]) {
    super();
    if (datasets.length === 0) throw new ShapeError('ConcatDataset: expected at least one dataset');
    let total = 0;
    for (const d of datasets) this.ends.push((total += d.length));
  }

  get length(): number {
    return this.ends[this.ends.length - 1];
  }

  getItem(index: number): T {
    const i = checkIndex('ConcatDataset.getItem', index, this.length);
    const k = this.ends.findIndex((end) => i < end);
    return this.datasets[k].getItem(i - (k === 0 ? 0 : this.ends[k - 1]));
  }
}

/**
 * Splits a dataset at random into non-overlapping subsets of the given lengths: counts that sum to
 * the dataset's length, or fractions that sum to 1 (the floor of each share, then one more item to
 * each split in turn until all are placed), exactly as torch.utils.data.random_split. The order is
 * one permutation (the draws of randperm) from `generator` (or the default generator), so a seed fixes the split.
 */
export function randomSplit<T>(
  dataset: DatasetLike<T>,
  lengths: readonly number[],
  opts: { generator?: Generator } = {},
): Subset<T>[] {
  const n = dataset.length;
  let sizes = [...lengths];
  const total = sizes.reduce((a, b) => a + b, 0);
  if (Math.abs(total - 1) <= 1e-9 && total <= 1) {
    sizes = sizes.map((frac, i) => {
      if (!(frac >= 0 && frac <= 1))
        throw new IndexError(`randomSplit: fraction at index ${i} is not between 0 and 1`);
      return Math.floor(n * frac);
    });
    const remainder = n - sizes.reduce((a, b) => a + b, 0);
    for (let i = 0; i < remainder; i++) sizes[i % sizes.length] += 1;
  }
  sizes.forEach((s, i) => {
    if (!Number.isInteger(s) || s < 0) {
      throw new IndexError(
        `randomSplit: length at index ${i} must be a non-negative integer or a fraction, got ${s}`,
      );
    }
  });
  const sum = sizes.reduce((a, b) => a + b, 0);
  if (sum !== n) {
    throw new IndexError(
      `randomSplit: the lengths [${lengths.join(', ')}] sum to ${sum}, not to the dataset's length ${n}`,
    );
  }
  const perm = permutation(n, opts.generator);
  let offset = 0;
  return sizes.map((s) => new Subset(dataset, perm.slice(offset, (offset += s))));
}
