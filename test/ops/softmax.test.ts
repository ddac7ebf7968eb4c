import assert from 'node:assert/strict';
import { it } from 'node:test';
import {
  DTypeError,
  IndexError,
  logSoftmax,
  logsumexp,
  norm,
  softmax,
  tensor,
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

const e = Math.E;

forEachBackend('softmax', () => {
  it('softmax and logSoftmax along a dim', () => {
    const x = tensor([
      [0, 1],
      [2, 2],
    ]);
    assertClose(softmax(x, 1), [
      [1 / (1 + e), e / (1 + e)],
      [0.5, 0.5],
    ]);
    assertClose(x.softmax(0), [
      [1 / (1 + e * e), 1 / (1 + e)],
      [(e * e) / (1 + e * e), e / (1 + e)],
    ]);
    assertClose(logSoftmax(x, -1), [
      [-Math.log(1 + e), 1 - Math.log(1 + e)],
      [-Math.log(2), -Math.log(2)],
    ]);
  });

  it('is numerically stable for large inputs', () => {
    const x = tensor([[1000, -1000, 0]], { dtype: 'float64' });
    assertClose(x.softmax(1), [[1, 0, 0]]);
    assertClose(x.logSoftmax(1), [[0, -2000, -1000]]);
    assertClose(tensor([1000, 1000]).softmax(0), [0.5, 0.5]);
    assertClose(tensor([-1000, -1000]).logSoftmax(0), [-Math.log(2), -Math.log(2)]);
  });

  it('handles -Infinity masks: masked entries get 0, a fully masked row is NaN as in PyTorch', () => {
    const x = tensor([
      [-Infinity, 0, -Infinity],
      [1, -Infinity, 1],
      [-Infinity, -Infinity, -Infinity],
    ]);
    assertClose(x.softmax(1), [
      [0, 1, 0],
      [0.5, 0, 0.5],
      [NaN, NaN, NaN],
    ]);
    assertClose(x.logSoftmax(1), [
      [-Infinity, 0, -Infinity],
      [-Math.log(2), -Infinity, -Math.log(2)],
      [NaN, NaN, NaN],
    ]);
    // Gradients stay finite for partially masked rows.
    const m = leaf([
      [-Infinity, 0.5, -1],
      [2, -Infinity, 1],
    ]);
    m.softmax(1)
      .mul(tensor([[1, 2, 3]], { dtype: 'float64' }))
      .sum()
      .backward();
    const g = Array.from(m.grad!.dataSync());
    assert.ok(
      g.every((v) => Number.isFinite(v)),
      `grad ${String(m.grad)}`,
    );
    assert.ok(g[0] === 0 && g[4] === 0, `grad ${String(m.grad)}`);
  });

  it('softmax and logSoftmax have exact gradients', () => {
    checkGrad((x) => x.softmax(1), [ramp([3, 4])]);
    checkGrad((x) => x.t().softmax(0), [ramp([3, 4])]);
    checkGrad((x) => x.logSoftmax(-1), [ramp([2, 3, 2])]);
    checkGrad((x) => x.t().logSoftmax(1), [ramp([3, 4], -3, 3)]);
    checkGradGrad((x) => x.softmax(1), [ramp([2, 3])]);
    checkGradGrad((x) => x.logSoftmax(0), [ramp([3, 2])]);
  });

  it('logsumexp over dims, stable for large and -Infinity inputs', () => {
    const x = tensor(
      [
        [0, Math.log(3)],
        [1000, 1000],
      ],
      { dtype: 'float64' },
    );
    assertClose(logsumexp(x, 1), [Math.log(4), 1000 + Math.log(2)]);
    assertClose(x.logsumexp(-1, true), [[Math.log(4)], [1000 + Math.log(2)]]);
    assertClose(x.logsumexp([0, 1]), 1000 + Math.log(2), { shape: [] });
    assertClose(tensor([-Infinity, -Infinity]).logsumexp(0), -Infinity, { shape: [] });
    assertClose(tensor([-Infinity, 0]).logsumexp(0), 0, { shape: [] });
    checkGrad((y) => y.logsumexp(1), [ramp([3, 4])]);
    checkGrad((y) => y.t().logsumexp([0, 1], true), [ramp([3, 4], -2, 2)]);
    checkGradGrad((y) => y.logsumexp(0), [ramp([3, 2])]);
  });

  it('needs floating input and a dim in range', () => {
    const i = tensor([1, 2], { dtype: 'int32' });
    assertThrowsMatch(() => i.softmax(0), DTypeError, /^softmax: .*int32/);
    assertThrowsMatch(() => i.logSoftmax(0), DTypeError, /^logSoftmax: .*int32/);
    assertThrowsMatch(() => i.logsumexp(0), DTypeError, /^logsumexp: .*int32/);
    assertThrowsMatch(() => i.norm(), DTypeError, /^norm: .*int32/);
    const x = zeros([2, 3]);
    assertThrowsMatch(() => x.softmax(2), IndexError, /^softmax: dim 2 is out of range/);
    assertThrowsMatch(() => x.logSoftmax(-3), IndexError, /^logSoftmax: dim -3 is out of range/);
    assertThrowsMatch(() => x.logsumexp([0, 2]), IndexError, /^logsumexp: dim 2 is out of range/);
    assertThrowsMatch(() => x.norm(2, 2), IndexError, /^norm: dim 2 is out of range/);
  });
});

forEachBackend('norm', () => {
  const x = () =>
    tensor([
      [3, -4],
      [0, 1],
    ]);

  it('p = 2 (default), fro, 1, Infinity, -Infinity, 3 and 0', () => {
    assertClose(norm(x()), Math.sqrt(26), { shape: [] });
    assertClose(x().norm('fro'), Math.sqrt(26), { shape: [] });
    assertClose(x().norm(2, 1), [5, 1]);
    assertClose(x().norm(1, 0), [3, 5]);
    assertClose(x().norm(Infinity, 1, true), [[4], [1]]);
    assertClose(x().norm(-Infinity, 1), [3, 0]);
    assertClose(x().norm(3, -1), [Math.cbrt(91), 1]);
    assertClose(x().norm(0), 3, { shape: [] });
    assertClose(x().norm(2, [0, 1], true), [[Math.sqrt(26)]]);
  });

  it('has exact gradients for every order', () => {
    // An asymmetric range: no zeros and no ties in |x|, where the Infinity-norm has kinks.
    for (const p of [2, 'fro', 1, Infinity, 3, 1.5, 0.5] as const) {
      checkGrad((y) => y.norm(p, 1), [ramp([3, 4], -1, 2.5)]);
      checkGrad((y) => y.t().norm(p), [ramp([3, 4], -1, 2.5)]);
    }
    checkGrad((y) => y.norm(2, [0, 2], true), [ramp([2, 3, 2])]);
    checkGradGrad((y) => y.norm(2, 1), [ramp([2, 3])]);
    checkGradGrad((y) => y.norm(3, 0), [ramp([3, 2])]);
  });

  it('has gradient 0 at the zero vector, as in PyTorch', () => {
    for (const p of [2, 'fro', 1, Infinity, 3, 1.5, 0.5] as const) {
      const z = leaf([
        [0, 0, 0],
        [1, 0, -2],
      ]);
      z.norm(p, 1).sum().backward();
      const g = Array.from(z.grad!.dataSync());
      assert.deepEqual(g.slice(0, 3), [0, 0, 0], `p = ${p}: ${String(z.grad)}`);
      assert.ok(
        g.every((v) => Number.isFinite(v)),
        `p = ${p}: ${String(z.grad)}`,
      );
    }
  });

  it('rejects an unsupported order', () => {
    assertThrowsMatch(() => x().norm(NaN), IndexError, /^norm: unsupported order/);
    assertThrowsMatch(() => x().norm('nuc' as never), IndexError, /^norm: unsupported order p = nuc/);
  });
});
