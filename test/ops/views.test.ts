import assert from 'node:assert/strict';
import { it } from 'node:test';
import { ShapeError, tensor, zeros } from '../../src/index.js';
import { assertClose, assertThrowsMatch, forEachBackend } from '../helpers.js';

forEachBackend('slicing results and in-place ops', () => {
  it('refuses in-place updates of select/narrow/transpose results, which are copies here', () => {
    const x = zeros([2, 3]);
    assertThrowsMatch(() => x.select(0, 0).fill_(5), ShapeError, /fill_: .*return copies in chainrule/);
    assertThrowsMatch(() => x.narrow(1, 0, 2).zero_(), ShapeError, /zero_/);
    assertThrowsMatch(() => x.t().add_(1), ShapeError, /add_/);
    assertThrowsMatch(() => x.index(0, '1:').mul_(2), ShapeError, /mul_/);
    assertClose(x, [
      [0, 0, 0],
      [0, 0, 0],
    ]);
  });

  it('allows them after clone(), and reshape results stay views that in-place ops update', () => {
    const x = zeros([2, 3]);
    const row = x.select(0, 1).clone().fill_(7);
    assertClose(row, [7, 7, 7]);
    const flat = x.reshape([6]);
    flat.fill_(1);
    assert.deepEqual(Array.from(x.dataSync()), [1, 1, 1, 1, 1, 1]);
    const y = tensor([1, 2, 3]);
    y.mul_(2);
    assertClose(y, [2, 4, 6]);
  });
});
