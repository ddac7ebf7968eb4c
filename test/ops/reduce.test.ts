import assert from 'node:assert/strict';
import { it } from 'node:test';
import {
  DTypeError,
  IndexError,
  amax,
  amin,
  argmax,
  argmin,
  cumprod,
  cumsum,
  max,
  mean,
  min,
  prod,
  std,
  sum,
  tensor,
  var as variance,
  zeros,
} from '../../src/index.js';
import {
  assertClose,
  assertThrowsMatch,
  checkGrad,
  checkGradGrad,
  forEachBackend,
  leaf,
  ramp,
} from '../helpers.js';

const m23 = () =>
  tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);

forEachBackend('reductions', () => {
  it('sum over all, one, several and negative dims, with keepdim', () => {
    const x = m23();
    assertClose(sum(x), 21, { shape: [] });
    assertClose(x.sum(0), [5, 7, 9]);
    assertClose(x.sum(-1), [6, 15]);
    assertClose(x.sum(1, true), [[6], [15]]);
    assertClose(x.sum([0, 1]), 21, { shape: [] });
    assertClose(x.sum([-1, 0], true), [[21]]);
    assertClose(x.sum(null, true), [[21]]);
    const y = ramp([2, 3, 4], -1, 1, false);
    assertClose(y.sum([0, 2]), y.sum(2).sum(0));
    assert.deepEqual(y.sum([0, 2], true).shape, [1, 3, 1]);
  });

  it('sums integers and bools as int32, and honours an explicit dtype', () => {
    const i = tensor([1, 2, 3], { dtype: 'int32' }).sum();
    assert.equal(i.dtype, 'int32');
    assert.equal(i.item(), 6);
    const b = tensor([true, false, true]).sum();
    assert.equal(b.dtype, 'int32');
    assert.equal(b.item(), 2);
    assert.equal(tensor([1, 2], { dtype: 'int32' }).sum(null, false, { dtype: 'float64' }).dtype, 'float64');
  });

  it('mean, and refuses integer input', () => {
    assertClose(m23().mean(), 3.5, { shape: [] });
    assertClose(mean(m23(), 0), [2.5, 3.5, 4.5]);
    assertClose(m23().mean([-1], true), [[2], [5]]);
    assertThrowsMatch(() => tensor([1, 2], { dtype: 'int32' }).mean(), DTypeError, /^mean: .*int32/);
  });

  it('sum and mean have exact gradients, also for transposed inputs', () => {
    checkGrad((x) => x.sum(), [ramp([3, 4])]);
    checkGrad((x) => x.sum([0, 2], true), [ramp([2, 3, 2])]);
    checkGrad((x) => x.t().sum(1), [ramp([3, 4])]);
    checkGrad((x) => x.mean(-1), [ramp([3, 4])]);
    checkGrad((x) => x.t().mean([0]), [ramp([3, 4])]);
    checkGradGrad((x) => x.mul(x).sum(0), [ramp([3, 2])]);
  });

  it('prod over a dim and over everything', () => {
    assertClose(prod(m23()), 720, { shape: [] });
    assertClose(m23().prod(1), [6, 120]);
    assertClose(m23().prod(0, true), [[4, 10, 18]]);
    const i = tensor([2, 3], { dtype: 'int32' }).prod();
    assert.equal(i.dtype, 'int32');
    assert.equal(i.item(), 6);
  });

  it('prod has exact gradients, also with one or two zeros', () => {
    checkGrad((x) => x.prod(), [ramp([2, 3])]);
    checkGrad((x) => x.t().prod(1), [ramp([3, 4])]);
    checkGrad((x) => x.prod(-1, true), [ramp([2, 3])]);
    // One zero: only the zero gets the product of the others.
    const a = leaf([2, 0, 3, 4]);
    a.prod().backward();
    assertClose(a.grad!, [0, 24, 0, 0]);
    // Two zeros: every partial product contains a zero.
    const b = leaf([2, 0, 3, 0]);
    b.prod().backward();
    assertClose(b.grad!, [0, 0, 0, 0]);
    checkGrad(
      (x) => x.prod(1),
      [
        leaf([
          [2, 0, 3],
          [0, 1, 0],
        ]),
      ],
    );
    checkGradGrad(
      (x) => x.prod(1),
      [
        leaf([
          [2, 0, 3],
          [0.5, 1.5, -2],
        ]),
      ],
    );
  });

  it('amax/amin over dims; ties share the gradient evenly', () => {
    const x = tensor([
      [1, 5, 5],
      [7, 0, -1],
    ]);
    assertClose(amax(x), 7, { shape: [] });
    assertClose(x.amax(1), [5, 7]);
    assertClose(amin(x, 0, true), [[1, 0, -1]]);
    assertClose(x.amin([0, 1]), -1, { shape: [] });
    const t = leaf([
      [1, 5, 5],
      [3, 3, 3],
    ]);
    t.amax(1).sum().backward();
    assertClose(t.grad!, [
      [0, 0.5, 0.5],
      [1 / 3, 1 / 3, 1 / 3],
    ]);
    checkGrad((y) => y.amax(0), [ramp([3, 4])]);
    checkGrad((y) => y.t().amin([0, 1]), [ramp([3, 4])]);
    const i = tensor([3, 1, 2], { dtype: 'int32' }).amax();
    assert.equal(i.dtype, 'int32');
    assert.equal(i.item(), 3);
  });

  it('max()/min() of all elements, and max(other) as maximum', () => {
    const x = m23();
    assertClose(max(x), 6, { shape: [] });
    assertClose(x.min(), 1, { shape: [] });
    assertClose(x.max(tensor([3, 3, 3])), [
      [3, 3, 3],
      [4, 5, 6],
    ]);
    assertClose(min(x, tensor([[0], [5]])), [
      [0, 0, 0],
      [4, 5, 5],
    ]);
  });

  it('max(dim)/min(dim) return values and indices; the gradient goes to the index', () => {
    const x = tensor([
      [1, 9, 9],
      [7, 0, -1],
    ]);
    const [v, i] = x.max(1);
    assertClose(v, [9, 7]);
    assert.equal(i.dtype, 'int32');
    assert.deepEqual(i.toArray(), [1, 0]);
    const [vk, ik] = max(x, 0, true);
    assertClose(vk, [[7, 9, 9]]);
    assert.deepEqual(ik.toArray(), [[1, 0, 0]]);
    const [mv, mi] = x.min(-1);
    assertClose(mv, [1, -1]);
    assert.deepEqual(mi.toArray(), [0, 2]);
    const t = leaf([
      [1, 9, 9],
      [7, 0, -1],
    ]);
    t.max(1)[0].sum().backward();
    // Unlike amax, the tie goes entirely to the returned index.
    assertClose(t.grad!, [
      [0, 1, 0],
      [1, 0, 0],
    ]);
    checkGrad((y) => y.max(1)[0], [ramp([3, 4])]);
    checkGrad((y) => y.t().min(0, true)[0], [ramp([3, 4])]);
  });

  it('argmax/argmin with and without dim (first occurrence)', () => {
    const x = tensor([
      [1, 9, 9],
      [7, 0, -1],
    ]);
    const a = argmax(x);
    assert.deepEqual(a.shape, []);
    assert.equal(a.item(), 1);
    assert.equal(argmin(x).item(), 5);
    assert.deepEqual(x.argmax(1).toArray(), [1, 0]);
    assert.deepEqual(x.argmin(0).toArray(), [0, 1, 1]);
    assert.deepEqual(x.argmax(0, true).toArray(), [[1, 0, 0]]);
    assert.deepEqual(x.argmax(null, true).shape, [1, 1]);
    assert.equal(x.argmax(1).dtype, 'int32');
  });

  it('var/std: unbiased flag, correction and keepdim', () => {
    const x = tensor([
      [1, 2, 3, 4],
      [2, 4, 6, 8],
    ]);
    assertClose(x.var(1), [5 / 3, 20 / 3]);
    assertClose(variance(x, 1, false), [1.25, 5]);
    assertClose(x.var(1, { correction: 0 }), [1.25, 5]);
    assertClose(x.var(1, { correction: 2 }), [2.5, 10]);
    assertClose(x.var(-1, true, true), [[5 / 3], [20 / 3]]);
    assertClose(x.var(1, { keepdim: true }), [[5 / 3], [20 / 3]]);
    assertClose(x.var(), 37.5 / 7, { shape: [] });
    assertClose(std(x, 1), [Math.sqrt(5 / 3), Math.sqrt(20 / 3)]);
    assertClose(x.std(0, false), [0.5, 1, 1.5, 2]);
    assertThrowsMatch(() => tensor([1, 2], { dtype: 'int32' }).var(), DTypeError, /^var: .*int32/);
    assertThrowsMatch(() => tensor([1, 2], { dtype: 'int32' }).std(), DTypeError, /^std: .*int32/);
  });

  it('var/std have exact gradients', () => {
    checkGrad((x) => x.var(1), [ramp([3, 4])]);
    checkGrad((x) => x.t().std(0, false), [ramp([3, 4])]);
    checkGrad((x) => x.var([0, 1], { correction: 0, keepdim: true }), [ramp([2, 3])]);
    checkGradGrad((x) => x.var(0), [ramp([3, 2])]);
  });

  it('names the op on out-of-range dims and empty reductions', () => {
    const x = zeros([2, 3]);
    for (const [name, f] of [
      ['sum', () => x.sum(2)],
      ['mean', () => x.mean([0, -3])],
      ['prod', () => x.prod(5)],
      ['amax', () => x.amax(2)],
      ['amin', () => x.amin(-3)],
      ['argmax', () => x.argmax(2)],
      ['argmin', () => x.argmin(-3)],
      ['max', () => x.max(2)],
      ['min', () => x.min(-3)],
      ['var', () => x.var(2)],
      ['std', () => x.std(2)],
      ['cumsum', () => x.cumsum(2)],
      ['cumprod', () => x.cumprod(-3)],
    ] as const) {
      assertThrowsMatch(f, IndexError, new RegExp(`^${name}: dim -?\\d is out of range`));
    }
    assertThrowsMatch(() => x.sum([0, 0]), IndexError, /^sum: .*repeated/);
    // 0-d tensors take dim 0 or -1 only, as in PyTorch.
    assertThrowsMatch(() => tensor(1).max(1), IndexError, /^max: dim 1 is out of range \[-1, 0\]/);
    assert.deepEqual(tensor(1).max(-1)[1].shape, []);
    assert.equal(tensor(4).argmax(0).item(), 0);
    assertThrowsMatch(() => zeros([0, 2]).amax(0), IndexError, /^amax: .*empty/);
    assertThrowsMatch(() => zeros([0]).argmax(), IndexError, /^argmax: .*empty/);
    // Sum of nothing is 0 and product of nothing is 1, as in PyTorch.
    assertClose(zeros([0, 2]).sum(0), [0, 0]);
    assertClose(zeros([2, 0]).prod(1), [1, 1]);
  });
});

