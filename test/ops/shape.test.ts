import assert from 'node:assert/strict';
import { it } from 'node:test';
import {
  IndexError,
  ShapeError,
  arange,
  broadcastTo,
  expand,
  flatten,
  permute,
  reshape,
  scalar,
  squeeze,
  tensor,
  transpose,
  unsqueeze,
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

forEachBackend('reshape, view, flatten', () => {
  it('reshapes row-major, inferring one -1', () => {
    const x = arange(6);
    assert.deepEqual(reshape(x, [2, 3]).toArray(), [
      [0, 1, 2],
      [3, 4, 5],
    ]);
    assert.deepEqual(x.reshape([3, -1]).shape, [3, 2]);
    assert.deepEqual(x.view([-1, 1, 2]).shape, [3, 1, 2]);
    assert.deepEqual(scalar(4).reshape([1, 1]).toArray(), [[4]]);
    assert.deepEqual(tensor([[7]]).reshape([]).shape, []);
    assert.deepEqual(x.viewAs(zeros([6, 1])).shape, [6, 1]);
    assert.deepEqual(x.reshapeAs(zeros([1, 6])).shape, [1, 6]);
    assert.deepEqual(zeros([0, 3]).reshape([3, 0]).shape, [3, 0]);
  });

  it('reshapes a transposed tensor in its logical order', () => {
    const x = arange(6).reshape([2, 3]);
    assert.deepEqual(x.t().reshape([-1]).toArray(), [0, 3, 1, 4, 2, 5]);
  });

  it('rejects shapes that do not fit', () => {
    const x = zeros([2, 3]);
    assertThrowsMatch(
      () => reshape(x, [4, 2]),
      ShapeError,
      /reshape: shape \[4,2\] is invalid for input of size 6 \(shape \[2,3\]\)/,
    );
    assertThrowsMatch(() => x.reshape([-1, -1]), ShapeError, /reshape: only one dimension can be -1/);
    assertThrowsMatch(() => x.reshape([4, -1]), ShapeError, /reshape: shape \[4,-1\] is invalid/);
    assertThrowsMatch(() => x.view([2, -3]), ShapeError, /reshape: invalid size -3/);
    assertThrowsMatch(
      () => x.reshape(6 as never),
      ShapeError,
      /reshape: expected the shape\/dims as an array/,
    );
  });

  it('flattens a range of dims', () => {
    const x = zeros([2, 3, 4]);
    assert.deepEqual(flatten(x).shape, [24]);
    assert.deepEqual(x.flatten(1).shape, [2, 12]);
    assert.deepEqual(x.flatten(0, 1).shape, [6, 4]);
    assert.deepEqual(x.flatten(-2, -1).shape, [2, 12]);
    assert.deepEqual(scalar(1).flatten().shape, [1]);
    assertThrowsMatch(() => x.flatten(2, 1), IndexError, /flatten: startDim 2 cannot come after endDim 1/);
    assertThrowsMatch(() => x.flatten(0, 3), IndexError, /flatten: dim 3 is out of range \[-3, 2\]/);
  });

  it('has exact gradients, also for permuted inputs', () => {
    checkGrad((x) => reshape(x, [3, 2]), [ramp([2, 3])]);
    checkGrad((x) => x.t().reshape([-1]).mul(arange(6).double()), [ramp([2, 3])]);
    checkGrad((x) => x.permute([2, 0, 1]).flatten(1), [ramp([2, 2, 3])]);
    checkGradGrad((x) => x.t().view([6]).tanh(), [ramp([2, 3])]);
  });
});

forEachBackend('squeeze and unsqueeze', () => {
  it('removes size-1 dims', () => {
    const x = zeros([1, 2, 1]);
    assert.deepEqual(squeeze(x).shape, [2]);
    assert.deepEqual(x.squeeze(0).shape, [2, 1]);
    assert.deepEqual(x.squeeze(-1).shape, [1, 2]);
    // A dim that is not of size 1 is left alone, as in PyTorch.
    assert.deepEqual(x.squeeze(1).shape, [1, 2, 1]);
    assert.deepEqual(x.squeeze([0, 2]).shape, [2]);
    assert.deepEqual(
      tensor([[5]])
        .squeeze()
        .toArray(),
      5,
    );
    assertThrowsMatch(() => x.squeeze(3), IndexError, /squeeze: dim 3 is out of range/);
  });

  it('inserts a size-1 dim anywhere, including at the end', () => {
    const x = tensor([1, 2, 3]);
    assert.deepEqual(unsqueeze(x, 0).toArray(), [[1, 2, 3]]);
    assert.deepEqual(x.unsqueeze(1).toArray(), [[1], [2], [3]]);
    assert.deepEqual(x.unsqueeze(-1).shape, [3, 1]);
    assert.deepEqual(x.unsqueeze(-2).shape, [1, 3]);
    assert.deepEqual(scalar(1).unsqueeze(0).shape, [1]);
    assertThrowsMatch(() => x.unsqueeze(2), IndexError, /unsqueeze: dim 2 is out of range \[-2, 1\]/);
  });

  it('has exact gradients', () => {
    checkGrad((x) => squeeze(x, 1).unsqueeze(0), [ramp([2, 1, 3])]);
    checkGrad((x) => x.t().unsqueeze(1), [ramp([2, 3])]);
  });
});

forEachBackend('permute, transpose, t, mT', () => {
  const x = arange(24).reshape([2, 3, 4]);

  it('reorders dims', () => {
    const p = permute(x, [2, 0, 1]);
    assert.deepEqual(p.shape, [4, 2, 3]);
    // p[k][i][j] = x[i][j][k]
    assert.equal(p.index(3, 1, 2).item(), x.index(1, 2, 3).item());
    assert.deepEqual(x.permute([-1, -3, -2]).shape, [4, 2, 3]);
    assert.deepEqual(x.permute([0, 1, 2]).toArray(), x.toArray());
    assert.deepEqual(transpose(x, 0, 2).shape, [4, 3, 2]);
    assert.equal(x.transpose(-1, 0).index(1, 2, 0).item(), x.index(0, 2, 1).item());
    assert.deepEqual(scalar(3).transpose(0, -1).shape, []);
  });

  it('t, mT and T transpose matrices', () => {
    const m = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    assertClose(m.t(), [
      [1, 4],
      [2, 5],
      [3, 6],
    ]);
    assertClose(m.T, m.t());
    assertClose(tensor([1, 2]).t(), [1, 2]);
    assert.deepEqual(x.mT.shape, [2, 4, 3]);
    assert.equal(x.mT.index(1, 3, 2).item(), x.index(1, 2, 3).item());
  });

  it('names the problem with bad dims', () => {
    assertThrowsMatch(
      () => x.permute([0, 1]),
      ShapeError,
      /permute: dims \[0,1\] do not match the 3 dims of shape \[2,3,4\]/,
    );
    assertThrowsMatch(() => x.permute([0, 1, 1]), IndexError, /permute: dims \[0,1,1\] repeat a dim/);
    assertThrowsMatch(() => x.permute([0, 1, 3]), IndexError, /permute: dim 3 is out of range/);
    assertThrowsMatch(() => x.transpose(0, 3), IndexError, /transpose: dim 3 is out of range/);
    assertThrowsMatch(() => scalar(1).transpose(0, 1), IndexError, /transpose: dim 1 is out of range/);
    assertThrowsMatch(
      () => x.t(),
      ShapeError,
      /t: expects a tensor with at most 2 dims, got shape \[2,3,4\]/,
    );
    assertThrowsMatch(() => tensor([1]).mT, ShapeError, /mT: expects at least 2 dims, got shape \[1\]/);
  });

  it('has exact gradients to second order', () => {
    checkGrad((a) => permute(a, [1, 2, 0]), [ramp([2, 3, 2])]);
    checkGrad((a) => a.transpose(0, 1).mul(ramp([3, 2], 0, 1, false)), [ramp([2, 3])]);
    checkGrad((a) => a.mT, [ramp([2, 2, 3])]);
    checkGradGrad((a) => a.permute([1, 0]).mul(a.t()), [ramp([2, 3])]);
  });
});

forEachBackend('expand and broadcastTo', () => {
  it('broadcasts size-1 dims and adds leading dims', () => {
    const c = tensor([[1], [2], [3]]);
    assert.deepEqual(expand(c, [3, 2]).toArray(), [
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
    assert.deepEqual(c.expand([2, -1, 2]).shape, [2, 3, 2]);
    assert.deepEqual(scalar(5).expand([2]).toArray(), [5, 5]);
    assert.deepEqual(c.expandAs(zeros([3, 4])).shape, [3, 4]);
    assert.deepEqual(broadcastTo(tensor([1, 2]), [2, 2]).toArray(), [
      [1, 2],
      [1, 2],
    ]);
    assert.deepEqual(tensor([1, 2]).broadcastTo([3, 2]).shape, [3, 2]);
  });

  it('sums the gradient over broadcast dims', () => {
    checkGrad((a) => expand(a, [2, 3, 4]), [ramp([3, 1])]);
    checkGrad((a) => a.t().expand([2, 3, 2]), [ramp([2, 3])]);
    checkGrad((a) => broadcastTo(a, [3, 2]), [ramp([2])]);
    checkGradGrad((a) => a.expand([3, 2]).tanh(), [ramp([1, 2])]);
  });

  it('rejects shapes that cannot be reached', () => {
    const c = zeros([3, 1]);
    assertThrowsMatch(
      () => c.expand([2, 2]),
      ShapeError,
      /expand: the size 3 of dim 0 \(shape \[3,1\]\) must match 2 in \[2,2\], or be 1/,
    );
    assertThrowsMatch(
      () => c.expand([2]),
      ShapeError,
      /expand: the shape \[2\] has fewer dims than .*\[3,1\]/,
    );
    assertThrowsMatch(
      () => c.expand([-1, 3, 1]),
      ShapeError,
      /expand: -1 is not allowed in a new leading dim/,
    );
    assertThrowsMatch(() => broadcastTo(c, [3, 2, 2]), ShapeError, /broadcastTo: .*\[3,1\].*\[3,2,2\]/);
    assertThrowsMatch(
      () => broadcastTo(c, [1, 2]),
      ShapeError,
      /broadcastTo: cannot broadcast shape \[3,1\] to \[1,2\]/,
    );
  });
});
