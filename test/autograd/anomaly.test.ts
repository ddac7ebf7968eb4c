import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { FunctionCtx, Tensor } from '../../src/index.js';
import {
  AnomalyError,
  customFunction,
  detectAnomaly,
  div,
  isAnomalyEnabled,
  logsumexp,
  maskedFill,
  softmax,
  tensor,
  where,
} from '../../src/index.js';
import { assertClose, assertThrowsMatch, forEachBackend, leaf } from '../helpers.js';

/** A function whose backward returns NaN although its gradient input is finite. */
const BadBackward = customFunction({
  name: 'nanBackward',
  forward: (_ctx: FunctionCtx, x: Tensor) => x.mul(2),
  backward: (_ctx: FunctionCtx, g: Tensor) => g.mul(0).div(0),
});

/** Runs fn with anomaly mode switched on globally, and always off again. */
function withGlobalAnomaly(fn: () => void): void {
  detectAnomaly(true);
  try {
    fn();
  } finally {
    detectAnomaly(false);
  }
}

forEachBackend('anomaly detection', () => {
  it('detectAnomaly(fn) switches the mode on for the scope of fn', () => {
    assert.equal(isAnomalyEnabled(), false);
    assert.equal(
      detectAnomaly(() => isAnomalyEnabled()),
      true,
    );
    assert.equal(isAnomalyEnabled(), false);
    assert.throws(() =>
      detectAnomaly(() => {
        throw new Error('boom');
      }),
    );
    assert.equal(isAnomalyEnabled(), false);
    withGlobalAnomaly(() => assert.equal(isAnomalyEnabled(), true));
    assert.equal(isAnomalyEnabled(), false);
  });

  it('a forward that makes NaN or Inf from finite inputs throws, naming the op', () => {
    const x = leaf([1, -1]);
    assertThrowsMatch(
      () => detectAnomaly(() => x.log()),
      AnomalyError,
      /the forward of 'log' produced NaN in output 0 \(shape \[2\]\) from finite inputs/,
    );
    // Also for tensors that do not require grad.
    const z = tensor([0, 1], { dtype: 'float64' });
    withGlobalAnomaly(() =>
      assertThrowsMatch(() => div(z, z), AnomalyError, /the forward of 'div' produced NaN/),
    );
    withGlobalAnomaly(() => assertThrowsMatch(() => div(1, z), AnomalyError, /'div' produced Inf/));
    // Finite results pass.
    assertClose(
      detectAnomaly(() => x.abs().log()),
      [0, 0],
    );
  });

  it('a backward that makes NaN or Inf throws, naming the op and its forward call', () => {
    const x = leaf([0, 4]);
    // d sqrt(x)/dx = 1/(2 sqrt x) is Inf at 0; the forward itself is fine.
    assert.throws(
      () => detectAnomaly(() => x.sqrt().sum().backward()),
      (e: unknown) => {
        assert.ok(e instanceof AnomalyError);
        assert.match(e.message, /the backward of 'sqrt' produced Inf in the gradient for input 0/);
        // The forward call's stack leads back to this test file.
        assert.match(e.message, /The forward call of 'sqrt' was:\n[^]*anomaly\.test\.js/);
        return true;
      },
    );
    const y = leaf([1, 2]);
    assert.throws(
      () => detectAnomaly(() => BadBackward.apply(y).sum().backward()),
      (e: unknown) => {
        assert.ok(e instanceof AnomalyError);
        assert.match(e.message, /the backward of 'nanBackward' produced NaN/);
        assert.match(e.message, /The forward call of 'nanBackward' was:\n[^]*anomaly\.test\.js/);
        return true;
      },
    );
  });

  it('the mode at backward time decides, and the forward stack needs the mode at forward time', () => {
    const x = leaf([0, 1]);
    const y = x.sqrt().sum();
    // Recorded without anomaly mode: the error still names the op, without a forward stack.
    assertThrowsMatch(
      () => detectAnomaly(() => y.backward()),
      AnomalyError,
      /^anomaly: the backward of 'sqrt' produced Inf [^\n]*$/,
    );
  });

  it('without anomaly mode nothing is checked', () => {
    const x = leaf([0, -1]);
    const l = x.log();
    assert.equal(l.dataSync()[0], -Infinity);
    assert.ok(Number.isNaN(l.dataSync()[1]));
    const y = leaf([0, 4]);
    y.sqrt().sum().backward();
    assertClose(y.grad!, [Infinity, 0.25]);
    const z = leaf([1]);
    BadBackward.apply(z).sum().backward();
    assert.ok(Number.isNaN(z.grad!.dataSync()[0]));
  });

  it('-Infinity masks do not raise false alarms', () => {
    const s = leaf([
      [1, 2, 3],
      [0.5, -1, 4],
    ]);
    const keep = tensor([
      [true, false, true],
      [false, true, true],
    ]);
    const w = tensor(
      [
        [1, 2, 3],
        [-1, 0.5, 2],
      ],
      { dtype: 'float64' },
    );
    const loss = (t: Tensor) => {
      const masked = where(keep, t, -Infinity);
      return softmax(masked, 1)
        .mul(w)
        .sum()
        .add(logsumexp(maskedFill(t, keep.logicalNot(), -Infinity), 1).sum())
        .add(masked.amax(1).sum());
    };
    detectAnomaly(() => loss(s).backward());
    const g = s.grad!;
    assert.ok(Array.from(g.dataSync()).every(Number.isFinite));
    // Masked entries get no gradient.
    assert.equal(g.dataSync()[1], 0);
    assert.equal(g.dataSync()[3], 0);
    // Same gradients as without anomaly mode.
    const s2 = leaf(s.detach().toArray() as number[][]);
    loss(s2).backward();
    assertClose(g, s2.grad!);
  });

  it('Inf inside a backward that masks it out again is no anomaly', () => {
    // |x|^1.5, whose backward 1.5·out/x is 0/0 at x = 0 before the mask takes that entry out.
    const AbsPow = customFunction({
      name: 'absPow',
      forward(ctx: FunctionCtx, x: Tensor) {
        const out = x.abs().pow(1.5);
        ctx.saveForBackward(x, out);
        return out;
      },
      backward(ctx: FunctionCtx, g: Tensor) {
        const [x, out] = ctx.savedTensors;
        return g.mul(where(x.eq(0), 0, out.mul(1.5).div(x)));
      },
    });
    const x = leaf([4, 0, -1]);
    detectAnomaly(() => AbsPow.apply(x).sum().backward());
    assertClose(x.grad!, [3, 0, -1.5]);
    // norm's backward handles the zero vector the same way.
    const z = leaf([0, 0]);
    detectAnomaly(() => z.norm().backward());
    assertClose(z.grad!, [0, 0]);
  });
});
