import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Tensor } from '../../src/index.js';
import { DTypeError, ShapeError, add, div, log, mul, neg, pow, sub, tensor, zeros } from '../../src/index.js';
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

forEachBackend('arithmetic', () => {
  it('adds, subtracts, multiplies and divides', () => {
    const a = f64([1, -2, 3.5]);
    const b = f64([4, 0.5, -2]);
    assertClose(add(a, b), [5, -1.5, 1.5]);
    assertClose(sub(a, b), [-3, -2.5, 5.5]);
    assertClose(mul(a, b), [4, -1, -7]);
    assertClose(div(a, b), [0.25, -4, -1.75]);
    assertClose(neg(a), [-1, 2, -3.5]);
    // Method forms.
    assertClose(a.add(b), [5, -1.5, 1.5]);
    assertClose(a.sub(b), [-3, -2.5, 5.5]);
    assertClose(a.mul(b), [4, -1, -7]);
    assertClose(a.div(b), [0.25, -4, -1.75]);
    assertClose(a.neg(), [-1, 2, -3.5]);
    // Division by zero follows IEEE.
    assertClose(div(f64([1, -1, 0]), 0), [Infinity, -Infinity, NaN]);
  });

  it('scales the second operand by alpha in add and sub', () => {
    const a = f64([1, 2]);
    const b = f64([10, 20]);
    assertClose(add(a, b, { alpha: 2 }), [21, 42]);
    assertClose(a.add(b, { alpha: -0.5 }), [-4, -8]);
    assertClose(sub(a, b, { alpha: 3 }), [-29, -58]);
    assertClose(a.sub(b, { alpha: 0.1 }), [0, 0]);
    // A number scaled by alpha keeps float64 precision (0.1·3 is not rounded to float32 first).
    assertClose(add(f64([0]), 0.1, { alpha: 3 }), [0.1 * 3]);
    assertClose(add(i32([1]), 2, { alpha: 3 }), [7]);
    assert.equal(add(i32([1]), 2, { alpha: 3 }).dtype, 'int32');
    checkGrad((x, y) => add(x, y, { alpha: 2.5 }), [ramp([2, 3]), ramp([3])]);
    checkGrad((x, y) => sub(x, y, { alpha: -1.5 }), [ramp([2, 3]), ramp([2, 1])]);
  });

  it('accepts numbers in either position', () => {
    const x = f64([1, 2, 4]);
    assertClose(add(2, x), [3, 4, 6]);
    assertClose(add(x, 2), [3, 4, 6]);
    assertClose(sub(2, x), [1, 0, -2]);
    assertClose(x.sub(2), [-1, 0, 2]);
    assertClose(mul(3, x), [3, 6, 12]);
    assertClose(div(1, x), [1, 0.5, 0.25]);
    assertClose(x.div(2), [0.5, 1, 2]);
    assertClose(pow(2, x), [2, 4, 16]);
    assertClose(x.pow(2), [1, 4, 16]);
    const s = add(2, 3);
    assert.equal(s.dtype, 'int32');
    assert.deepEqual(s.shape, []);
    assert.equal(s.item(), 5);
    assert.equal(add(2, x).dtype, 'float64');
  });

  it('divides integers as floats (true division)', () => {
    const q = div(i32([1, 2, 3]), 2);
    assert.equal(q.dtype, 'float32');
    assertClose(q, [0.5, 1, 1.5]);
    assertClose(div(i32([7, -7]), i32([2, 2])), [3.5, -3.5]);
    assert.equal(div(i32([1]), f64([2])).dtype, 'float64');
    assert.equal(i32([3]).div(i32([4])).dtype, 'float32');
  });

  it('promotes dtypes like PyTorch', () => {
    const ints = i32([1, 2]);
    const f32 = tensor([1, 2]);
    const bools = tensor([true, false]);
    const cases: [Tensor, string, number[] | boolean[]][] = [
      [add(ints, 0.5), 'float32', [1.5, 2.5]],
      [add(ints, 2), 'int32', [3, 4]],
      [mul(2, ints), 'int32', [2, 4]],
      [add(ints, f32), 'float32', [2, 4]],
      [add(f32, f64([0.5, 0.25])), 'float64', [1.5, 2.25]],
      [mul(f32, 2.5), 'float32', [2.5, 5]],
      [add(bools, 1), 'int32', [2, 1]],
      [add(bools, ints), 'int32', [2, 2]],
      [add(bools, 0.5), 'float32', [1.5, 0.5]],
      [mul(ints, true), 'int32', [1, 2]],
    ];
    for (const [t, dtype, values] of cases) {
      assert.equal(t.dtype, dtype, `${String(t)} should be ${dtype}`);
      assertClose(t, values);
    }
    // bool + bool stays bool: true + true is true (a logical or).
    const bb = add(tensor([true, true, false]), tensor([true, false, false]));
    assert.equal(bb.dtype, 'bool');
    assert.deepEqual(bb.toArray(), [true, true, false]);
    assert.deepEqual(bb.eq(true).toArray(), [true, true, false]);
    assert.deepEqual(mul(tensor([true, true]), tensor([true, false])).toArray(), [true, false]);
  });

  it('refuses bool subtraction and negation', () => {
    assertThrowsMatch(() => sub(tensor([true]), tensor([false])), DTypeError, /sub: .*bool/);
    assertThrowsMatch(() => neg(tensor([true, false])), DTypeError, /neg: .*bool tensor.*\[2\]/);
  });

  it('broadcasts shapes by NumPy rules', () => {
    const col = f64([[1], [2], [3]]);
    const row = f64([10, 20, 30, 40]);
    const s = add(col, row);
    assert.deepEqual(s.shape, [3, 4]);
    assertClose(s, [
      [11, 21, 31, 41],
      [12, 22, 32, 42],
      [13, 23, 33, 43],
    ]);
    assertClose(mul(row, col), [
      [10, 20, 30, 40],
      [20, 40, 60, 80],
      [30, 60, 90, 120],
    ]);
    assertClose(sub(tensor(5, { dtype: 'float64' }), f64([[1, 2]])), [[4, 3]]);
    assert.deepEqual(div(zeros([2, 1, 3]), zeros([4, 1])).shape, [2, 4, 3]);
  });

  it('names the op and the shapes when broadcasting fails', () => {
    assertThrowsMatch(
      () => add(zeros([2, 3]), zeros([4])),
      ShapeError,
      /^add: shapes \[2,3\] and \[4\] cannot be broadcast together/,
    );
    assertThrowsMatch(() => zeros([2, 3]).mul(zeros([3, 2])), ShapeError, /^mul: shapes \[2,3\] and \[3,2\]/);
    assertThrowsMatch(() => div(zeros([5]), zeros([2, 4])), ShapeError, /^div: shapes \[5\] and \[2,4\]/);
    assertThrowsMatch(() => pow(zeros([2]), zeros([3])), ShapeError, /^pow: shapes \[2\] and \[3\]/);
    assertThrowsMatch(() => add(zeros([2]), 'x' as never), DTypeError, /^add: expected a Tensor or a number/);
  });

  it('has exact gradients, with broadcast and transposed operands', () => {
    for (const op of [add, sub, mul, div]) {
      const name = op.name;
      const [a, b] = name === 'div' ? [ramp([3, 1]), ramp([4], 0.5, 2)] : [ramp([3, 1]), ramp([4])];
      checkGrad((x, y) => op(x, y), [a, b]);
      checkGrad((x, y) => op(x.t(), y), [ramp([4, 3]), ramp([3, 4], 0.5, 2)]);
      checkGrad((x, y) => op(y, x), [ramp([2, 1, 3], 0.5, 2), ramp([4, 1])]);
      // A number operand.
      checkGrad((x) => op(x, 1.5), [ramp([2, 2], 0.5, 2)]);
      checkGrad((x) => op(1.5, x), [ramp([2, 2], 0.5, 2)]);
    }
    checkGrad(neg, [ramp([2, 3]).t()]);
    checkGradGrad((x, y) => div(x, y), [ramp([2, 3]), ramp([3], 0.5, 2)]);
    checkGradGrad((x, y) => mul(x, y).mul(x), [ramp([2, 3]), ramp([2, 1])]);
  });

  it('sends gradients back through dtype promotion', () => {
    const a = tensor([1, 2], { requiresGrad: true });
    const b = tensor([3, 4], { dtype: 'float64', requiresGrad: true });
    const y = mul(a, b);
    assert.equal(y.dtype, 'float64');
    y.sum().backward();
    assert.equal(a.grad!.dtype, 'float32');
    assertClose(a.grad!, [3, 4]);
    assertClose(b.grad!, [1, 2]);
  });
});