forEachBackend('cumulative', () => {
  it('cumsum and cumprod along any dim', () => {
    const x = m23();
    assertClose(cumsum(x, 1), [
      [1, 3, 6],
      [4, 9, 15],
    ]);
    assertClose(x.cumsum(0), [
      [1, 2, 3],
      [5, 7, 9],
    ]);
    assertClose(cumprod(x, -1), [
      [1, 2, 6],
      [4, 20, 120],
    ]);
    assertClose(x.cumprod(0), [
      [1, 2, 3],
      [4, 10, 18],
    ]);
    const b = tensor([true, false, true]);
    assert.equal(b.cumsum(0).dtype, 'int32');
    assert.deepEqual(b.cumsum(0).toArray(), [1, 1, 2]);
    assert.equal(b.cumprod(0).dtype, 'int32');
    assert.deepEqual(b.cumprod(0).toArray(), [1, 0, 0]);
    assert.deepEqual(tensor([1, 2, 3], { dtype: 'int32' }).cumsum(0).toArray(), [1, 3, 6]);
  });

  it('cumsum and cumprod have exact gradients', () => {
    checkGrad((x) => x.cumsum(1), [ramp([3, 4])]);
    checkGrad((x) => x.t().cumsum(0), [ramp([3, 4])]);
    checkGrad((x) => x.cumprod(-1), [ramp([3, 4], 0.5, 2)]);
    checkGrad((x) => x.t().cumprod(0), [ramp([3, 4])]);
    checkGradGrad((x) => x.cumprod(1), [ramp([2, 3])]);
  });

  it('cumprod has exact gradients where inputs are zero', () => {
    const x = leaf([2, 0, 3, 4]);
    x.cumprod(0).sum().backward();
    // d/dx1 = x0 + x0·x2 + x0·x2·x3; past the zero everything is 0.
    assertClose(x.grad!, [1, 32, 0, 0]);
    checkGrad(
      (y) => y.cumprod(1),
      [
        leaf([
          [2, 0, 3, 0],
          [0, 1.5, 0, -2],
        ]),
      ],
    );
    checkGradGrad(
      (y) => y.cumprod(1),
      [
        leaf([
          [2, 0, 3, 0.5],
          [0.5, 1.5, 0, -2],
        ]),
      ],
    );
  });
});
