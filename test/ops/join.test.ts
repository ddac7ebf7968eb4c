import assert from 'node:assert/strict';
import { it } from 'node:test';
import {
  DTypeError,
  IndexError,
  ShapeError,
  arange,
  cat,
  chunk,
  maskedFill,
  pad,
  repeat,
  scalar,
  split,
  stack,
  tensor,
  tril,
  triu,
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

forEachBackend('cat and stack', () => {
  const a = tensor([
    [1, 2],
    [3, 4],
  ]);
  const b = tensor([[5, 6]]);

  it('concatenates along a dim', () => {
    assertClose(cat([a, b]), [
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    const c = tensor([[7], [8]]);
    assertClose(cat([a, c, a], 1), [
      [1, 2, 7, 1, 2],
      [3, 4, 8, 3, 4],
    ]);
    assertClose(cat([a, c], -1), [
      [1, 2, 7],
      [3, 4, 8],
    ]);
    // A lone tensor gives a copy with its values.
    assertClose(cat([b]), [[5, 6]]);
  });

  it('promotes dtypes like PyTorch and skips legacy empty 1-d tensors', () => {
    const i = tensor([[9, 9]], { dtype: 'int32' });
    const out = cat([a, i]);
    assert.equal(out.dtype, 'float32');
    assertClose(out, [
      [1, 2],
      [3, 4],
      [9, 9],
    ]);
    const m = cat([tensor([true, false]), tensor([3], { dtype: 'int32' })]);
    assert.equal(m.dtype, 'int32');
    assert.deepEqual(m.toArray(), [1, 0, 3]);
    const empty = zeros([0]);
    assertClose(cat([empty, a, empty]), a);
    assert.deepEqual(cat([empty, empty]).shape, [0]);
  });

  it('has exact gradients, also for transposed inputs and mixed dtypes', () => {
    checkGrad((x, y, z) => cat([x, y, z], 1), [ramp([2, 3]), ramp([2, 1]), ramp([2, 2])]);
    checkGrad((x, y) => cat([x.t(), y], 0), [ramp([3, 2]), ramp([1, 3])]);
    checkGrad((x) => cat([x, tensor([[1, 2, 3]], { dtype: 'int32' })], 0), [ramp([2, 3])]);
    checkGrad((x) => cat([x, x.mul(2)], -1), [ramp([2, 2])]);
    checkGradGrad((x, y) => cat([x, y]).tanh(), [ramp([2, 2]), ramp([1, 2])]);
  });

  it('gives only the part of the gradient each input made', () => {
    const x = leaf([1, 2]);
    const y = leaf([3, 4, 5]);
    cat([x, y])
      .mul(tensor([1, 2, 3, 4, 5], { dtype: 'float64' }))
      .sum()
      .backward();
    assertClose(x.grad!, [1, 2]);
    assertClose(y.grad!, [3, 4, 5]);
  });

  it('names the shapes when cat sizes do not match', () => {
    assertThrowsMatch(
      () => cat([a, zeros([3, 3])]),
      ShapeError,
      /cat: sizes must match except in dim 0, got shapes \[2,2\] \(entry 0\) and \[3,3\] \(entry 1\)/,
    );
    assertThrowsMatch(() => cat([a, zeros([2, 2, 1])], 2), IndexError, /cat: dim 2 is out of range/);
    assertThrowsMatch(() => cat([a, zeros([2])]), ShapeError, /cat: .*\[2,2\].*\[2\]/);
    assertThrowsMatch(() => cat([scalar(1)]), ShapeError, /cat: zero-dimensional tensor \(at position 0\)/);
    assertThrowsMatch(() => cat([]), ShapeError, /cat: expects a non-empty array/);
  });

  it('stacks along a new dim', () => {
    const x = tensor([1, 2, 3]);
    const y = tensor([4, 5, 6]);
    assertClose(stack([x, y]), [
      [1, 2, 3],
      [4, 5, 6],
    ]);
    assertClose(stack([x, y], 1), [
      [1, 4],
      [2, 5],
      [3, 6],
    ]);
    assertClose(stack([x, y], -1), stack([x, y], 1));
    assert.deepEqual(stack([a, a, a], 2).shape, [2, 2, 3]);
    assertClose(stack([scalar(1), scalar(2)]), [1, 2]);
  });

  it('stack has exact gradients and checks shapes', () => {
    checkGrad((x, y) => stack([x, y], 1), [ramp([2, 3]), ramp([2, 3])]);
    checkGrad((x, y) => stack([x.t(), y], -1), [ramp([3, 2]), ramp([2, 3])]);
    assertThrowsMatch(
      () => stack([zeros([2, 3]), zeros([2, 4])]),
      ShapeError,
      /stack: expects each tensor to be equal size, but got \[2,3\] at entry 0 and \[2,4\] at entry 1/,
    );
    assertThrowsMatch(() => stack([a, a], 3), IndexError, /stack: dim 3 is out of range/);
  });
});

forEachBackend('split and chunk', () => {
  it('splits by a chunk size (the last may be smaller) or by sizes', () => {
    const x = arange(7);
    assert.deepEqual(
      split(x, 3).map((t) => t.toArray()),
      [[0, 1, 2], [3, 4, 5], [6]],
    );
    assert.deepEqual(
      x.split([2, 0, 5]).map((t) => t.toArray()),
      [[0, 1], [], [2, 3, 4, 5, 6]],
    );
    const m = arange(12).reshape([3, 4]);
    const parts = m.split(3, 1);
    assert.deepEqual(
      parts.map((t) => t.shape),
      [
        [3, 3],
        [3, 1],
      ],
    );
    assert.deepEqual(parts[1].toArray(), [[3], [7], [11]]);
    assert.deepEqual(
      m.split([1, 2], -2).map((t) => t.shape),
      [
        [1, 4],
        [2, 4],
      ],
    );
    assert.equal(split(zeros([0, 2]), 2).length, 1);
  });

  it('chunks like PyTorch, possibly into fewer pieces', () => {
    assert.deepEqual(
      chunk(arange(5), 3).map((t) => t.toArray()),
      [[0, 1], [2, 3], [4]],
    );
    // ceil(6 / 4) = 2, so only 3 chunks come back.
    assert.deepEqual(
      arange(6)
        .chunk(4)
        .map((t) => t.toArray()),
      [
        [0, 1],
        [2, 3],
        [4, 5],
      ],
    );
    assert.equal(chunk(arange(2), 5).length, 2);
    assert.deepEqual(
      chunk(zeros([2, 0]), 3, 1).map((t) => t.shape),
      [
        [2, 0],
        [2, 0],
        [2, 0],
      ],
    );
  });

  it('has exact gradients through the pieces', () => {
    checkGrad((x) => split(x, 2, 1), [ramp([2, 5])]);
    checkGrad((x) => x.t().split([1, 3]), [ramp([2, 4])]);
    checkGrad((x) => chunk(x, 2, 0)[1].mul(3), [ramp([5, 2])]);
    checkGradGrad((x) => split(x, [1, 2]).map((p) => p.tanh()), [ramp([3, 2])]);
  });

  it('rejects bad sizes', () => {
    const x = zeros([3, 2]);
    assertThrowsMatch(
      () => split(x, [1, 1]),
      ShapeError,
      /split: split sizes \[1,1\] sum to 2, but dim 0 has size 3 \(shape \[3,2\]\)/,
    );
    assertThrowsMatch(() => split(x, 0), IndexError, /split: split size can only be 0/);
    assertThrowsMatch(() => split(x, -1), IndexError, /split: split size must be a non-negative integer/);
    assertThrowsMatch(() => split(x, 1, 2), IndexError, /split: dim 2 is out of range/);
    assertThrowsMatch(() => split(scalar(1), 1), ShapeError, /split: expects at least a 1-dimensional/);
    assertThrowsMatch(() => chunk(x, 0), IndexError, /chunk: chunks must be a positive integer, got 0/);
    assertThrowsMatch(() => chunk(x, 2, -3), IndexError, /chunk: dim -3 is out of range/);
  });
});

forEachBackend('pad', () => {
  it('pads with a constant, last dim first', () => {
    assertClose(pad(tensor([1, 2, 3]), [1, 2]), [0, 1, 2, 3, 0, 0]);
    const m = tensor([
      [1, 2],
      [3, 4],
    ]);
    assertClose(pad(m, [1, 0, 0, 1], 'constant', 9), [
      [9, 1, 2],
      [9, 3, 4],
      [9, 9, 9],
    ]);
    const i = pad(tensor([5, 6], { dtype: 'int32' }), [1, 1], 'constant', 7);
    assert.equal(i.dtype, 'int32');
    assert.deepEqual(i.toArray(), [7, 5, 6, 7]);
    assertClose(pad(m, []), m);
  });

  it('crops with negative padding', () => {
    const x = arange(12).reshape([3, 4]);
    assert.deepEqual(pad(x, [-1, 1, 0, -2]).toArray(), [[1, 2, 3, 0]]);
    assert.deepEqual(pad(x, [0, -4]).shape, [3, 0]);
  });

  it('reflects, replicates and wraps around like PyTorch', () => {
    assertClose(pad(arange(4).float().reshape([1, 4]), [2, 2], 'reflect'), [[2, 1, 0, 1, 2, 3, 2, 1]]);
    assertClose(pad(arange(3).float(), [2, 1], 'replicate'), [0, 0, 0, 1, 2, 2]);
    assertClose(pad(arange(3).float(), [1, 2], 'circular'), [2, 0, 1, 2, 0, 1]);
    // Negative amounts crop; circular wraps around the cropped part.
    assertClose(pad(arange(3).float(), [-1, 2], 'circular'), [1, 2, 1, 2]);
    assertClose(pad(arange(3).float(), [-1, 1], 'reflect'), [1, 2, 1]);
    assertClose(pad(arange(9).float().reshape([1, 3, 3]), [1, 1, 1, 1], 'reflect'), [
      [
        [4, 3, 4, 5, 4],
        [1, 0, 1, 2, 1],
        [4, 3, 4, 5, 4],
        [7, 6, 7, 8, 7],
        [4, 3, 4, 5, 4],
      ],
    ]);
  });

  it('has exact gradients in every mode', () => {
    checkGrad((x) => pad(x, [1, 2, 2, 0]), [ramp([2, 3])]);
    checkGrad((x) => pad(x.t(), [-1, 1, 1, -1], 'constant', 0.5), [ramp([3, 3])]);
    checkGrad((x) => pad(x, [2, 1], 'reflect'), [ramp([2, 4])]);
    checkGrad((x) => pad(x, [1, 1, 2, 1], 'replicate'), [ramp([2, 2, 3])]);
    checkGrad((x) => pad(x, [2, -1], 'circular'), [ramp([2, 3])]);
    checkGradGrad((x) => pad(x, [1, 1], 'constant', 2).tanh(), [ramp([2, 2])]);
    checkGradGrad((x) => pad(x, [1, 1], 'reflect').tanh(), [ramp([2, 3])]);
  });

  it('rejects bad padding', () => {
    const x = zeros([2, 3]);
    assertThrowsMatch(() => pad(x, [1]), ShapeError, /pad: padding \[1\] must have an even length/);
    assertThrowsMatch(() => pad(x, [1, 1, 1, 1, 1, 1]), ShapeError, /pad: .*shape \[2,3\]/);
    assertThrowsMatch(
      () => pad(x, [-2, -2]),
      ShapeError,
      /pad: the size 3 of dim 1 with padding \(-2, -2\) gives a negative size -1/,
    );
    assertThrowsMatch(
      () => pad(x, [3, 0], 'reflect'),
      ShapeError,
      /pad: padding \(3, 0\) of dim 1 .*'reflect'/,
    );
    assertThrowsMatch(() => pad(x, [4, 0], 'circular'), ShapeError, /pad: .*wraps around more than once/);
    assertThrowsMatch(() => pad(x, [1, 1], 'reflect', 2), IndexError, /pad: mode 'reflect' does not take/);
    assertThrowsMatch(() => pad(x, [1, 1], 'wrap' as never), IndexError, /pad: unknown mode 'wrap'/);
  });
});

forEachBackend('repeat, tril, triu', () => {
  it('repeats like torch.Tensor.repeat', () => {
    const x = tensor([1, 2, 3]);
    assertClose(repeat(x, [2]), [1, 2, 3, 1, 2, 3]);
    assertClose(x.repeat([2, 2]), [
      [1, 2, 3, 1, 2, 3],
      [1, 2, 3, 1, 2, 3],
    ]);
    const m = tensor([
      [1, 2],
      [3, 4],
    ]);
    const r = m.repeat([2, 1, 2]);
    assert.deepEqual(r.shape, [2, 2, 4]);
    assertClose(r.select(1, 1), [
      [3, 4, 3, 4],
      [3, 4, 3, 4],
    ]);
    assert.deepEqual(m.repeat([0, 3]).shape, [0, 6]);
    assertThrowsMatch(
      () => m.repeat([2]),
      ShapeError,
      /repeat: the 1 repeats \[2\] are fewer than the 2 dims/,
    );
    assertThrowsMatch(() => m.repeat([2, -1]), IndexError, /repeat: repeats must be non-negative/);
  });

  it('repeat has exact gradients', () => {
    checkGrad((x) => repeat(x, [2, 1, 3]), [ramp([2, 3])]);
    checkGrad((x) => x.t().repeat([2, 2]), [ramp([2, 3])]);
    checkGradGrad((x) => x.repeat([3]).tanh(), [ramp([2])]);
  });

  it('keeps a triangle of the last two dims', () => {
    const x = arange(1, 13).float().reshape([3, 4]);
    assertClose(tril(x), [
      [1, 0, 0, 0],
      [5, 6, 0, 0],
      [9, 10, 11, 0],
    ]);
    assertClose(x.tril(1), [
      [1, 2, 0, 0],
      [5, 6, 7, 0],
      [9, 10, 11, 12],
    ]);
    assertClose(triu(x), [
      [1, 2, 3, 4],
      [0, 6, 7, 8],
      [0, 0, 11, 12],
    ]);
    assertClose(x.triu(-1), [
      [1, 2, 3, 4],
      [5, 6, 7, 8],
      [0, 10, 11, 12],
    ]);
    const b = arange(8).reshape([2, 2, 2]);
    assert.equal(b.tril().dtype, 'int32');
    assert.deepEqual(b.tril().toArray(), [
      [
        [0, 0],
        [2, 3],
      ],
      [
        [4, 0],
        [6, 7],
      ],
    ]);
    assert.deepEqual(
      tensor([[true, true]])
        .triu(1)
        .toArray(),
      [[false, true]],
    );
  });

  it('tril and triu have exact gradients and need 2 dims', () => {
    checkGrad((x) => tril(x, -1), [ramp([2, 3, 3])]);
    checkGrad((x) => triu(x.t(), 1), [ramp([4, 3])]);
    checkGradGrad((x) => tril(x).tanh(), [ramp([3, 3])]);
    assertThrowsMatch(
      () => tril(zeros([3])),
      ShapeError,
      /tril: input must have at least 2 dims, got shape \[3\]/,
    );
    assertThrowsMatch(() => triu(scalar(1)), ShapeError, /triu: .*shape \[\]/);
  });
});

forEachBackend('maskedFill', () => {
  const x = tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);

  it('fills where the broadcast mask is true', () => {
    assertClose(maskedFill(x, tensor([[true, false, true]]), -1), [
      [-1, 2, -1],
      [-1, 5, -1],
    ]);
    assertClose(x.maskedFill(x.gt(4), -Infinity), [
      [1, 2, 3],
      [4, -Infinity, -Infinity],
    ]);
    assertClose(x.maskedFill(tensor(true), scalar(0.5)), [
      [0.5, 0.5, 0.5],
      [0.5, 0.5, 0.5],
    ]);
    const i = tensor([1, 2], { dtype: 'int32' }).maskedFill(tensor([false, true]), 7);
    assert.equal(i.dtype, 'int32');
    assert.deepEqual(i.toArray(), [1, 7]);
    assert.deepEqual(
      tensor([true, false])
        .maskedFill(tensor([false, true]), true)
        .toArray(),
      [true, true],
    );
  });

  it('has exact gradients for the input and a 0-d tensor value', () => {
    const mask = tensor([
      [true, false, false],
      [false, true, true],
    ]);
    checkGrad((a, v) => maskedFill(a, mask, v), [ramp([2, 3]), leaf(0.25)]);
    checkGrad((a) => a.t().maskedFill(tensor([true, false]), 3), [ramp([2, 3])]);
    checkGradGrad((a, v) => maskedFill(a.tanh(), mask, v.mul(v)), [ramp([2, 3]), leaf(0.5)]);
    const v = leaf(2);
    maskedFill(ramp([2, 3]), mask, v)
      .sum()
      .backward();
    assertClose(v.grad!, 3, { shape: [] });
  });

  it('rejects bad masks and values', () => {
    assertThrowsMatch(
      () => maskedFill(x, tensor([1, 0, 1], { dtype: 'int32' }), 0),
      DTypeError,
      /maskedFill: mask must be a bool tensor, got dtype int32 \(shape \[3\]\)/,
    );
    assertThrowsMatch(
      () => maskedFill(x, zeros([3, 3]).gt(0), 0),
      ShapeError,
      /maskedFill: shapes \[2,3\] and \[3,3\] cannot be broadcast/,
    );
    assertThrowsMatch(
      () => maskedFill(x, zeros([2, 2, 3]).gt(0), 0),
      ShapeError,
      /maskedFill: mask of shape \[2,2,3\] cannot be broadcast to the input's shape \[2,3\]/,
    );
    assertThrowsMatch(
      () => maskedFill(x, x.gt(1), tensor([1, 2])),
      ShapeError,
      /maskedFill: value must be a number or a 0-d tensor, got shape \[2\]/,
    );
  });
});
