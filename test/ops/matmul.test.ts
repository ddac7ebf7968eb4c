import assert from 'node:assert/strict';
import { it } from 'node:test';
import { ShapeError, DTypeError, matmul, tensor, zeros } from '../../src/index.js';
import {
  assertClose,
  assertThrowsMatch,
  checkGrad,
  checkGradGrad,
  forEachBackend,
  ramp,
} from '../helpers.js';

forEachBackend('matmul', () => {
  it('multiplies matrices', () => {
    const a = tensor([
      [1, 2],
      [3, 4],
    ]);
    const b = tensor([
      [5, 6],
      [7, 8],
    ]);
    assertClose(matmul(a, b), [
      [19, 22],
      [43, 50],
    ]);
  });

  it('handles vectors like PyTorch', () => {
    const v = tensor([1, 2, 3]);
    const m = tensor([
      [1, 0],
      [0, 1],
      [1, 1],
    ]);
    assertClose(v.matmul(v), 14, { shape: [] });
    assertClose(v.matmul(m), [4, 5]);
    assertClose(m.t().matmul(v), [4, 5]);
  });

  it('broadcasts batch dims', () => {
    const a = ramp([2, 1, 3, 4], -1, 1, false);
    const b = ramp([3, 4, 2], -1, 1, false);
    const c = matmul(a, b);
    assert.deepEqual(c.shape, [2, 3, 3, 2]);
    // Check one batch entry against a plain 2-D product.
    assertClose(c.select(0, 1).select(0, 2), matmul(a.select(0, 1).select(0, 0), b.select(0, 2)));
  });

  it('has exact gradients, also for transposed and broadcast operands', () => {
    checkGrad((a, b) => matmul(a, b), [ramp([3, 4]), ramp([4, 2])]);
    checkGrad((a, b) => matmul(a.t(), b.transpose(0, 1)), [ramp([4, 3]), ramp([2, 4])]);
    checkGrad((a, b) => matmul(a, b), [ramp([2, 1, 2, 3]), ramp([3, 3, 2])]);
    checkGrad((a, b) => matmul(a, b), [ramp([3]), ramp([3, 2])]);
    checkGrad((a, b) => matmul(a, b), [ramp([2, 3]), ramp([3])]);
    checkGradGrad((a, b) => matmul(a, b).tanh(), [ramp([2, 3]), ramp([3, 2])]);
  });

  it('names the op and shapes on bad input', () => {
    assertThrowsMatch(
      () => matmul(zeros([2, 3]), zeros([4, 5])),
      ShapeError,
      /matmul: shapes \[2,3\] and \[4,5\] do not match \(3 vs 4\)/,
    );
    assertThrowsMatch(
      () => matmul(zeros([2, 3]), zeros([3, 2], { dtype: 'float64' })),
      DTypeError,
      /matmul: dtypes float32 and float64/,
    );
    assertThrowsMatch(
      () => matmul(zeros([2, 2, 3]), zeros([3, 3, 1])),
      ShapeError,
      /matmul: .*cannot be broadcast/,
    );
  });
});
