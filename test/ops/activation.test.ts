import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Tensor } from '../../src/index.js';
import {
  DTypeError,
  IndexError,
  elu,
  gelu,
  hardtanh,
  leakyRelu,
  logSigmoid,
  relu6,
  silu,
  softplus,
  tensor,
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

/** Gradient of sum(fn(x)) at the given float64 values. */
function gradAt(fn: (x: Tensor) => Tensor, values: number[]): Tensor {
  const x = leaf(values);
  fn(x).sum().backward();
  return x.grad!;
}

/** Asserts that every value is finite (no NaN or ±Inf leaked from an unselected branch). */
function assertFinite(t: Tensor): void {
  for (const v of t.dataSync()) assert.ok(Number.isFinite(v), `non-finite value ${v} in ${String(t)}`);
}

const sig = (v: number) => 1 / (1 + Math.exp(-v));
const EXTREMES = [-1000, -50, -0.5, 0.5, 50, 1000];

forEachBackend('activations', () => {
  it('leakyRelu: slope below zero, the gradient at 0 is the slope', () => {
    const x = tensor([-2, -0.5, 0, 1.5], { dtype: 'float64' });
    assertClose(leakyRelu(x), [-0.02, -0.005, 0, 1.5]);
    assertClose(x.leakyRelu(0.1), [-0.2, -0.05, 0, 1.5]);
    assertClose(leakyRelu(x, 0.2), [-0.4, -0.1, 0, 1.5]);
    assertClose(
      gradAt((t) => leakyRelu(t, 0.1), [-2, 0, 3]),
      [0.1, 0.1, 1],
    );
    checkGrad((t) => leakyRelu(t, 0.3), [leaf([-1.5, -0.2, 0.4, 2])]);
  });

  it('elu: alpha·(eˣ − 1) below zero', () => {
    const xs = [-2, -0.5, 0, 1.5];
    const x = tensor(xs, { dtype: 'float64' });
    assertClose(elu(x), [Math.expm1(-2), Math.expm1(-0.5), 0, 1.5]);
    assertClose(x.elu(2), [2 * Math.expm1(-2), 2 * Math.expm1(-0.5), 0, 1.5]);
    // PyTorch's gradient at 0 is alpha (the left branch, alpha·e⁰).
    assertClose(
      gradAt((t) => elu(t, 2), [-1, 0, 1]),
      [2 * Math.exp(-1), 2, 1],
    );
    checkGrad((t) => elu(t, 1.5), [leaf([-2, -0.3, 0.2, 1.7])]);
    checkGradGrad((t) => elu(t), [leaf([-2, -0.3, 0.2, 1.7])]);
  });

  it('gelu: exact and tanh forms match known values', () => {
    const x = tensor([-3, -1, -0.5, 0, 0.5, 1, 2], { dtype: 'float64' });
    const exact = [
      -0.00404969409489031, -0.15865525393145707, -0.15426876936299344, 0, 0.34573123063700656,
      0.8413447460685429, 1.9544997361036416,
    ];
    const approx = [
      -0.0036373920817729943, -0.15880800939172324, -0.15428599017485606, 0, 0.34571400982514394,
      0.8411919906082768, 1.954597694087775,
    ];
    assertClose(gelu(x), exact, { atol: 1e-12 });
    assertClose(x.gelu(), exact, { atol: 1e-12 });
    assertClose(gelu(x, 'tanh'), approx, { atol: 1e-12 });
    assertClose(x.gelu({ approximate: 'tanh' }), approx, { atol: 1e-12 });
    assertClose(gelu(x, { approximate: 'none' }), exact, { atol: 1e-12 });
    // float32 stays float32.
    const y = gelu(tensor([1]));
    assert.equal(y.dtype, 'float32');
    assertClose(y, [0.8413447460685429]);
  });

  it('gelu: first and second derivatives', () => {
    // d/dx xΦ(x) = Φ(x) + xφ(x); at 1: 0.8413447460685429 + 0.24197072451914337.
    assertClose(gradAt(gelu, [1, 0]), [0.8413447460685429 + 0.24197072451914337, 0.5], { atol: 1e-12 });
    checkGrad((t) => gelu(t), [ramp([2, 3], -3, 3)]);
    checkGrad((t) => gelu(t, 'tanh'), [ramp([2, 3], -3, 3)]);
    checkGrad((t) => gelu(t.t()), [ramp([3, 2], -2, 2)]);
    checkGradGrad((t) => gelu(t), [ramp([5], -2, 2)]);
    checkGradGrad((t) => gelu(t, 'tanh'), [ramp([5], -2, 2)]);
  });

  it('silu: x·sigmoid(x)', () => {
    const xs = [-3, -0.5, 0, 2];
    assertClose(
      silu(tensor(xs, { dtype: 'float64' })),
      xs.map((v) => v * sig(v)),
    );
    assertClose(
      tensor(xs, { dtype: 'float64' }).silu(),
      xs.map((v) => v * sig(v)),
    );
    assertClose(
      gradAt(silu, xs),
      xs.map((v) => sig(v) * (1 + v * (1 - sig(v)))),
    );
    checkGrad(silu, [ramp([7], -4, 4)]);
    checkGradGrad(silu, [ramp([5], -3, 3)]);
  });

  it('softplus: smooth, and linear where beta·x > threshold', () => {
    const xs = [-3, -0.5, 0, 2, 19.5];
    assertClose(
      softplus(tensor(xs, { dtype: 'float64' })),
      xs.map((v) => Math.log1p(Math.exp(v))),
    );
    // beta = 2: ln(1 + e^(2x))/2; threshold 5: x = 3 gives 2x = 6 > 5, so x itself.
    const x = tensor([-1, 2, 3], { dtype: 'float64' });
    assertClose(softplus(x, 2, 5), [Math.log1p(Math.exp(-2)) / 2, Math.log1p(Math.exp(4)) / 2, 3]);
    assertClose(x.softplus(2, 5), [Math.log1p(Math.exp(-2)) / 2, Math.log1p(Math.exp(4)) / 2, 3]);
    assertClose(tensor([30], { dtype: 'float64' }).softplus(), [30]);
    // The gradient is sigmoid(beta·x), and exactly 1 in the linear regime.
    assertClose(
      gradAt((t) => softplus(t, 2, 5), [-1, 2, 3]),
      [sig(-2), sig(4), 1],
    );
    checkGrad((t) => softplus(t), [ramp([6], -4, 4)]);
    checkGrad((t) => softplus(t, 0.5, 1), [leaf([-3, 0.5, 1.5, 2.5, 4])]);
    checkGradGrad((t) => softplus(t, 2), [ramp([5], -2, 2)]);
  });

  it('logSigmoid: ln(sigmoid(x)) without overflow', () => {
    const xs = [-30, -2, 0, 0.5, 40];
    assertClose(
      logSigmoid(tensor(xs, { dtype: 'float64' })),
      xs.map((v) => -Math.log1p(Math.exp(-v))),
    );
    assertClose(tensor([-1000, 1000], { dtype: 'float64' }).logSigmoid(), [-1000, 0]);
    // d/dx ln sigmoid(x) = sigmoid(−x): ½ at 0, the kinks of the two branches do not leak in.
    assertClose(gradAt(logSigmoid, [-2, 0, 3]), [sig(2), 0.5, sig(-3)]);
    checkGrad(logSigmoid, [ramp([7], -5, 5)]);
    checkGradGrad(logSigmoid, [ramp([5], -3, 3)]);
  });

  it('hardtanh and relu6: gradient 1 strictly inside, 0 at and beyond the bounds', () => {
    const x = tensor([-2, -1, 0.5, 1, 3], { dtype: 'float64' });
    assertClose(hardtanh(x), [-1, -1, 0.5, 1, 1]);
    assertClose(x.hardtanh(-0.5, 2), [-0.5, -0.5, 0.5, 1, 2]);
    assertClose(gradAt(hardtanh, [-2, -1, 0.5, 1, 3]), [0, 0, 1, 0, 0]);
    assertClose(relu6(tensor([-1, 0, 3, 6, 7])), [0, 0, 3, 6, 6]);
    assertClose(tensor([-1, 0, 3, 6, 7]).relu6(), [0, 0, 3, 6, 6]);
    assertClose(gradAt(relu6, [-1, 0, 3, 6, 7]), [0, 0, 1, 0, 0]);
    checkGrad((t) => hardtanh(t, -0.5, 0.5), [leaf([-1, -0.3, 0.1, 0.4, 2])]);
    checkGrad(relu6, [leaf([-1, 0.5, 3, 7])]);
    assertThrowsMatch(() => hardtanh(x, 1, -1), IndexError, /hardtanh: minVal \(1\) .* maxVal \(-1\)/);
  });

  it('keeps gradients finite at extreme inputs (no NaN from an unselected branch)', () => {
    const fns: [string, (t: Tensor) => Tensor][] = [
      ['elu', (t) => elu(t)],
      ['softplus', (t) => softplus(t)],
      ['logSigmoid', logSigmoid],
      ['gelu', (t) => gelu(t)],
      ['gelu tanh', (t) => gelu(t, 'tanh')],
      ['silu', silu],
      ['leakyRelu', (t) => leakyRelu(t)],
    ];
    for (const [name, fn] of fns) {
      const x = leaf(EXTREMES);
      const y = fn(x);
      assertFinite(y);
      y.sum().backward();
      assert.ok(x.grad, name);
      assertFinite(x.grad);
    }
    // Known limits: elu → −1 and slope 0 far below; softplus and logSigmoid slopes 1 and 0.
    assertClose(gradAt(elu, [-1000, 1000]), [0, 1]);
    assertClose(gradAt(softplus, [-1000, 1000]), [0, 1]);
    assertClose(gradAt(logSigmoid, [-1000, 1000]), [1, 0]);
  });

  it('rejects bad input with the op name', () => {
    const ints = tensor([1, 2], { dtype: 'int32' });
    assertThrowsMatch(
      () => gelu(ints),
      DTypeError,
      /gelu: expected a floating-point tensor, got dtype int32/,
    );
    assertThrowsMatch(() => silu(ints), DTypeError, /silu: .*int32/);
    assertThrowsMatch(
      () => gelu(tensor([1]), 'fast' as never),
      IndexError,
      /gelu: approximate must be 'none' or 'tanh', got 'fast'/,
    );
    assertThrowsMatch(
      () => leakyRelu([1, 2] as never),
      DTypeError,
      /leakyRelu: expected input to be a Tensor/,
    );
    assertThrowsMatch(
      () => softplus(tensor([1]), '2' as never),
      DTypeError,
      /softplus: beta must be a number, got 2/,
    );
  });
});
