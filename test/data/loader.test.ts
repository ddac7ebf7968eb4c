import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Tensor } from '../../src/index.js';
import { Generator, IndexError, arange, data, manualSeed, randperm, tensor } from '../../src/index.js';
import { assertClose, assertThrowsMatch, forEachBackend } from '../helpers.js';

const { DataLoader, TensorDataset, Subset, Dataset, defaultCollate, permutation } = data;

/** x[i] = [i, 100 + i], y[i] = i (int32): each batch says which rows it holds. */
function dataset(n: number): InstanceType<typeof TensorDataset> {
  const i = arange(n);
  return new TensorDataset(tensor([...Array(n).keys()].map((k) => [k, 100 + k])), i);
}

function epochOrder(loader: Iterable<Tensor[]>): number[] {
  const order: number[] = [];
  for (const [, y] of loader) order.push(...(y.toArray() as number[]));
  return order;
}

forEachBackend('data.DataLoader', () => {
  test('batches in order; the last one is smaller unless dropLast', () => {
    const loader = new DataLoader(dataset(10), { batchSize: 4 });
    assert.equal(loader.length, 3);
    const sizes: number[] = [];
    let first = true;
    for (const [inputs, targets] of loader) {
      sizes.push(inputs.shape[0]);
      assert.equal(targets.dtype, 'int32');
      if (first) {
        assertClose(inputs, [
          [0, 100],
          [1, 101],
          [2, 102],
          [3, 103],
        ]);
        first = false;
      }
    }
    assert.deepEqual(sizes, [4, 4, 2]);
    const dropping = new DataLoader(dataset(10), { batchSize: 4, dropLast: true });
    assert.equal(dropping.length, 2);
    assert.deepEqual(epochOrder(dropping), [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.equal(new DataLoader(dataset(8), { batchSize: 4, dropLast: true }).length, 2);
    assert.equal(new DataLoader(dataset(3)).length, 3); // batchSize defaults to 1
    assert.equal(new DataLoader(dataset(0), { batchSize: 2 }).length, 0);
    assert.deepEqual(epochOrder(new DataLoader(dataset(0), { batchSize: 2 })), []);
  });

  test('shuffle: every epoch is a new permutation, drawn from the generator at its start', () => {
    const loader = new DataLoader(dataset(10), { batchSize: 3, shuffle: true, generator: new Generator(7) });
    const e1 = epochOrder(loader);
    const e2 = epochOrder(loader);
    const sorted = (a: number[]): number[] => [...a].sort((p, q) => p - q);
    assert.deepEqual(sorted(e1), [...Array(10).keys()]);
    assert.deepEqual(sorted(e2), [...Array(10).keys()]);
    assert.notDeepEqual(e1, e2);
    // The same draws as randperm, epoch after epoch.
    const g = new Generator(7);
    assert.deepEqual(e1, Array.from(randperm(10, { generator: g }).dataSync()));
    assert.deepEqual(e2, Array.from(randperm(10, { generator: g }).dataSync()));
    // The same seed gives the same sequence of epochs.
    const again = new DataLoader(dataset(10), { batchSize: 3, shuffle: true, generator: new Generator(7) });
    assert.deepEqual([epochOrder(again), epochOrder(again)], [e1, e2]);
  });

  test('shuffle: saving and restoring the generator state repeats an epoch (resumption)', () => {
    const gen = new Generator(11);
    const loader = new DataLoader(dataset(9), { batchSize: 4, shuffle: true, generator: gen });
    epochOrder(loader);
    const state = gen.getState();
    const e2 = epochOrder(loader);
    gen.setState(state);
    assert.deepEqual(epochOrder(loader), e2);
  });

  test('shuffle without a generator uses the default generator (manualSeed)', () => {
    manualSeed(123);
    const loader = new DataLoader(dataset(12), { batchSize: 5, shuffle: true });
    const e1 = epochOrder(loader);
    manualSeed(123);
    assert.deepEqual(epochOrder(loader), e1);
    assert.deepEqual(e1, permutation(12, new Generator(123)));
  });

  test('the order is drawn when the epoch starts, not batch by batch', () => {
    const gen = new Generator(5);
    const loader = new DataLoader(dataset(6), { batchSize: 2, shuffle: true, generator: gen });
    const it = loader[Symbol.iterator]();
    const expected = permutation(6, new Generator(5));
    gen.manualSeed(99); // reseeding mid-epoch does not change this epoch
    const order: number[] = [];
    for (let r = it.next(); !r.done; r = it.next()) order.push(...(r.value[1].toArray() as number[]));
    assert.deepEqual(order, expected);
  });

  test('the TensorDataset fast path gives the same batches as stacking rows', () => {
    const ds = dataset(7);
    const fast = [...new DataLoader(ds, { batchSize: 3, shuffle: true, generator: new Generator(1) })];
    const slow = [
      ...new DataLoader(ds, {
        batchSize: 3,
        shuffle: true,
        generator: new Generator(1),
        collateFn: (s: Tensor[][]) => defaultCollate(s),
      }),
    ];
    assert.equal(fast.length, slow.length);
    fast.forEach((b, i) => {
      assert.equal(b[0].dtype, slow[i][0].dtype);
      assert.equal(b[1].dtype, slow[i][1].dtype);
      assertClose(b[0], slow[i][0]);
      assert.deepEqual(b[1].toArray(), slow[i][1].toArray());
    });
  });

  test('a Subset of a TensorDataset loads through the fast path with the subset indices', () => {
    const sub = new Subset(dataset(10), [9, 2, 5, 7]);
    assert.deepEqual(epochOrder(new DataLoader(sub, { batchSize: 3 })), [9, 2, 5, 7]);
  });

  test('a custom collate receives the samples of a batch', () => {
    const seen: number[] = [];
    const loader = new DataLoader(dataset(5), {
      batchSize: 2,
      collate: (samples: Tensor[][]) => {
        seen.push(samples.length);
        return samples.map(([, y]) => y.item() as number);
      },
    });
    assert.deepEqual([...loader], [[0, 1], [2, 3], [4]]);
    assert.deepEqual(seen, [2, 2, 1]);
  });

  test('a plain Dataset subclass is batched with defaultCollate', () => {
    class Pairs extends Dataset<[Tensor, number]> {
      get length(): number {
        return 5;
      }
      getItem(i: number): [Tensor, number] {
        return [tensor([i, i * i], { dtype: 'float64' }), i % 2];
      }
    }
    const batches = [...new DataLoader(new Pairs(), { batchSize: 2 })];
    assert.equal(batches.length, 3);
    const [x, y] = batches[1];
    assertClose(x, [
      [2, 4],
      [3, 9],
    ]);
    assert.equal(x.dtype, 'float64');
    assert.equal(y.dtype, 'int32');
    assert.deepEqual(y.toArray(), [0, 1]);
  });

  test('bad options throw', () => {
    assertThrowsMatch(
      () => new DataLoader(dataset(3), { batchSize: 0 }),
      IndexError,
      /^DataLoader: batchSize must be a positive integer, got 0/,
    );
    assertThrowsMatch(() => new DataLoader(dataset(3), { batchSize: 1.5 }), IndexError, /got 1.5/);
    assertThrowsMatch(() => new DataLoader({} as never), IndexError, /^DataLoader: expected a dataset/);
  });
});