forEachBackend('pow and log', () => {
  it('raises to scalar and tensor powers', () => {
    const x = f64([1, 2, 4, 9]);
    assertClose(pow(x, 0.5), [1, Math.SQRT2, 2, 3]);
    assertClose(x.pow(-1), [1, 0.5, 0.25, 1 / 9]);
    assertClose(pow(x, f64([3, 0.5, 0, -1])), [1, Math.SQRT2, 1, 1 / 9]);
    assertClose(pow(f64([[2], [3]]), f64([1, 2])), [
      [2, 4],
      [3, 9],
    ]);
    assertClose(pow(f64([-2, 0]), 2), [4, 0]);
    assertClose(pow(f64([-8]), 1 / 3), [NaN]);
    // Integer powers stay integer; a negative integer power of integers is refused (as in PyTorch).
    const p = pow(i32([2, 3]), 3);
    assert.equal(p.dtype, 'int32');
    assertClose(p, [8, 27]);
    assert.equal(pow(i32([4]), 0.5).dtype, 'float32');
    assertThrowsMatch(() => pow(i32([2]), -1), DTypeError, /^pow: integers to negative integer powers/);
  });

  it('differentiates base and exponent', () => {
    checkGrad((x) => pow(x, 3), [ramp([2, 3])]);
    checkGrad((x) => pow(x, 2.5), [ramp([2, 3], 0.2, 2)]);
    checkGrad((x, e) => pow(x, e), [ramp([2, 3], 0.2, 2), ramp([2, 3])]);
    checkGrad((x, e) => pow(x, e), [ramp([2, 3], 0.2, 2), ramp([3], -2, 2)]);
    checkGrad((x, e) => pow(x.t(), e), [ramp([3, 2], 0.2, 2), ramp([2, 1])]);
    checkGrad((e) => pow(2, e), [ramp([4])]);
    checkGradGrad((x, e) => pow(x, e), [ramp([2, 2], 0.2, 2), ramp([2, 2], -1, 2)]);
    checkGradGrad((x) => pow(x, 3), [ramp([4])]);
  });

  it('takes the PyTorch values at x = 0 and y = 0', () => {
    // d(x⁰)/dx = 0 (also at x = 0, where y·xʸ⁻¹ would be 0·∞).
    const x = leaf([0, 1, 2]);
    pow(x, 0).sum().backward();
    assertClose(x.grad!, [0, 0, 0]);
    // Tensor exponent: the zero exponent masks the base gradient; base 0 masks the exponent gradient.
    const b = leaf([0, 0, 2]);
    const e = leaf([0, 2, 1]);
    pow(b, e).sum().backward();
    assertClose(b.grad!, [0, 0, 1]);
    assertClose(e.grad!, [0, 0, 2 * Math.log(2)]);
    // d(x²)/dx at 0 is 0, the exponent 2 does not divide by zero.
    const z = leaf([0]);
    pow(z, 2).backward();
    assertClose(z.grad!, [0]);
  });

  it('takes natural logarithms', () => {
    assertClose(log(f64([1, Math.E, 10])), [0, 1, Math.log(10)]);
    assertClose(f64([0, -1]).log(), [-Infinity, NaN]);
    const li = log(i32([1, 4]));
    assert.equal(li.dtype, 'float32');
    assertClose(li, [0, Math.log(4)]);
    checkGrad(log, [ramp([2, 3], 0.1, 3)]);
    checkGrad((x) => log(x.t()), [ramp([2, 3], 0.1, 3)]);
    checkGradGrad(log, [ramp([4], 0.5, 3)]);
  });
});
