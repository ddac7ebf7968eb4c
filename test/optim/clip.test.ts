import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Tensor } from '../../src/index.js';
import { AutogradError, DTypeError, IndexError, optim, tensor } from '../../src/index.js';
import { assertClose, assertThrowsMatch, checkGrad, forEachBackend, ramp } from '../helpers.js';

/** Two parameters with gradients [3, 4] and [[12]] (joint 2-norm 13), and one without a gradient. */
function params(): Tensor[] {
  const a = tensor([1, 1], { dtype: 'float64', requiresGrad: true });
  const b = tensor([[1]], { dtype: 'float64', requiresGrad: true });
  const c = tensor([5], { dtype: 'float64', requiresGrad: true });
  a.grad = tensor([3, 4], { dtype: 'float64' });
  b.grad = tensor([[12]], { dtype: 'float64' });
  return [a, b, c];
}

forEachBackend('gradient clipping', () => {
  it('clipGradNorm scales all gradients by maxNorm / (total + 1e-6) and returns the total', () => {
    const [a, b, c] = params();
    const total = optim.clipGradNorm([a, b, c], 6.5);
    assertClose(total, 13, { shape: [] });
    const coef = 6.5 / (13 + 1e-6);
    assertClose(a.grad!, [3 * coef, 4 * coef]);
    assertClose(b.grad!, [[12 * coef]]);
    assert.equal(c.grad, null);
  });

  it('clipGradNorm supports the 1-, p- and max-norms and leaves small gradients alone', () => {
    let [a, b] = params();
    assertClose(optim.clipGradNorm([a, b], 100, 1), 19, { shape: [] });
    assertClose(a.grad!, [3, 4]);
    [a, b] = params();
    assertClose(optim.clipGradNorm([a, b], 6, Infinity), 12, { shape: [] });
    assertClose(b.grad!, [[(12 * 6) / (12 + 1e-6)]]);
    [a, b] = params();
    const p3 = Math.cbrt(27 + 64 + 1728);
    assertClose(optim.clipGradNorm([a, b], 1, 3), p3, { shape: [] });
    assertClose(a.grad!, [3 / (p3 + 1e-6), 4 / (p3 + 1e-6)]);
    // A single tensor works too, and no gradients at all give a norm of 0.
    [a] = params();
    assertClose(optim.clipGradNorm(a, 10), 5, { shape: [] });
    assertClose(optim.clipGradNorm([tensor([1], { requiresGrad: true })], 1), 0, { shape: [] });
  });

  it('clipGradNorm keeps float32 gradients float32 and can refuse non-finite norms', () => {
    const a = tensor([1, 1], { requiresGrad: true });
    a.grad = tensor([3, 4]);
    const [, b] = params();
    optim.clipGradNorm([a, b], 1);
    assert.equal(a.grad.dtype, 'float32');
    assertClose(a.grad, [3 / (13 + 1e-6), 4 / (13 + 1e-6)], { atol: 1e-6 });
    a.grad = tensor([NaN, 1]);
    assertThrowsMatch(
      () => optim.clipGradNorm([a], 1, 2, { errorIfNonfinite: true }),
      AutogradError,
      /^clipGradNorm: the total norm of order 2 of the gradients is non-finite/,
    );
    assertThrowsMatch(
      () => optim.clipGradNorm([a], NaN),
      IndexError,
      /^clipGradNorm: maxNorm must be a number/,
    );
  });

  it('clipGradValue clamps every element', () => {
    const [a, b, c] = params();
    optim.clipGradValue([a, b, c], 3.5);
    assertClose(a.grad!, [3, 3.5]);
    assertClose(b.grad!, [[3.5]]);
    assert.equal(c.grad, null);
    assertThrowsMatch(
      () => optim.clipGradValue([a], 'x' as never),
      IndexError,
      /^clipGradValue: clipValue must be a number/,
    );
  });
});

forEachBackend('L1 and L2 penalties', () => {
  it('sum |w| and sum w² over all parameters', () => {
    const w = tensor([-1, 2], { dtype: 'float64', requiresGrad: true });
    const v = tensor([[3]], { dtype: 'float64', requiresGrad: true });
    assertClose(optim.l1Penalty([w, v]), 6, { shape: [] });
    assertClose(optim.l2Penalty([w, v]), 14, { shape: [] });
    optim
      .l2Penalty([w, v])
      .mul(0.5)
      .add(optim.l1Penalty([w]))
      .backward();
    assertClose(w.grad!, [-1 - 1, 2 + 1]);
    assertClose(v.grad!, [[3]]);
    assertClose(optim.l2Penalty([]), 0, { shape: [] });
    assertThrowsMatch(
      () => optim.l1Penalty([1 as never]),
      DTypeError,
      /^l1Penalty: parameter 0 is not a Tensor/,
    );
  });

  it('(λ/2)·l2Penalty matches SGD weightDecay λ', () => {
    const p1 = ramp([2, 3]);
    const p2 = ramp([2, 3]);
    const lam = 0.3;
    const o1 = new optim.SGD([p1], { lr: 0.1, weightDecay: lam });
    const o2 = new optim.SGD([p2], { lr: 0.1 });
    p1.sum().backward();
    p2.sum()
      .add(optim.l2Penalty([p2]).mul(lam / 2))
      .backward();
    o1.step();
    o2.step();
    assertClose(p1, p2, { atol: 1e-15 });
  });

  it('have exact gradients', () => {
    checkGrad((a, b) => optim.l1Penalty([a, b]), [ramp([2, 3]), ramp([4])]);
    checkGrad((a, b) => optim.l2Penalty([a, b]), [ramp([2, 3]), ramp([4])]);
  });
});
