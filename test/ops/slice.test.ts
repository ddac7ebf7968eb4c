import assert from 'node:assert/strict';
import { it } from 'node:test';
import {
  IndexError,
  ShapeError,
  arange,
  flip,
  index,
  narrow,
  scalar,
  select,
  slice,
  tensor,
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

forEachBackend('narrow, slice, select', () => {
  const v = arange(10);
  const m = arange(12).reshape([3, 4]);

  it('narrows a dim, with negative starts', () => {
    assert.deepEqual(narrow(v, 0, 2, 3).toArray(), [2, 3, 4]);
    assert.deepEqual(v.narrow(0, -3, 2).toArray(), [7, 8]);
    assert.deepEqual(m.narrow(1, 1, 2).toArray(), [
      [1, 2],
      [5, 6],
      [9, 10],
    ]);
    assert.deepEqual(m.narrow(-2, 2, 0).shape, [0, 4]);
  });

  it('slices with steps, negative bounds and Python clamping', () => {
    assert.deepEqual(slice(v, 0, 1, 8, 3).toArray(), [1, 4, 7]);
    assert.deepEqual(v.slice(0, -3).toArray(), [7, 8, 9]);
    assert.deepEqual(v.slice(0, null, -7).toArray(), [0, 1, 2]);
    assert.deepEqual(v.slice(0, 5, 100).toArray(), [5, 6, 7, 8, 9]);
    assert.deepEqual(v.slice(0, -100, 2).toArray(), [0, 1]);
    assert.deepEqual(v.slice(0, 6, 2).shape, [0]);
    assert.deepEqual(v.slice(0, undefined, undefined, 4).toArray(), [0, 4, 8]);
    assert.deepEqual(m.slice(1, 1, null, 2).toArray(), [
      [1, 3],
      [5, 7],
      [9, 11],
    ]);
  });

  it('selects one position and drops the dim', () => {
    assert.deepEqual(select(m, 0, 1).toArray(), [4, 5, 6, 7]);
    assert.deepEqual(m.select(1, -1).toArray(), [3, 7, 11]);
    assert.equal(v.select(0, 4).item(), 4);
    assert.deepEqual(v.select(0, 4).shape, []);
  });

  it('has exact gradients, also for permuted inputs', () => {
    checkGrad((x) => narrow(x, 1, 1, 2), [ramp([2, 4])]);
    checkGrad((x) => x.t().narrow(0, 1, 2), [ramp([2, 4])]);
    checkGrad((x) => slice(x, 0, 1, null, 2), [ramp([6, 2])]);
    checkGrad((x) => x.t().slice(1, -2, null, 1), [ramp([3, 2])]);
    checkGrad((x) => select(x, 1, 2), [ramp([2, 3])]);
    checkGrad((x) => x.permute([1, 0, 2]).select(0, 1), [ramp([2, 3, 2])]);
    checkGradGrad((x) => x.slice(0, 0, null, 2).mul(x.slice(0, 1, null, 2)), [ramp([4, 2])]);
  });

  it('names the problem on out-of-range dims and indices', () => {
    assertThrowsMatch(
      () => narrow(v, 0, 8, 3),
      IndexError,
      /narrow: start 8 and length 3 are out of range for dim 0 of size 10 \(shape \[10\]\)/,
    );
    assertThrowsMatch(() => m.narrow(2, 0, 1), IndexError, /narrow: dim 2 is out of range \[-2, 1\]/);
    assertThrowsMatch(() => m.narrow(0, 0, -1), IndexError, /narrow: .*out of range/);
    assertThrowsMatch(() => scalar(1).narrow(0, 0, 1), IndexError, /narrow: .*0-d tensor/);
    assertThrowsMatch(() => v.slice(0, 0, 5, 0), IndexError, /slice: step must be a positive integer, got 0/);
    assertThrowsMatch(() => v.slice(0, 0, 5, -1), IndexError, /slice: step .*use flip/);
    assertThrowsMatch(() => v.slice(1), IndexError, /slice: dim 1 is out of range/);
    assertThrowsMatch(() => scalar(1).slice(0), IndexError, /slice: .*0-d tensor/);
    assertThrowsMatch(
      () => m.select(0, 3),
      IndexError,
      /select: index 3 is out of range for dim 0 of size 3 \(shape \[3,4\]\)/,
    );
    assertThrowsMatch(() => m.select(1, -5), IndexError, /select: index -5 is out of range/);
    assertThrowsMatch(() => m.select(-3, 0), IndexError, /select: dim -3 is out of range/);
    assertThrowsMatch(() => scalar(1).select(0, 0), IndexError, /select: .*0-d tensor/);
  });
});

forEachBackend('flip', () => {
  it('reverses the given dims', () => {
    const m = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    assertClose(flip(tensor([1, 2, 3]), [0]), [3, 2, 1]);
    assertClose(m.flip([0]), [
      [4, 5, 6],
      [1, 2, 3],
    ]);
    assertClose(m.flip([-1]), [
      [3, 2, 1],
      [6, 5, 4],
    ]);
    assertClose(m.flip([0, 1]), [
      [6, 5, 4],
      [3, 2, 1],
    ]);
    assertClose(m.flip([]), m);
    assert.deepEqual(zeros([0, 2]).flip([0]).shape, [0, 2]);
  });

  it('has exact gradients and rejects bad dims', () => {
    checkGrad((x) => flip(x, [1]), [ramp([2, 3])]);
    checkGrad((x) => x.t().flip([0, 1]), [ramp([2, 3])]);
    checkGradGrad((x) => x.flip([0]).mul(x), [ramp([3])]);
    assertThrowsMatch(() => flip(zeros([2]), 0 as never), ShapeError, /flip: expected dims as an array/);
    assertThrowsMatch(
      () => zeros([2, 2]).flip([0, -2]),
      IndexError,
      /flip: dim \[0,-2\] contains a repeated dim/,
    );
    assertThrowsMatch(() => zeros([2, 2]).flip([2]), IndexError, /flip: dim 2 is out of range/);
  });
});

forEachBackend('index', () => {
  const x = arange(24).reshape([2, 3, 4]);

  it('combines numbers, slices and an ellipsis like x[...] in PyTorch', () => {
    // x[0, 1:3]
    assert.deepEqual(index(x, 0, '1:3').toArray(), [
      [4, 5, 6, 7],
      [8, 9, 10, 11],
    ]);
    // x[:, ::2, -1]
    assert.deepEqual(x.index(':', '::2', -1).toArray(), [
      [3, 11],
      [15, 23],
    ]);
    // x[..., 1]
    assert.deepEqual(x.index('...', 1).toArray(), [
      [1, 5, 9],
      [13, 17, 21],
    ]);
    // x[1, ..., 1:]
    assert.deepEqual(x.index(1, '...', '1:').shape, [3, 3]);
    // x[-1, -1, -1]
    assert.equal(x.index(-1, -1, -1).item(), 23);
    // x[0, 0:3:2] via the array form
    assert.deepEqual(x.index(0, [0, 3, 2]).shape, [2, 4]);
    assert.deepEqual(x.index(0, [null, null, 2], [1]).toArray(), [
      [1, 2, 3],
      [9, 10, 11],
    ]);
    assert.deepEqual(x.index().shape, [2, 3, 4]);
    assert.deepEqual(x.index(' 1 : ', '...').shape, [1, 3, 4]);
  });

  it('has exact gradients', () => {
    checkGrad((a) => index(a, 1, '::2'), [ramp([2, 3, 2])]);
    checkGrad((a) => a.t().index('...', '1:'), [ramp([3, 2])]);
    checkGradGrad((a) => a.index(':', -1).mul(a.index(':', 0)), [ramp([3, 2])]);
  });

  it('rejects bad index expressions', () => {
    assertThrowsMatch(() => x.index(0, 0, 0, 0), IndexError, /index: too many indices \(4\) .*\[2,3,4\]/);
    assertThrowsMatch(() => x.index('...', 0, '...'), IndexError, /index: only one '\.\.\.' is allowed/);
    assertThrowsMatch(() => x.index('a:b'), IndexError, /index: cannot parse slice 'a:b'/);
    assertThrowsMatch(() => x.index('1:2:3:4'), IndexError, /index: cannot parse slice/);
    assertThrowsMatch(() => x.index('1'), IndexError, /index: '1' is not a slice; pass a number/);
    assertThrowsMatch(() => x.index(2), IndexError, /select: index 2 is out of range for dim 0 of size 2/);
    assertThrowsMatch(() => x.index('::0'), IndexError, /slice: step must be a positive integer/);
  });
});
