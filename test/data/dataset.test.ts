import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Tensor } from '../../src/index.js';
import { Generator, IndexError, ShapeError, arange, data, tensor } from '../../src/index.js';
import { assertClose, assertThrowsMatch, forEachBackend } from '../helpers.js';

const { TensorDataset, Subset, ConcatDataset, Dataset, randomSplit, defaultCollate } = data;

/** x[i] = [2i, 2i+1] (float32), y[i] = i % 3 (int32). */
function rows(n: number): { x: Tensor; y: Tensor } {
  const x = arange(0, 2 * n, 1, { dtype: 'float32' }).reshape([n, 2]);
  const y = tensor(
    Array.from({ length: n }, (_, i) => i % 3),
    { dtype: 'int32' },
  );
  return { x, y };
}

forEachBackend('data.TensorDataset', () => {
  test('getItem returns the rows of every tensor; length is the first dim', () => {
    const { x, y } = rows(5);
    const ds = new TensorDataset(x, y);
    assert.equal(ds.length, 5);
    const [xi, yi] = ds.getItem(3);
    assertClose(xi, [6, 7]);
    assert.equal(yi.dtype, 'int32');
    assert.deepEqual(yi.shape, []);
    assert.equal(yi.item(), 0);
    assertClose(ds.getItem(-1)[0], [8, 9]);
  });

  test('getBatch takes several rows at once, in the given order', () => {
    const { x, y } = rows(6);
    const [xb, yb] = new TensorDataset(x, y).getBatch([4, 0, 4]);
    assertClose(xb, [
      [8, 9],
      [0, 1],
      [8, 9],
    ]);
    assert.deepEqual(yb.toArray(), [1, 0, 1]);
    assert.equal(yb.dtype, 'int32');
  });

  test('bad tensors and indices throw clear errors', () => {
    const { x } = rows(4);
    assertThrowsMatch(
      () => new TensorDataset(x, tensor([1, 2, 3])),
      ShapeError,
      /^TensorDataset: size mismatch/,
      /\[4,2\]/,
      /\[3\]/,
    );
    assertThrowsMatch(() => new TensorDataset(tensor(1)), ShapeError, /tensor 0 is 0-d/);
    assertThrowsMatch(() => new TensorDataset(), ShapeError, /at least one tensor/);
    const ds = new TensorDataset(x);
    assertThrowsMatch(
      () => ds.getItem(4),
      IndexError,
      /^TensorDataset.getItem: index 4 is out of range .* length 4/,
    );
    assertThrowsMatch(() => ds.getBatch([0, -5]), IndexError, /index -5 is out of range/);
  });
});

