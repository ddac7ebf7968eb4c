import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Tensor } from '../../src/index.js';
import {
  abs,
  autograd,
  ceil,
  cos,
  erf,
  exp,
  expm1,
  floor,
  log1p,
  reciprocal,
  relu,
  round,
  rsqrt,
  sigmoid,
  sign,
  sin,
  sqrt,
  tanh,
  tensor,
} from '../../src/index.js';
import { assertClose, checkGrad, checkGradGrad, forEachBackend, leaf, ramp } from '../helpers.js';

type Op = (x: Tensor) => Tensor;

const sig = (v: number) => 1 / (1 + Math.exp(-v));

/** erf(v) for a few points, to double precision. */
const ERF: Record<number, number> = {
  [-2]: -0.9953222650189527,
  [-0.5]: -0.5204998778130465,
  0: 0,
  0.3: 0.3286267594591274,
  1: 0.8427007929497149,
  3: 0.9999779095030014,
};

/** Each op: function form, method name, reference on numbers, sample points inside its domain. */
const SMOOTH: [Op, string, (v: number) => number, number[]][] = [
  [exp, 'exp', Math.exp, [-2, 0, 0.5, 3]],
  [log1p, 'log1p', Math.log1p, [-0.5, 0, 1e-10, 4]],
  [expm1, 'expm1', Math.expm1, [-2, 0, 1e-10, 3]],
  [sqrt, 'sqrt', Math.sqrt, [0.25, 1, 2, 9]],
  [rsqrt, 'rsqrt', (v) => 1 / Math.sqrt(v), [0.25, 1, 2, 9]],
  [sin, 'sin', Math.sin, [-2, 0, 0.5, 3]],
  [cos, 'cos', Math.cos, [-2, 0, 0.5, 3]],
  [tanh, 'tanh', Math.tanh, [-2, 0, 0.5, 3]],
  [sigmoid, 'sigmoid', sig, [-2, 0, 0.5, 3]],
  [erf, 'erf', (v) => ERF[v], [-2, -0.5, 0, 0.3, 1, 3]],
  [reciprocal, 'reciprocal', (v) => 1 / v, [-2, 0.25, 0.5, 3]],
  [abs, 'abs', Math.abs, [-2, -0.5, 0, 3]],
  [relu, 'relu', (v) => Math.max(v, 0), [-2, -0.5, 0, 3]],
];

/** Derivatives on numbers, to check the backward rules against closed forms as well. */
const DERIV: Record<string, (v: number) => number> = {
  exp: Math.exp,
  log1p: (v) => 1 / (1 + v),
  expm1: Math.exp,
  sqrt: (v) => 0.5 / Math.sqrt(v),
  rsqrt: (v) => -0.5 * v ** -1.5,
  sin: Math.cos,
  cos: (v) => -Math.sin(v),
  tanh: (v) => 1 - Math.tanh(v) ** 2,
  sigmoid: (v) => sig(v) * (1 - sig(v)),
  erf: (v) => (2 / Math.sqrt(Math.PI)) * Math.exp(-v * v),
  reciprocal: (v) => -1 / (v * v),
  abs: (v) => Math.sign(v),
  relu: (v) => (v > 0 ? 1 : 0),
};

/** Gradient of sum(fn(x)) at the given float64 values. */
function gradAt(fn: Op, values: number[]): Tensor {
  const x = leaf(values);
  fn(x).sum().backward();
  return x.grad!;
}

function callMethod(x: Tensor, name: string): Tensor {
  return (x as unknown as Record<string, () => Tensor>)[name]();
}

