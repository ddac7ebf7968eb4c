import assert from 'node:assert/strict';
import { it } from 'node:test';
import {
  DTypeError,
  IndexError,
  ShapeError,
  argsort,
  gather,
  indexSelect,
  ones,
  scalar,
  scatterAdd,
  sort,
  tensor,
  topk,
  zeros,
} from '../../src/index.js';
import {
  assertClose,
  assertThrowsMatch,
  checkGrad,
  checkGradGrad,
  forEachBackend,
  ramp,
} from '../helpers.js';

const int = (data: number | number[] | number[][]) => tensor(data, { dtype: 'int32' });

forEachBackend('gather, scatterAdd, indexSelect', () => {
  const t = tensor([
    [1, 2],
    [3, 4],
  ]);

  it('gathers along a dim (PyTorch doc example)', () => {
    assertClose(
      gather(
        t,
        1,
        int([
          [0, 0],
          [1, 0],
        ]),
      ),
      [
        [1, 1],
        [4, 3],
      ],
    );
    assertClose(t.gather(0, int([[1, 0]])), [[3, 2]]);
    assertClose(t.gather(-1, int([[1], [0]])), [[2], [3]]);
    assertClose(gather(scalar(7), 0, scalar(0, 'int32')), 7, { shape: [] });
  });

  it('scatter-adds along a dim (PyTorch doc example)', () => {
    const idx = int([
      [0, 1, 2, 0, 0],
      [0, 1, 2, 2, 2],
    ]);
    assertClose(scatterAdd(zeros([3, 5]), 0, idx, ones([2, 5])), [
      [2, 0, 0, 1, 1],
      [0, 2, 0, 0, 0],
      [0, 0, 2, 1, 1],
    ]);
    // src may be larger than index: only the part index covers is read.
    assertClose(zeros([3, 5]).scatterAdd(0, int([[0, 1, 2, 0, 0]]), ones([2, 5])), [
      [1, 0, 0, 1, 1],
      [0, 1, 0, 0, 0],
      [0, 0, 1, 0, 0],
    ]);
    assertClose(ones([2]).scatterAdd(0, int([1, 1, 1]), tensor([1, 2, 3])), [1, 7]);
    assertClose(scatterAdd(scalar(1), 0, scalar(0, 'int32'), scalar(2)), 3, { shape: [] });
  });

  it('selects whole slices by an index vector', () => {
    const x = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    assertClose(indexSelect(x, 0, int([1, 1, 0])), [
      [4, 5, 6],
      [4, 5, 6],
      [1, 2, 3],
    ]);
    assertClose(x.indexSelect(1, int([2, 0])), [
      [3, 1],
      [6, 4],
    ]);
    assert.deepEqual(x.indexSelect(1, int([])).shape, [2, 0]);
  });

  it('has exact gradients, with repeated indices accumulating', () => {
    const idx = int([
      [0, 0, 1],
      [1, 2, 2],
    ]);
    checkGrad((x) => gather(x, 1, idx), [ramp([2, 3])]);
    checkGrad((x) => x.t().gather(0, int([[1, 1, 0]])), [ramp([3, 2])]);
    checkGrad((x, s) => scatterAdd(x, 1, idx, s), [ramp([2, 3]), ramp([2, 3])]);
    checkGrad((x, s) => scatterAdd(x, 0, int([[1, 0]]), s.t()), [ramp([2, 2]), ramp([3, 2])]);
    checkGrad((x) => indexSelect(x, 0, int([2, 0, 2])), [ramp([3, 2])]);
    checkGrad((x) => x.t().indexSelect(1, int([1, 1])), [ramp([2, 3])]);
    checkGradGrad((x) => gather(x, 1, idx).tanh(), [ramp([2, 3])]);
    checkGradGrad((x, s) => scatterAdd(x, 0, int([[1, 0, 1]]), s).mul(x), [ramp([2, 3]), ramp([1, 3])]);
  });

  it('rejects bad indices, dims and shapes', () => {
    assertThrowsMatch(
      () => gather(t, 1, int([[0, 5]])),
      IndexError,
      /gather: index 5 is out of range for dim 1 of size 2 \(shape \[2,2\]\)/,
    );
    assertThrowsMatch(() => gather(t, 2, int([[0]])), IndexError, /gather: dim 2 is out of range/);
    assertThrowsMatch(
      () => gather(t, 0, tensor([[0, 1]])),
      DTypeError,
      /gather: index must be an int32 tensor, got dtype float32/,
    );
    assertThrowsMatch(
      () => gather(t, 0, int([0, 1])),
      ShapeError,
      /gather: index \[2\] must have as many dims as the input \[2,2\]/,
    );
    assertThrowsMatch(
      () => gather(t, 0, int([[0, 1, 0]])),
      ShapeError,
      /gather: index \[1,3\] is larger than the input \[2,2\] at dim 1/,
    );
    assertThrowsMatch(
      () => scatterAdd(zeros([2]), 0, int([3]), ones([1])),
      IndexError,
      /scatterAdd: index 3 is out of range for dim 0 of size 2/,
    );
    assertThrowsMatch(
      () => scatterAdd(zeros([2]), 0, int([0]), ones([1], { dtype: 'float64' })),
      DTypeError,
      /scatterAdd: src dtype float64 does not match the input's float32/,
    );
    assertThrowsMatch(
      () => scatterAdd(zeros([2, 2]), 0, int([[0, 1]]), ones([1, 1])),
      ShapeError,
      /scatterAdd: index \[1,2\] is larger than the src \[1,1\] at dim 1/,
    );
    assertThrowsMatch(
      () => indexSelect(t, 0, int([[0]])),
      ShapeError,
      /indexSelect: index must be a vector, got shape \[1,1\]/,
    );
    assertThrowsMatch(
      () => indexSelect(t, 1, int([2])),
      IndexError,
      /indexSelect: index 2 is out of range for dim 1 of size 2/,
    );
    assertThrowsMatch(() => indexSelect(t, -3, int([0])), IndexError, /indexSelect: dim -3 is out of range/);
    assertThrowsMatch(
      () => indexSelect(t, 0, tensor([0])),
      DTypeError,
      /indexSelect: index must be an int32/,
    );
  });
});

