/** DataLoader: batches of a dataset, optionally shuffled each epoch (like torch.utils.data.DataLoader). */
import { IndexError } from '../tensor/errors.js';
import type { Generator as RandomGenerator } from '../tensor/random.js';
import { defaultGenerator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Collated } from './collate.js';
import { defaultCollate, permutation } from './collate.js';
import type { DatasetLike } from './dataset.js';

export interface DataLoaderOptions<T, B> {
  /** Samples per batch (default 1). */
  batchSize?: number;
  /** Draw a new order of the samples at the start of every epoch (default false). */
  shuffle?: boolean;
  /** Drop the last batch when it is smaller than batchSize (default false). */
  dropLast?: boolean;
  /** Makes a batch of a list of samples (PyTorch's collate_fn); default: defaultCollate. */
  collateFn?: (samples: T[]) => B;
  /** The same as collateFn. */
  collate?: (samples: T[]) => B;
  /** Where shuffling draws from (default: the default generator, seeded by manualSeed). */
  generator?: RandomGenerator;
}

/**
 * Iterates over a dataset in batches: `for (const [inputs, targets] of loader)`. Each `for` loop (each
 * call of [Symbol.iterator]) is one epoch; `loader.length` is the number of batches per epoch.
 *
 * Determinism: with shuffle, every epoch draws one permutation of the dataset's indices from
 * `generator` (or the default generator) when the epoch starts (the same Fisher–Yates draws as
 * randperm). The same seed therefore gives the same sequence of epoch orders, and restoring the
 * generator's state (getState/setState) before an epoch repeats that epoch's order exactly.
 *
 * Without a collate function, a dataset with a `getBatch` fast path (TensorDataset, and a Subset of
 * one) hands over whole batches, taken with one indexSelect per tensor instead of stacking rows.
 */
export class DataLoader<T = Tensor[], B = Collated<T>> implements Iterable<B> {
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly generator: RandomGenerator | undefined;
  private readonly collateFn: ((samples: T[]) => B) | undefined;

  constructor(
    readonly dataset: DatasetLike<T>,
    opts: DataLoaderOptions<T, B> = {},
  ) {
    const { batchSize = 1, shuffle = false, dropLast = false } = opts;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new IndexError(`DataLoader: batchSize must be a positive integer, got ${batchSize}`);
    }
    if (!dataset || typeof dataset.getItem !== 'function' || !Number.isInteger(dataset.length)) {
      throw new IndexError('DataLoader: expected a dataset with a length and getItem(index)');
    }
    if (opts.collateFn && opts.collate && opts.collateFn !== opts.collate) {
      throw new IndexError('DataLoader: give either collateFn or collate, not both');
    }
    this.batchSize = batchSize;
    this.shuffle = shuffle;
    this.dropLast = dropLast;
    this.generator = opts.generator;
    this.collateFn = opts.collateFn ?? opts.collate;
  }

  /** The number of batches in one epoch. */
  get length(): number {
    const n = this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** Starts an epoch: draws its order now (when shuffling), then yields its batches. */
  [Symbol.iterator](): Iterator<B> {
    const n = this.dataset.length;
    const order = this.shuffle ? permutation(n, this.generator ?? defaultGenerator) : null;
    return this.batches(order, this.length);
  }

  private *batches(order: number[] | null, count: number): IterableIterator<B> {
    const n = this.dataset.length;
    for (let b = 0; b < count; b++) {
      const start = b * this.batchSize;
      const end = Math.min(start + this.batchSize, n);
      const indices = order
        ? order.slice(start, end)
        : Array.from({ length: end - start }, (_, i) => start + i);
      yield this.fetch(indices);
    }
  }

  private fetch(indices: number[]): B {
    if (this.collateFn) return this.collateFn(indices.map((i) => this.dataset.getItem(i)));
    if (this.dataset.getBatch) return this.dataset.getBatch(indices) as B;
    return defaultCollate(indices.map((i) => this.dataset.getItem(i))) as B;
  }
}