forEachBackend('unary ops', () => {
  it("relu's gradient is 0 where x <= 0 (also for infinite or NaN g there), else g (also at a NaN x)", () => {
    for (const dtype of ['float32', 'float64'] as const) {
      // 11 elements: a vector body and a scalar tail on the kernels.
      const xs = [-1, 0, 2, NaN, 3, -0, 5, -2, 0.5, -3, 7];
      const gs = [Infinity, NaN, -4, 1, NaN, -Infinity, 6, 1, -Infinity, 2, 3];
      const x = tensor(xs, { dtype }).requiresGrad_();
      relu(x).backward(tensor(gs, { dtype }));
      const want = [0, 0, -4, 1, NaN, 0, 6, 0, -Infinity, 0, 3];
      const got = Array.from(x.grad!.dataSync());
      assert.equal(x.grad!.dtype, dtype);
      want.forEach((w, i) =>
        assert.ok(
          Object.is(got[i], w) || (Number.isNaN(w) && Number.isNaN(got[i])),
          `${dtype} [${i}]: ${got[i]} vs ${w}`,
        ),
      );
      // The recorded (twice-differentiable) form gives the same.
      const x2 = tensor(xs, { dtype }).requiresGrad_();
      const g2 = tensor(gs, { dtype }).requiresGrad_();
      const [gx] = autograd.grad(relu(x2), [x2], { gradOutputs: [g2], createGraph: true });
      assertClose(gx!, want);
    }
  });

  it('match Math.* in float64, in function and method form', () => {
    for (const [fn, name, ref, xs] of SMOOTH) {
      const x = tensor(xs, { dtype: 'float64' });
      const want = xs.map(ref);
      const y = fn(x);
      assert.equal(y.dtype, 'float64', name);
      assertClose(y, want, { atol: 1e-15, rtol: 1e-14 });
      assertClose(callMethod(x, name), want, { atol: 1e-15, rtol: 1e-14 });
      // float32 stays float32, within float32 precision.
      const y32 = fn(tensor(xs));
      assert.equal(y32.dtype, 'float32', name);
      assertClose(y32, want, { atol: 1e-6, rtol: 1e-6 });
    }
  });

  it('keep precision and limits at the edges', () => {
    // log1p/expm1 are accurate for tiny arguments; sigmoid does not overflow.
    assertClose(log1p(tensor([1e-20], { dtype: 'float64' })), [1e-20], { atol: 0, rtol: 1e-12 });
    assertClose(expm1(tensor([-1e-20], { dtype: 'float64' })), [-1e-20], { atol: 0, rtol: 1e-12 });
    assertClose(sigmoid(tensor([-1000, 1000], { dtype: 'float64' })), [0, 1]);
    assertClose(tanh(tensor([-1000, 1000], { dtype: 'float64' })), [-1, 1]);
    assertClose(erf(tensor([-10, 10], { dtype: 'float64' })), [-1, 1]);
    assertClose(sqrt(tensor([-1, 0], { dtype: 'float64' })), [NaN, 0]);
    assertClose(reciprocal(tensor([0], { dtype: 'float64' })), [Infinity]);
  });

  it('piecewise-constant ops: sign, floor, ceil, round (half to even)', () => {
    const x = tensor([-2.5, -1.5, -0.5, 0, 0.5, 1.5, 2.5, 2.7], { dtype: 'float64' });
    assertClose(sign(x), [-1, -1, -1, 0, 1, 1, 1, 1]);
    assertClose(floor(x), [-3, -2, -1, 0, 0, 1, 2, 2]);
    assertClose(ceil(x), [-2, -1, -0, 0, 1, 2, 3, 3]);
    assertClose(round(x), [-2, -2, -0, 0, 0, 2, 2, 3]);
    assertClose(x.sign(), [-1, -1, -1, 0, 1, 1, 1, 1]);
    assertClose(x.floor(), [-3, -2, -1, 0, 0, 1, 2, 2]);
    assertClose(x.ceil(), [-2, -1, -0, 0, 1, 2, 3, 3]);
    assertClose(x.round(), [-2, -2, -0, 0, 0, 2, 2, 3]);
    // Their gradient is zero (not missing), as in PyTorch.
    for (const fn of [sign, floor, ceil, round]) {
      assertClose(gradAt(fn, [-1.3, 0.2, 2.5]), [0, 0, 0]);
    }
  });

  it('dtypes: float functions turn ints into float32, the others keep int32', () => {
    const ints = tensor([-2, 0, 3], { dtype: 'int32' });
    for (const fn of [exp, log1p, sqrt, sin, tanh, sigmoid, erf, reciprocal]) {
      assert.equal(fn(ints).dtype, 'float32', fn.name);
    }
    assertClose(exp(ints), [Math.exp(-2), 1, Math.exp(3)]);
    const kept: [Op, number[]][] = [
      [abs, [2, 0, 3]],
      [sign, [-1, 0, 1]],
      [relu, [0, 0, 3]],
      [floor, [-2, 0, 3]],
      [ceil, [-2, 0, 3]],
      [round, [-2, 0, 3]],
    ];
    for (const [fn, want] of kept) {
      const y = fn(ints);
      assert.equal(y.dtype, 'int32', fn.name);
      assertClose(y, want);
    }
  });

  it('backward rules match the closed-form derivatives', () => {
    for (const [fn, name, , xs] of SMOOTH) {
      // Away from the kinks of abs and relu.
      const pts = xs.filter((v) => v !== 0);
      assertClose(gradAt(fn, pts), pts.map(DERIV[name]), { atol: 1e-12, rtol: 1e-10 });
    }
    // Subgradients at the kinks: 0 for relu and abs (PyTorch's choice).
    assertClose(gradAt(relu, [0]), [0]);
    assertClose(gradAt(abs, [0]), [0]);
  });

  it('pass gradcheck, also on a transposed input', () => {
    const domain: Record<string, [number, number]> = {
      log1p: [-0.5, 2],
      sqrt: [0.2, 3],
      rsqrt: [0.2, 3],
      reciprocal: [0.3, 2],
    };
    for (const [fn, name] of SMOOTH) {
      const [lo, hi] = domain[name] ?? [-2, 2];
      // 7 elements: the ramp then has no element at 0, away from the kinks of abs and relu.
      checkGrad(fn, [ramp([7], lo, hi)]);
      checkGrad((x) => fn(x.t()), [ramp([3, 5], lo, hi)]);
    }
  });

  it('have exact second derivatives', () => {
    checkGradGrad(tanh, [ramp([5], -2, 2)]);
    checkGradGrad(sigmoid, [ramp([5], -3, 3)]);
    checkGradGrad(erf, [ramp([5], -2, 2)]);
    checkGradGrad(exp, [ramp([4], -1, 1)]);
    checkGradGrad(sqrt, [ramp([4], 0.3, 2)]);
    checkGradGrad(rsqrt, [ramp([4], 0.3, 2)]);
    checkGradGrad(sin, [ramp([4], -2, 2)]);
    checkGradGrad(cos, [ramp([4], -2, 2)]);
    checkGradGrad(reciprocal, [ramp([4], 0.5, 2)]);
    checkGradGrad(log1p, [ramp([4], -0.5, 2)]);
    checkGradGrad(expm1, [ramp([4], -1, 1)]);
    checkGradGrad((x) => tanh(x).mul(sigmoid(x)), [ramp([2, 3], -2, 2)]);
  });
});
