import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Tensor } from '../../src/index.js';
import {
  DTypeError,
  ShapeError,
  clamp,
  eq,
  ge,
  gt,
  isfinite,
  isinf,
  isnan,
  le,
  logicalAnd,
  logicalNot,
  logicalOr,
  lt,
  maximum,
  minimum,
  ne,
  tensor,
  where,
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

const f64 = (data: number[] | number[][]) => tensor(data, { dtype: 'float64' });
const i32 = (data: number[]) => tensor(data, { dtype: 'int32' });

function bools(t: Tensor): unknown {
  assert.equal(t.dtype, 'bool');
  return t.toArray();
}

forEachBackend('comparisons and logical ops', () => {
  it('compare elementwise into bool tensors', () => {
    const a = f64([1, 2, 3, NaN]);
    const b = f64([2, 2, 2, NaN]);
    assert.deepEqual(bools(eq(a, b)), [false, true, false, false]);
    assert.deepEqual(bools(ne(a, b)), [true, false, true, true]);
    assert.deepEqual(bools(lt(a, b)), [true, false, false, false]);
    assert.deepEqual(bools(le(a, b)), [true, true, false, false]);
    assert.deepEqual(bools(gt(a, b)), [false, false, true, false]);
    assert.deepEqual(bools(ge(a, b)), [false, true, true, false]);
    assert.deepEqual(bools(a.eq(2)), [false, true, false, false]);
    assert.deepEqual(bools(a.ne(2)), [true, false, true, true]);
    assert.deepEqual(bools(a.lt(2)), [true, false, false, false]);
    assert.deepEqual(bools(a.le(2)), [true, true, false, false]);
    assert.deepEqual(bools(a.gt(2)), [false, false, true, false]);
    assert.deepEqual(bools(a.ge(2)), [false, true, true, false]);
    assert.deepEqual(bools(lt(2, a)), [false, false, true, false]);
  });

  it('promote before comparing, and broadcast', () => {
    // An int tensor against 1.5 compares in float: 1 < 1.5 (1.5 is not truncated to 1).
    assert.deepEqual(bools(lt(i32([1, 2]), 1.5)), [true, false]);
    assert.deepEqual(bools(eq(i32([1, 2]), f64([1, 2.5]))), [true, false]);
    assert.deepEqual(bools(eq(tensor([true, false]), 1)), [true, false]);
    const g = gt(f64([[1], [2], [3]]), f64([0.5, 1.5, 2.5, 3.5]));
    assert.deepEqual(g.shape, [3, 4]);
    assert.deepEqual(g.toArray(), [
      [true, false, false, false],
      [true, true, false, false],
      [true, true, true, false],
    ]);
    assertThrowsMatch(() => eq(zeros([2, 3]), zeros([2])), ShapeError, /^eq: shapes \[2,3\] and \[2\]/);
    // Comparisons are not differentiable.
    assert.equal(gt(leaf([1, 2]), 0).requiresGrad, false);
  });

  it('logical and, or, not treat nonzero as true', () => {
    const p = tensor([true, true, false, false]);
    const q = tensor([true, false, true, false]);
    assert.deepEqual(bools(logicalAnd(p, q)), [true, false, false, false]);
    assert.deepEqual(bools(logicalOr(p, q)), [true, true, true, false]);
    assert.deepEqual(bools(logicalNot(p)), [false, false, true, true]);
    assert.deepEqual(bools(p.logicalAnd(q)), [true, false, false, false]);
    assert.deepEqual(bools(p.logicalOr(q)), [true, true, true, false]);
    assert.deepEqual(bools(q.logicalNot()), [false, true, false, true]);
    const x = f64([0, 1.5, -2]);
    assert.deepEqual(bools(logicalAnd(x, f64([1, 1, 0]))), [false, true, false]);
    assert.deepEqual(bools(logicalOr(x, 0)), [false, true, true]);
    assert.deepEqual(bools(logicalNot(x)), [true, false, false]);
  });

  it('detects NaN and infinities', () => {
    const x = f64([1, NaN, Infinity, -Infinity]);
    assert.deepEqual(bools(isnan(x)), [false, true, false, false]);
    assert.deepEqual(bools(isinf(x)), [false, false, true, true]);
    assert.deepEqual(bools(isfinite(x)), [true, false, false, false]);
    assert.deepEqual(bools(x.isfinite()), [true, false, false, false]);
    assert.deepEqual(bools(isnan(i32([1]))), [false]);
  });
});

forEachBackend('maximum and minimum', () => {
  it('take the elementwise extremum with promotion and broadcasting', () => {
    const a = f64([1, 5, -3]);
    assertClose(maximum(a, f64([2, 4, -3])), [2, 5, -3]);
    assertClose(minimum(a, f64([2, 4, -3])), [1, 4, -3]);
    assertClose(a.maximum(0), [1, 5, 0]);
    assertClose(a.minimum(0), [0, 0, -3]);
    assertClose(maximum(f64([[0], [3]]), f64([1, 2, 4])), [
      [1, 2, 4],
      [3, 3, 4],
    ]);
    const m = maximum(i32([1, 4]), 2);
    assert.equal(m.dtype, 'int32');
    assertClose(m, [2, 4]);
    assert.equal(maximum(i32([1, 4]), 2.5).dtype, 'float32');
    assertClose(maximum(f64([NaN, 1]), 0), [NaN, 1]);
  });

  it('split the gradient ½/½ on ties', () => {
    const a = leaf([1, 2, 3]);
    const b = leaf([1, 3, 2]);
    maximum(a, b).sum().backward();
    assertClose(a.grad!, [0.5, 0, 1]);
    assertClose(b.grad!, [0.5, 1, 0]);
    const c = leaf([1, 2, 3]);
    const d = leaf([1, 3, 2]);
    minimum(c, d).sum().backward();
    assertClose(c.grad!, [0.5, 1, 0]);
    assertClose(d.grad!, [0.5, 0, 1]);
  });

  it('pass gradcheck with broadcast and transposed inputs', () => {
    for (const op of [maximum, minimum]) {
      checkGrad((x, y) => op(x, y), [ramp([3, 1]), ramp([4])]);
      checkGrad((x, y) => op(x.t(), y), [ramp([4, 3]), ramp([3, 4], -0.9, 0.95)]);
      checkGrad((x) => op(x, 0.1), [ramp([5])]);
    }
  });
});

forEachBackend('where', () => {
  it('chooses elementwise, broadcasting all three operands', () => {
    const cond = tensor([[[true]], [[false]]]); // [2,1,1]
    const x = f64([[1], [2], [3]]); // [3,1]
    const y = f64([10, 20, 30, 40]); // [4]
    const w = where(cond, x, y);
    assert.deepEqual(w.shape, [2, 3, 4]);
    assertClose(w, [
      [
        [1, 1, 1, 1],
        [2, 2, 2, 2],
        [3, 3, 3, 3],
      ],
      [
        [10, 20, 30, 40],
        [10, 20, 30, 40],
        [10, 20, 30, 40],
      ],
    ]);
    const c = tensor([true, false, true]);
    assertClose(where(c, f64([1, 2, 3]), 0), [1, 0, 3]);
    // PyTorch's method form: x.where(cond, other) keeps x where cond holds.
    assertClose(f64([1, 2, 3]).where(c, -1), [1, -1, 3]);
    const n = where(c, 1.5, 0);
    assert.equal(n.dtype, 'float32');
    assertClose(n, [1.5, 0, 1.5]);
    assert.equal(where(c, i32([1, 2, 3]), 0).dtype, 'int32');
    assert.equal(where(c, i32([1, 2, 3]), 0.5).dtype, 'float32');
    assert.equal(where(c, tensor([1, 2, 3]), f64([0])).dtype, 'float64');
  });

  it('sends the gradient to the chosen branch only', () => {
    const cond = tensor([[true], [false], [true]]); // [3,1]
    checkGrad((x, y) => where(cond, x, y), [ramp([1, 4]), ramp([4])]);
    checkGrad((x, y) => where(cond, x.t(), y), [ramp([4, 3]), ramp([3, 1])]);
    checkGrad((x) => where(tensor([false, true]), x, 2), [ramp([2])]);
    const a = leaf([1, 2, 3]);
    const b = leaf([4]);
    where(tensor([true, false, false]), a, b)
      .sum()
      .backward();
    assertClose(a.grad!, [1, 0, 0]);
    assertClose(b.grad!, [2]);
    checkGradGrad((x, y) => where(tensor([true, false]), x.mul(x), y.tanh()), [ramp([2]), ramp([2])]);
  });

  it('requires a bool condition and broadcastable shapes', () => {
    assertThrowsMatch(
      () => where(tensor([1, 0]), f64([1, 2]), 0),
      DTypeError,
      /^where: condition must be a bool tensor, got dtype float32 \(shape \[2\]\)/,
    );
    assertThrowsMatch(
      () => where(i32([1, 0]), 1, 0),
      DTypeError,
      /^where: condition must be a bool tensor, got dtype int32/,
    );
    assertThrowsMatch(() => where(true as never, 1, 0), DTypeError, /^where: .* got boolean/);
    assertThrowsMatch(
      () => where(tensor([true, false]), zeros([3]), 0),
      ShapeError,
      /^where: shapes \[2\] and \[3\] and \[\] cannot be broadcast together/,
    );
  });
});

forEachBackend('clamp', () => {
  it('clamps into bounds, one- or two-sided', () => {
    const x = f64([-2, -1, 0, 1, 2]);
    assertClose(clamp(x, -1, 1), [-1, -1, 0, 1, 1]);
    assertClose(clamp(x, 0), [0, 0, 0, 1, 2]);
    assertClose(clamp(x, null, 0), [-2, -1, 0, 0, 0]);
    assertClose(x.clamp(-0.5, 0.5), [-0.5, -0.5, 0, 0.5, 0.5]);
    assertClose(x.clip(-1, 1), [-1, -1, 0, 1, 1]);
    assertClose(clamp(f64([NaN]), 0, 1), [NaN]);
    // Tensor bounds broadcast.
    assertClose(clamp(f64([[-2, 0, 2]]), f64([-1, 0.5, 0]), f64([[1], [0.2]])), [
      [-1, 0.5, 1],
      [-1, 0.2, 0.2],
    ]);
    assertThrowsMatch(() => clamp(x), DTypeError, /^clamp: at least one of min and max/);
  });

  it('keeps integer dtypes unless a bound is fractional', () => {
    const c = clamp(i32([-3, 1, 7]), 0, 5);
    assert.equal(c.dtype, 'int32');
    assertClose(c, [0, 1, 5]);
    const f = clamp(i32([-3, 1, 7]), 0.5);
    assert.equal(f.dtype, 'float32');
    assertClose(f, [0.5, 1, 7]);
  });

  it('passes the gradient where min ≤ x ≤ max (also at the bounds)', () => {
    const vals = [-2, -1, 0, 1, 2];
    const grad = (fn: (t: Tensor) => Tensor) => {
      const t = leaf(vals);
      fn(t).sum().backward();
      return t.grad!;
    };
    assertClose(
      grad((t) => clamp(t, -1, 1)),
      [0, 1, 1, 1, 0],
    );
    assertClose(
      grad((t) => clamp(t, 0)),
      [0, 0, 1, 1, 1],
    );
    assertClose(
      grad((t) => t.clamp(null, 0)),
      [1, 1, 1, 0, 0],
    );
    checkGrad((t) => clamp(t, -0.55, 0.45), [ramp([3, 4])]);
    checkGrad((t) => clamp(t.t(), -0.55), [ramp([3, 4])]);
    checkGradGrad((t) => clamp(t, -0.55, 0.45).mul(t), [ramp([5])]);
  });

  it('sends gradients to tensor bounds where they are chosen', () => {
    const x = leaf([
      [-2, 0.1, 2],
      [-0.4, 0.6, 1.2],
    ]);
    const lo = leaf([-1, 0.3, -0.5]);
    const hi = leaf([[1.5], [0.5]]);
    checkGrad((a, b, c) => clamp(a, b, c), [x, lo, hi]);
    clamp(x, lo, hi).sum().backward();
    assertClose(x.grad!, [
      [0, 0, 0],
      [1, 0, 0],
    ]);
    assertClose(lo.grad!, [1, 1, 0]);
    assertClose(hi.grad!, [[1], [2]]);
  });
});