forEachBackend('sort, argsort, topk', () => {
  it('sorts stably along a dim', () => {
    const [values, indices] = sort(tensor([3, 1, 2, 1, 3]));
    assertClose(values, [1, 1, 2, 3, 3]);
    assert.equal(indices.dtype, 'int32');
    assert.deepEqual(indices.toArray(), [1, 3, 2, 0, 4]);
    // Ties keep their original order when sorting descending too.
    assert.deepEqual(argsort(tensor([2, 1, 2, 1]), -1, true).toArray(), [0, 2, 1, 3]);
    const m = tensor([
      [3, 1],
      [1, 2],
      [2, 0],
    ]);
    const [v0, i0] = m.sort(0);
    assertClose(v0, [
      [1, 0],
      [2, 1],
      [3, 2],
    ]);
    assert.deepEqual(i0.toArray(), [
      [1, 2],
      [2, 0],
      [0, 1],
    ]);
    assert.deepEqual(m.argsort(1, true).toArray(), [
      [0, 1],
      [1, 0],
      [0, 1],
    ]);
    const [sv, si] = sort(scalar(4));
    assert.equal(sv.item(), 4);
    assert.equal(si.item(), 0);
  });

  it('finds the k largest or smallest entries, sorted', () => {
    const [v, i] = topk(tensor([1, 5, 3, 4]), 2);
    assertClose(v, [5, 4]);
    assert.deepEqual(i.toArray(), [1, 3]);
    const [sv, si] = tensor([1, 5, 3, 4]).topk(3, -1, false);
    assertClose(sv, [1, 3, 4]);
    assert.deepEqual(si.toArray(), [0, 2, 3]);
    const m = tensor([
      [1, 6],
      [4, 2],
      [3, 5],
    ]);
    const [mv, mi] = m.topk(1, 0);
    assertClose(mv, [[4, 6]]);
    assert.deepEqual(mi.toArray(), [[1, 0]]);
    assert.deepEqual(
      m.topk(0).map((r) => r.shape),
      [
        [3, 0],
        [3, 0],
      ],
    );
  });

  it('has exact gradients for the values', () => {
    checkGrad((x) => sort(x)[0], [ramp([3, 4])]);
    checkGrad((x) => x.t().sort(0, true)[0], [ramp([3, 4])]);
    checkGrad((x) => topk(x, 2, 0)[0], [ramp([4, 3])]);
    checkGrad((x) => x.t().topk(1, -1, false)[0], [ramp([3, 2])]);
    checkGradGrad((x) => sort(x)[0].mul(x), [ramp([5])]);
  });

  it('rejects bad dims and k', () => {
    const x = zeros([2, 3]);
    assertThrowsMatch(
      () => sort(x, 2),
      IndexError,
      /sort: dim 2 is out of range \[-2, 1\] for a tensor of shape \[2,3\]/,
    );
    assertThrowsMatch(() => argsort(scalar(1), 1), IndexError, /sort: dim 1 is out of range/);
    assertThrowsMatch(
      () => topk(x, 4),
      IndexError,
      /topk: k = 4 is out of range for dim 1 of size 3 \(shape \[2,3\]\)/,
    );
    assertThrowsMatch(() => topk(x, -1), IndexError, /topk: k = -1 is out of range/);
    assertThrowsMatch(() => topk(x, 1, -3), IndexError, /topk: dim -3 is out of range/);
  });
});
