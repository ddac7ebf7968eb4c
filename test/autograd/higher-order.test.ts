import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Tensor } from '../../src/index.js';
import {
  autograd,
  cat,
  gather,
  grad,
  logSoftmax,
  matmul,
  norm,
  prod,
  softmax,
  stack,
  tensor,
} from '../../src/index.js';
import { assertClose, checkGrad, checkGradGrad, forEachBackend, leaf, ramp } from '../helpers.js';

const f64 = (data: number[] | number[][], requiresGrad = false) =>
  tensor(data, { dtype: 'float64', requiresGrad });

/** ∇f at x (f returns a one-element tensor) by central differences, as a flat array. */
function numericGrad(f: (x: Tensor) => Tensor, x: Tensor, eps = 1e-6): number[] {
  const base = Array.from(x.dataSync());
  return base.map((_, k) => {
    const at = (d: number) => {
      const v = base.slice();
      v[k] += d;
      return f(tensor(v, { dtype: 'float64', shape: x.shape })).item() as number;
    };
    return (at(eps) - at(-eps)) / (2 * eps);
  });
}

forEachBackend('higher-order gradients', () => {
  const xs = [-1.5, -0.3, 0, 0.4, 2];
  const tanh2 = (v: number) => -2 * Math.tanh(v) * (1 - Math.tanh(v) ** 2);

  it('second derivative of tanh through createGraph', () => {
    const x = leaf(xs);
    const [g] = autograd.grad(x.tanh().sum(), [x], { createGraph: true });
    assertClose(
      g!,
      xs.map((v) => 1 - Math.tanh(v) ** 2),
    );
    g!.sum().backward();
    assertClose(x.grad!, xs.map(tanh2), { atol: 1e-12 });
  });

  it('second derivative of tanh through grad(grad(f))', () => {
    const f = (t: Tensor) => t.tanh().sum();
    const d2 = grad((t: Tensor) => grad(f)(t).sum());
    assertClose(d2(f64(xs)), xs.map(tanh2), { atol: 1e-12 });
    // Also when the input is itself a leaf that requires grad (the transforms stay connected).
    assertClose(d2(leaf(xs)), xs.map(tanh2), { atol: 1e-12 });
  });

  it('third derivatives: x³ and sin', () => {
    const d3 = (f: (t: Tensor) => Tensor) => {
      const d1 = (t: Tensor) => grad((u: Tensor) => f(u).sum())(t);
      const d2 = (t: Tensor) => grad((u: Tensor) => d1(u).sum())(t);
      return grad((u: Tensor) => d2(u).sum());
    };
    assertClose(
      d3((t) => t.pow(3))(f64(xs)),
      xs.map(() => 6),
    );
    assertClose(
      d3((t) => t.sin())(f64(xs)),
      xs.map((v) => -Math.cos(v)),
    );
    // The same with autograd.grad and createGraph at each order.
    const x = leaf([0.7]);
    let y = x.mul(x).mul(x).sum();
    for (let k = 0; k < 3; k++) y = autograd.grad(y, [x], { createGraph: true })[0]!.sum();
    assertClose(y, 6, { shape: [] });
  });

  it('Hessian-vector product by double backward matches differences of the gradient', () => {
    const A = ramp([4, 3], -1, 1, false);
    const f = (x: Tensor) => matmul(A, x).tanh().sum();
    const gradAt = (x: Tensor) => grad(f)(x) as Tensor;
    const x0 = [0.3, -0.8, 0.5];
    const v = f64([1, -0.5, 2]);
    const x = f64(x0, true);
    const [g] = autograd.grad(f(x), [x], { createGraph: true });
    const [hv] = autograd.grad(g!.mul(v).sum(), [x]);
    // Central differences of ∇f along v: (∇f(x + εv) − ∇f(x − εv)) / 2ε.
    const eps = 1e-5;
    const plus = gradAt(f64(x0).add(v.mul(eps)));
    const minus = gradAt(f64(x0).sub(v.mul(eps)));
    assertClose(hv!, plus.sub(minus).div(2 * eps), { atol: 1e-6, rtol: 0 });
    // And through the functional form: grad of (∇f · v).
    const hv2 = grad((t: Tensor) => (grad(f)(t) as Tensor).mul(v).sum())(f64(x0));
    assertClose(hv2, hv!);
  });

  it('gradient penalty: ||∇ₓ D(x)||² backpropagates into the weights of D', () => {
    const x = ramp([3, 2], -1, 1); // a batch of 3 points in R²
    const D = (w1: Tensor, w2: Tensor, input: Tensor) => matmul(matmul(input, w1).tanh(), w2).sum();
    const penalty = (w1: Tensor, w2: Tensor) => {
      const [gx] = autograd.grad(D(w1, w2, x), [x], { createGraph: true });
      return gx!.mul(gx!).sum();
    };
    const w1 = ramp([2, 4], -0.8, 0.9);
    const w2 = ramp([4, 1], -1.2, 0.7);
    const p = penalty(w1, w2);
    assert.equal(x.grad, null); // autograd.grad does not accumulate into x
    p.backward();
    const n1 = numericGrad((w) => penalty(w.requiresGrad_(), w2), w1);
    const n2 = numericGrad((w) => penalty(w1, w.requiresGrad_()), w2);
    assertClose(w1.grad!.flatten(), n1, { atol: 1e-7, rtol: 1e-6 });
    assertClose(w2.grad!.flatten(), n2, { atol: 1e-7, rtol: 1e-6 });
    // The same through gradcheck (the penalty as a function of the weights).
    checkGrad(penalty, [w1, w2]);
  });

  it('gradgradcheck on composite functions', () => {
    checkGradGrad((t) => softmax(t, 1), [ramp([2, 3])]);
    checkGradGrad((t) => logSoftmax(t, 0), [ramp([3, 2])]);
    checkGradGrad((a, b) => matmul(a, b).sigmoid(), [ramp([2, 3]), ramp([3, 2])]);
    checkGradGrad((a, b) => matmul(a.t(), b).sigmoid(), [ramp([3, 2]), ramp([3])]);
    checkGradGrad((t) => prod(t, 1), [ramp([2, 3], 0.5, 2)]);
    checkGradGrad((t) => prod(t), [ramp([4], -2, 1.5)]);
    checkGradGrad((t) => norm(t), [ramp([2, 3])]);
    checkGradGrad((t) => norm(t, 2, 1), [ramp([2, 3])]);
    checkGradGrad((t) => norm(t, 3, 0), [ramp([2, 3], 0.2, 1.5)]);
    const idx = tensor(
      [
        [2, 0],
        [1, 1],
      ],
      { dtype: 'int32' },
    );
    checkGradGrad((t) => gather(t, 1, idx).pow(2), [ramp([2, 3])]);
    checkGradGrad((t) => t.logsumexp(1).mul(t.sum(0).sum()), [ramp([2, 3])]);
    checkGradGrad((a, b) => a.div(b).exp(), [ramp([2, 3]), ramp([3], 0.5, 2)]);
    checkGradGrad((a, b) => cat([a, b.t()], 0).pow(2).softmax(1), [ramp([2, 3]), ramp([3, 1])]);
    checkGradGrad((a, b) => stack([a.sin(), b.mul(a)], 1).prod(1), [ramp([3]), ramp([3])]);
  });
});
