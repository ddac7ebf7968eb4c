import assert from 'node:assert/strict';
import { it } from 'node:test';
import {
  AutogradError,
  DTypeError,
  IndexError,
  ShapeError,
  arange,
  eye,
  full,
  linspace,
  ones,
  onesLike,
  scalar,
  tensor,
  zeros,
  zerosLike,
} from '../../src/index.js';
import { assertThrowsMatch, forEachBackend } from '../helpers.js';

forEachBackend('tensor()', () => {
  it('infers shape and dtype from nested arrays', () => {
    const t = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    assert.deepEqual(t.shape, [2, 3]);
    assert.equal(t.dtype, 'float32');
    assert.equal(t.ndim, 2);
    assert.equal(t.numel(), 6);
    assert.equal(t.size(0), 2);
    assert.equal(t.size(-1), 3);
    assert.deepEqual(t.size(), [2, 3]);
    assert.deepEqual(t.toArray(), [
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const s = tensor(2.5);
    assert.deepEqual(s.shape, []);
    assert.equal(s.ndim, 0);
    assert.equal(s.item(), 2.5);
    assert.equal(s.toArray(), 2.5);
    assert.deepEqual(tensor([]).shape, [0]);
    assert.deepEqual(tensor([[], []]).shape, [2, 0]);
    assert.deepEqual(tensor([[[1], [2]]]).shape, [1, 2, 1]);
  });

  it('makes bool tensors from booleans, and numbers win over booleans', () => {
    const b = tensor([true, false]);
    assert.equal(b.dtype, 'bool');
    assert.deepEqual(b.toArray(), [true, false]);
    assert.equal(tensor(true).item(), true);
    const mixed = tensor([true, 2]);
    assert.equal(mixed.dtype, 'float32');
    assert.deepEqual(mixed.toArray(), [1, 2]);
    assert.equal(tensor([[false], [3]]).dtype, 'float32');
  });

  it('stores values as the dtype would', () => {
    assert.equal(tensor([0.1]).item(), Math.fround(0.1));
    assert.notEqual(tensor([0.1]).item(), 0.1);
    assert.equal(tensor([0.1], { dtype: 'float64' }).item(), 0.1);
    assert.deepEqual(tensor([1.7, -1.7, 3], { dtype: 'int32' }).toArray(), [1, -1, 3]);
    assert.deepEqual(tensor([0, 2, -0.5], { dtype: 'bool' }).toArray(), [false, true, true]);
    assert.deepEqual(tensor([true, false], { dtype: 'float64' }).toArray(), [1, 0]);
    assert.ok(tensor([1], { dtype: 'float32' }).dataSync() instanceof Float32Array);
    assert.ok(tensor([1], { dtype: 'float64' }).dataSync() instanceof Float64Array);
    assert.ok(tensor([1], { dtype: 'int32' }).dataSync() instanceof Int32Array);
    assert.ok(tensor([true]).dataSync() instanceof Uint8Array);
  });

  it('wraps typed arrays with their own dtype, or converts to the given one', () => {
    const f = tensor(new Float64Array([1, 2, 3, 4, 5, 6]), { shape: [2, 3] });
    assert.equal(f.dtype, 'float64');
    assert.deepEqual(f.shape, [2, 3]);
    assert.deepEqual(f.toArray(), [
      [1, 2, 3],
      [4, 5, 6],
    ]);
    assert.equal(tensor(new Int32Array([1, 2])).dtype, 'int32');
    assert.equal(tensor(new Float32Array([1, 2])).dtype, 'float32');
    const b = tensor(new Uint8Array([0, 3, 1]));
    assert.equal(b.dtype, 'bool');
    assert.deepEqual(Array.from(b.dataSync()), [0, 1, 1]);
    const i = tensor(new Float64Array([1.5, -2.5]), { dtype: 'int32' });
    assert.deepEqual(i.toArray(), [1, -2]);
    // The tensor owns a copy: later writes to the source do not show.
    const src = new Float32Array([1, 2]);
    const t = tensor(src);
    src[0] = 9;
    assert.deepEqual(t.toArray(), [1, 2]);
    assertThrowsMatch(
      () => tensor(new Float32Array(5), { shape: [2, 3] }),
      ShapeError,
      /^tensor: shape \[2,3\] does not hold 5 elements/,
    );
  });

  it('copies a tensor', () => {
    const a = tensor([1, 2]);
    const b = tensor(a, { dtype: 'float64' });
    assert.equal(b.dtype, 'float64');
    assert.notEqual(a.storage, b.storage);
    assert.deepEqual(b.toArray(), [1, 2]);
  });

  it('sets requiresGrad, only for floating dtypes', () => {
    const t = tensor([1, 2], { requiresGrad: true });
    assert.equal(t.requiresGrad, true);
    assert.equal(t.isLeaf, true);
    assert.equal(tensor([1]).requiresGrad, false);
    assertThrowsMatch(
      () => tensor([1], { dtype: 'int32', requiresGrad: true }),
      AutogradError,
      /^requiresGrad: .*int32/,
    );
  });

  it('rejects ragged arrays and non-numbers', () => {
    assertThrowsMatch(() => tensor([[1, 2], [3]]), ShapeError, /^tensor: ragged nested array/);
    assertThrowsMatch(() => tensor([1, [2]] as never), ShapeError, /^tensor: ragged nested array/);
    assertThrowsMatch(() => tensor([[1], 2] as never), ShapeError, /^tensor: ragged/);
    assertThrowsMatch(() => tensor(['a'] as never), DTypeError, /^tensor: elements must be numbers/);
    assertThrowsMatch(() => tensor([1], { dtype: 'int64' as never }), DTypeError, /unknown dtype 'int64'/);
  });

  it('item() needs exactly one element; size(dim) checks its range', () => {
    assert.equal(tensor([[7]]).item(), 7);
    assertThrowsMatch(
      () => tensor([1, 2]).item(),
      ShapeError,
      /^item: only a tensor with one element .*\[2\]/,
    );
    assertThrowsMatch(() => tensor([1, 2]).size(1), IndexError, /^size: dim 1 is out of range/);
  });

  it('reads asynchronously', async () => {
    const t = tensor(
      [
        [1, 2],
        [3, 4],
      ],
      { dtype: 'int32' },
    );
    const d = await t.data();
    assert.ok(d instanceof Int32Array);
    assert.deepEqual(Array.from(d), [1, 2, 3, 4]);
    assert.deepEqual(await t.toArrayAsync(), [
      [1, 2],
      [3, 4],
    ]);
    assert.equal(await tensor([5]).itemAsync(), 5);
    assert.equal(await tensor([false]).itemAsync(), false);
    await assert.rejects(() => t.itemAsync(), /itemAsync: only a tensor with one element/);
    // data() hands out a copy.
    d[0] = 99;
    assert.equal(t.toArray().toString(), '1,2,3,4');
  });
});

forEachBackend('factories', () => {
  it('zeros, ones, full and the *Like variants', () => {
    const z = zeros([2, 3]);
    assert.equal(z.dtype, 'float32');
    assert.deepEqual(z.shape, [2, 3]);
    assert.ok(Array.from(z.dataSync()).every((v) => v === 0));
    const o = ones([2], { dtype: 'int32' });
    assert.equal(o.dtype, 'int32');
    assert.deepEqual(o.toArray(), [1, 1]);
    assert.deepEqual(full([2, 2], 7).toArray(), [
      [7, 7],
      [7, 7],
    ]);
    assert.equal(full([1], true).dtype, 'bool');
    assert.deepEqual(full([2], 2.5, { dtype: 'int32' }).toArray(), [2, 2]);
    assert.deepEqual(zeros([]).shape, []);
    assert.equal(zeros([3, 0]).numel(), 0);
    assert.equal(ones([2], { requiresGrad: true }).requiresGrad, true);
    const src = tensor([[1, 2]], { dtype: 'float64' });
    const zl = zerosLike(src);
    assert.equal(zl.dtype, 'float64');
    assert.deepEqual(zl.toArray(), [[0, 0]]);
    const ol = onesLike(src, { dtype: 'int32' });
    assert.equal(ol.dtype, 'int32');
    assert.deepEqual(ol.toArray(), [[1, 1]]);
    assert.equal(scalar(3).ndim, 0);
    assertThrowsMatch(() => zeros([2, -1]), ShapeError, /^full: invalid shape \[2,-1\]/);
    assertThrowsMatch(() => ones([1.5]), ShapeError, /invalid shape/);
  });

  it('arange: int32 for integer arguments, float32 otherwise, negative steps', () => {
    const a = arange(5);
    assert.equal(a.dtype, 'int32');
    assert.deepEqual(a.toArray(), [0, 1, 2, 3, 4]);
    assert.deepEqual(arange(2, 5).toArray(), [2, 3, 4]);
    assert.deepEqual(arange(5, 0, -2).toArray(), [5, 3, 1]);
    const f = arange(0, 1, 0.25);
    assert.equal(f.dtype, 'float32');
    assert.deepEqual(f.toArray(), [0, 0.25, 0.5, 0.75]);
    assert.deepEqual(arange(1, 0, -0.5).toArray(), [1, 0.5]);
    assert.deepEqual(arange(2.5).toArray(), [0, 1, 2]);
    assert.equal(arange(0).numel(), 0);
    assert.equal(arange(3, { dtype: 'float64' }).dtype, 'float64');
    assert.deepEqual(arange(1, 3, { dtype: 'float64' }).toArray(), [1, 2]);
    assert.deepEqual(arange(0, 6, 2, { dtype: 'float64' }).toArray(), [0, 2, 4]);
    assert.equal(arange(3, { requiresGrad: true, dtype: 'float32' }).requiresGrad, true);
    assertThrowsMatch(() => arange(0, 5, 0), ShapeError, /^arange: step must be non-zero/);
    assertThrowsMatch(() => arange(0, 5, -1), ShapeError, /^arange: upper bound 5 and step -1/);
    assertThrowsMatch(() => arange(5, 0), ShapeError, /^arange: upper bound 0 and step 1/);
    assertThrowsMatch(() => arange(NaN), ShapeError, /^arange: start and end must be finite/);
    assertThrowsMatch(() => arange(0, Infinity), ShapeError, /^arange: start and end must be finite/);
  });

  it('linspace includes both ends', () => {
    assert.deepEqual(linspace(0, 1, 5).toArray(), [0, 0.25, 0.5, 0.75, 1]);
    assert.deepEqual(linspace(2, -2, 3).toArray(), [2, 0, -2]);
    // One step gives start, as in PyTorch.
    assert.deepEqual(linspace(0, 10, 1).toArray(), [0]);
    assert.equal(linspace(0, 1, 0).numel(), 0);
    const l = linspace(0, 0.3, 7, { dtype: 'float64' });
    assert.equal(l.dtype, 'float64');
    const v = l.dataSync();
    assert.equal(v[6], 0.3);
    assert.equal(v[0], 0);
    assertThrowsMatch(
      () => linspace(0, 1, -1),
      ShapeError,
      /^linspace: steps must be a non-negative integer/,
    );
    assertThrowsMatch(() => linspace(0, 1, 2.5), ShapeError, /^linspace: steps/);
  });

  it('eye: square, rectangular and with a dtype', () => {
    assert.deepEqual(eye(2).toArray(), [
      [1, 0],
      [0, 1],
    ]);
    assert.deepEqual(eye(2, 3).toArray(), [
      [1, 0, 0],
      [0, 1, 0],
    ]);
    assert.deepEqual(eye(3, 2).toArray(), [
      [1, 0],
      [0, 1],
      [0, 0],
    ]);
    const i = eye(2, { dtype: 'int32' });
    assert.equal(i.dtype, 'int32');
    assert.deepEqual(i.shape, [2, 2]);
    assert.equal(eye(2, 2, { dtype: 'bool' }).dtype, 'bool');
    assertThrowsMatch(() => eye(-1), ShapeError, /^eye: invalid shape/);
  });
});
