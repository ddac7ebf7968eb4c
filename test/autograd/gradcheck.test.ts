import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { FunctionCtx, Tensor } from '../../src/index.js';
import { GradcheckError, customFunction, gradcheck, gradgradcheck, matmul, tensor } from '../../src/index.js';
import { assertThrowsMatch, forEachBackend, leaf, ramp } from '../helpers.js';

/** x·c whose backward claims the slope c + delta: an error of known size. */
function skewedLinear(c: number, delta: number) {
  return customFunction({
    name: 'skewed',
    forward: (_ctx: FunctionCtx, x: Tensor) => x.mul(c),
    backward: (_ctx: FunctionCtx, g: Tensor) => g.mul(c + delta),
  });
}

/** sin with the derivative of the wrong sign in one element's column. */
const WrongSin = customFunction({
  name: 'wrongSin',
  forward(ctx: FunctionCtx, x: Tensor) {
    ctx.saveForBackward(x);
    return x.sin();
  },
  backward(ctx: FunctionCtx, g: Tensor) {
    const [x] = ctx.savedTensors;
    return g.mul(x.cos()).mul(tensor([1, -1, 1], { dtype: 'float64' }));
  },
});

forEachBackend('gradcheck', () => {
  it('returns true for correct gradients', () => {
    assert.equal(
      gradcheck((x) => x.sin().mul(x), [ramp([2, 3])]),
      true,
    );
    // Several inputs, an input without requiresGrad, and several outputs.
    const fixed = ramp([3, 2], -1, 1, false);
    assert.equal(
      gradcheck((a, b, c) => [matmul(a, c).tanh(), a.mul(b).sum(1)], [ramp([2, 3]), ramp([3]), fixed]),
      true,
    );
    // An input the output does not depend on has a zero Jacobian on both sides.
    assert.equal(
      gradcheck((a) => a.mul(0).add(1), [ramp([2])]),
      true,
    );
    assert.equal(
      gradgradcheck((x) => x.sin().mul(x), [ramp([3])]),
      true,
    );
  });

  it('throws a GradcheckError for a wrong backward, or returns false', () => {
    const x = leaf([0.1, 0.2, 0.3]);
    assertThrowsMatch(
      () => gradcheck((t) => WrongSin.apply(t), [x]),
      GradcheckError,
      /^gradcheck: Jacobian mismatch for input 0 \(shape \[3\]\) at output element 1, input element 1: /,
      /analytical -0\.98\d* vs numerical 0\.98\d*/,
    );
    assert.equal(
      gradcheck((t) => WrongSin.apply(t), [x], { raiseException: false }),
      false,
    );
    assert.equal(
      gradgradcheck((t) => WrongSin.apply(t).mul(t), [x], { raiseException: false }),
      false,
    );
    // The error names the input by its position among all the inputs.
    assertThrowsMatch(
      () => gradcheck((a, t) => WrongSin.apply(t).add(a), [leaf([1, 1, 1]), x]),
      GradcheckError,
      /for input 1 \(shape \[3\]\)/,
    );
  });

  it('asks for float64 inputs', () => {
    assertThrowsMatch(
      () => gradcheck((x) => x.sin(), [tensor([1, 2], { requiresGrad: true })]),
      GradcheckError,
      /^gradcheck: input of shape \[2\] is float32; finite differences need float64 inputs/,
    );
    // float32 is fine for an input that is not checked.
    assert.equal(
      gradcheck((x, y) => x.mul(y.double()), [ramp([2]), tensor([1, 2])]),
      true,
    );
    assertThrowsMatch(
      () => gradcheck((x) => x.sin(), [ramp([2], -1, 1, false)]),
      GradcheckError,
      /^gradcheck: no input requires grad/,
    );
  });

  it("perturbs by PyTorch's default eps = 1e-6", () => {
    const seen: number[] = [];
    gradcheck(
      (x) => {
        seen.push(x.item() as number);
        return x.mul(2);
      },
      [leaf([0.5])],
    );
    // The first call is at x itself, then x + eps and x − eps.
    assert.equal(seen.length, 3);
    assert.equal(seen[0], 0.5);
    assert.ok(Math.abs(seen[1] - 0.5 - 1e-6) < 1e-15, `x + eps = ${seen[1]}`);
    assert.ok(Math.abs(seen[2] - 0.5 + 1e-6) < 1e-15, `x - eps = ${seen[2]}`);
    const custom: number[] = [];
    gradcheck(
      (x) => {
        custom.push(x.item() as number);
        return x.mul(2);
      },
      [leaf([0.5])],
      { eps: 1e-3 },
    );
    assert.ok(Math.abs(custom[1] - 0.501) < 1e-12);
  });

  it("compares with PyTorch's default tolerances atol = 1e-5, rtol = 1e-3", () => {
    const x = [leaf([0.5, -0.25])];
    const check = (c: number, delta: number, opts = {}) =>
      gradcheck((t) => skewedLinear(c, delta).apply(t), x, { raiseException: false, ...opts });
    // Numerical slope 0: only atol counts.
    assert.equal(check(0, 0.9e-5), true);
    assert.equal(check(0, 1.1e-5), false);
    // Numerical slope 10: atol + rtol·10 = 0.01001.
    assert.equal(check(10, 0.0099), true);
    assert.equal(check(10, -0.0099), true);
    assert.equal(check(10, 0.0102), false);
    // Options override the defaults.
    assert.equal(check(0, 1.1e-5, { atol: 2e-5 }), true);
    assert.equal(check(10, 0.0102, { rtol: 2e-3 }), true);
    assert.equal(check(10, 0.0099, { rtol: 1e-4 }), false);
  });
});