forEachBackend('data.Subset, ConcatDataset, custom datasets', () => {
  test('Subset maps indices; its getBatch uses the parent fast path', () => {
    const { x, y } = rows(6);
    const sub = new Subset(new TensorDataset(x, y), [5, 1, 3]);
    assert.equal(sub.length, 3);
    assertClose(sub.getItem(0)[0], [10, 11]);
    const [xb, yb] = sub.getBatch([2, 0]);
    assertClose(xb, [
      [6, 7],
      [10, 11],
    ]);
    assert.deepEqual(yb.toArray(), [0, 2]);
    assertThrowsMatch(() => sub.getItem(3), IndexError, /^Subset.getItem: index 3 is out of range/);
    assertThrowsMatch(() => new Subset(new TensorDataset(x), [6]), IndexError, /^Subset: index 6/);
  });

  test('a Dataset subclass with plain samples is collated key by key', () => {
    class Squares extends Dataset<{ n: number; half: number; v: Tensor; tag: string }> {
      readonly length = 4;
      getItem(i: number) {
        return { n: i * i, half: i / 2, v: tensor([i, -i]), tag: `s${i}` };
      }
    }
    const ds = new Squares();
    const sub = new Subset(ds, [3, 1]);
    const b = sub.getBatch([0, 1]);
    assert.equal(b.n.dtype, 'int32');
    assert.deepEqual(b.n.toArray(), [9, 1]);
    assert.equal(b.half.dtype, 'float64'); // Python floats collate to float64
    assert.deepEqual(b.half.toArray(), [1.5, 0.5]);
    assertClose(b.v, [
      [3, -3],
      [1, -1],
    ]);
    assert.deepEqual(b.tag, ['s3', 's1']);
  });

  test('defaultCollate stacks tensors and rejects samples of different structure', () => {
    const b = defaultCollate([
      [tensor([1, 2]), 0, true],
      [tensor([3, 4]), 1, false],
    ]);
    assertClose(b[0], [
      [1, 2],
      [3, 4],
    ]);
    assert.equal(b[1].dtype, 'int32');
    assert.deepEqual(b[2].toArray(), [true, false]);
    assertThrowsMatch(
      () => defaultCollate([[tensor([1])], [tensor([1]), tensor([2])]]),
      IndexError,
      /^defaultCollate: each element of the batch should be of equal size/,
    );
    assertThrowsMatch(() => defaultCollate([tensor([1, 2]), tensor([1])]), ShapeError, /^stack:/);
    assertThrowsMatch(() => defaultCollate([]), IndexError, /empty list/);
  });

  test('ConcatDataset chains datasets', () => {
    const a = new TensorDataset(rows(2).x);
    const b = new TensorDataset(rows(3).x);
    const c = new ConcatDataset([a, new TensorDataset(rows(0).x), b]);
    assert.equal(c.length, 5);
    assertClose(c.getItem(1)[0], [2, 3]);
    assertClose(c.getItem(2)[0], [0, 1]);
    assertClose(c.getItem(-1)[0], [4, 5]);
    assertThrowsMatch(() => c.getItem(5), IndexError, /out of range/);
  });
});

forEachBackend('data.randomSplit', () => {
  const sorted = (a: readonly number[]): number[] => [...a].sort((p, q) => p - q);

  test('counts: disjoint subsets that cover the dataset, fixed by the seed', () => {
    const ds = new TensorDataset(rows(10).x);
    const [a, b] = randomSplit(ds, [7, 3], { generator: new Generator(3) });
    assert.equal(a.length, 7);
    assert.equal(b.length, 3);
    assert.deepEqual(
      sorted([...a.indices, ...b.indices]),
      Array.from({ length: 10 }, (_, i) => i),
    );
    const [a2] = randomSplit(ds, [7, 3], { generator: new Generator(3) });
    assert.deepEqual(a2.indices, a.indices);
    const [a3] = randomSplit(ds, [7, 3], { generator: new Generator(4) });
    assert.notDeepEqual(a3.indices, a.indices);
    // One permutation, cut in order: the first split is its first 7 entries.
    assert.deepEqual([...a.indices, ...b.indices], data.permutation(10, new Generator(3)));
  });

  test('fractions follow torch.utils.data.random_split (floor, then the remainder round-robin)', () => {
    const lengths = (n: number, fr: number[]): number[] =>
      randomSplit(new TensorDataset(rows(n).x), fr, { generator: new Generator(0) }).map((s) => s.length);
    assert.deepEqual(lengths(10, [0.8, 0.2]), [8, 2]);
    assert.deepEqual(lengths(5, [0.5, 0.5]), [3, 2]);
    assert.deepEqual(lengths(10, [0.34, 0.33, 0.33]), [4, 3, 3]);
    assert.deepEqual(lengths(1797, [0.8, 0.2]), [1438, 359]);
  });

  test('lengths that do not fit throw', () => {
    const ds = new TensorDataset(rows(10).x);
    assertThrowsMatch(
      () => randomSplit(ds, [7, 4]),
      IndexError,
      /^randomSplit: the lengths \[7, 4\] sum to 11, not to the dataset's length 10/,
    );
    assertThrowsMatch(() => randomSplit(ds, [1.5, -0.5]), IndexError, /fraction at index 0/);
    assertThrowsMatch(
      () => randomSplit(ds, [2.5, 7.5]),
      IndexError,
      /length at index 0 must be a non-negative integer/,
    );
  });
});
