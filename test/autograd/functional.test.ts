import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { FunctionCtx, Tensor } from '../../src/index.js';
import { AutogradError, autograd, customFunction, grad, tensor, valueAndGrad, vjp } from '../../src/index.js';
import { assertClose, assertThrowsMatch, forEachBackend, leaf, ramp } from '../helpers.js';

const f64 = (data: number[] | number[][]) => tensor(data, { dtype: 'float64' });

/** The Jacobian of f at x (|f| × |x|) by central differences, as nested arrays. */
function numericJacobian(f: (x: Tensor) => Tensor, x: Tensor, eps = 1e-6): number[][] {
  const base = Array.from(x.dataSync());
  const cols = base.map((_, k) => {
    const at = (d: number) => {
      const v = base.slice();
      v[k] += d;
      return Array.from(f(tensor(v, { dtype: 'float64', shape: x.shape })).dataSync());
    };
    const [p, m] = [at(eps), at(-eps)];
    return p.map((pi, r) => (pi - m[r]) / (2 * eps));
  });
  return cols[0].map((_, r) => cols.map((c) => c[r]));
}

forEachBackend('functional transforms', () => {
  it('grad returns gradients in the structure of the parameters', () => {
    const params = {
      w: ramp([2, 3]),
      layers: [{ b: ramp([3]) }, f64([0.5, -1])] as [{ b: Tensor }, Tensor],
      scale: 2, // non-tensor leaves pass through unchanged
    };
    const x = f64([1, -2]);
    const loss = (p: typeof params, input: Tensor) =>
      input.matmul(p.w).add(p.layers[0].b).tanh().sum().add(p.layers[1].mul(input).sum().mul(p.scale));
    const g = grad(loss)(params, x);
    assert.deepEqual(Object.keys(g), ['w', 'layers', 'scale']);
    assert.equal(g.scale, 2);
    assert.equal(g.layers.length, 2);
    // Closed forms: h = xW + b, d/db = 1 − tanh²(h), d/dW = xᵀ (1 − tanh²(h)), d/d layers[1] = scale·x.
    const h = x.matmul(params.w).add(params.layers[0].b).tanh().detach();
    const dh = h.mul(h).neg().add(1);
    assertClose(g.layers[0].b, dh);
    assertClose(g.w, x.unsqueeze(1).mul(dh.unsqueeze(0)));
    assertClose(g.layers[1], [2, -4]);
    // The inputs are untouched: grad works on its own copies.
    assert.equal(params.w.grad, null);
    assert.equal(params.w.requiresGrad, true);
  });

  it('grad treats parameters without requiresGrad as differentiable too', () => {
    const x = f64([1, 2, 3]);
    const g = grad((t: Tensor) => t.pow(3).sum())(x);
    assertClose(g, [3, 12, 27]);
    assert.equal(g.requiresGrad, false);
    // Parameters that the function ignores get zero gradients.
    const gz = grad((a: Tensor, b: Tensor) => a.sum().mul(0).add(b.sum()), { argnums: [0, 1] })(x, x);
    assertClose(gz[0], [0, 0, 0]);
    assertClose(gz[1], [1, 1, 1]);
    // A function that ignores its input altogether.
    assertClose(grad((_t: Tensor) => f64([2]).sum())(x), [0, 0, 0]);
  });

  it('results stay differentiable in tensors that f closes over', () => {
    const W = leaf([
      [0.5, -0.3],
      [0.2, 0.8],
    ]);
    const x = f64([[1, -2]]);
    const D = (input: Tensor) => input.matmul(W).tanh().sum();
    // ||∇ₓ D(x)||² as a function of W, with x a plain tensor.
    const penalty = (w: Tensor) => {
      const g = grad((input: Tensor) => input.matmul(w).tanh().sum())(x) as Tensor;
      return g.mul(g).sum();
    };
    const gx = grad(D)(x) as Tensor;
    assert.equal(gx.requiresGrad, true);
    gx.mul(gx).sum().backward();
    const numeric = numericJacobian((w) => penalty(w).reshape([1]), W.detach());
    assertClose(W.grad!.flatten(), numeric[0], { atol: 1e-8, rtol: 1e-6 });
    const [v] = valueAndGrad(D)(x);
    assert.equal(v.requiresGrad, true);
    // vjp too: the pulled-back cotangent depends on W.
    const [, pull] = vjp(D, x);
    const [ct] = pull(f64(1 as never)) as Tensor[];
    assert.equal(ct.requiresGrad, true);
    assertClose(ct, gx);
  });

  it('valueAndGrad returns the value and the gradient', () => {
    const x = f64([0.5, -0.25]);
    const [v, g] = valueAndGrad((t: Tensor) => t.exp().sum())(x);
    assertClose(v, Math.exp(0.5) + Math.exp(-0.25), { shape: [] });
    assert.equal(v.requiresGrad, false);
    assertClose(g, [Math.exp(0.5), Math.exp(-0.25)]);
  });

  it('argnums picks the arguments: a number gives one gradient, an array a list', () => {
    const a = f64([1, 2]);
    const b = f64([3, -1]);
    const c = f64([0.5, 0.5]);
    const f = (x: Tensor, y: Tensor, z: Tensor) => x.mul(y).mul(z).sum();
    assertClose(grad(f, { argnums: 1 })(a, b, c), [0.5, 1]); // x·z
    const gs = grad(f, { argnums: [2, 0] })(a, b, c);
    assert.ok(Array.isArray(gs));
    assert.equal(gs.length, 2);
    assertClose(gs[0], [3, -2]); // x·y
    assertClose(gs[1], [1.5, -0.5]); // y·z
    const [v, vs] = valueAndGrad(f, { argnums: [1] })(a, b, c);
    assertClose(v, 0.5, { shape: [] });
    assertClose(vs[0], [0.5, 1]);
  });

  it('grad asks for a one-element output', () => {
    assertThrowsMatch(
      () => grad((t: Tensor) => t.mul(2))(f64([1, 2])),
      AutogradError,
      /^grad: .*one-element.*\[2\]/,
    );
  });

  it('vjp returns the output and a function of the cotangent', () => {
    const A = f64([
      [1, 2, -1],
      [0.5, 0, 3],
    ]);
    const f = (x: Tensor) => A.matmul(x).tanh();
    const x = f64([0.2, -0.4, 0.1]);
    const [out, vjpFn] = vjp(f, x);
    assertClose(out, f(x));
    assert.equal(out.requiresGrad, false);
    const J = numericJacobian(f, x);
    for (const ct of [
      [1, 0],
      [0, 1],
      [0.3, -2],
    ]) {
      const [g] = vjpFn(f64(ct)) as Tensor[];
      // vᵀJ, column by column.
      const expect = J[0].map((_, k) => J.reduce((acc, row, r) => acc + ct[r] * row[k], 0));
      assertClose(g, expect, { atol: 1e-8, rtol: 1e-7 });
    }
  });

  it('vjp handles several primals and tree-shaped outputs', () => {
    const x = f64([1, 2]);
    const y = f64([3, 4]);
    const [out, vjpFn] = vjp((a: Tensor, b: Tensor) => ({ p: a.mul(b), s: a.sum() }), x, y);
    assertClose(out.p, [3, 8]);
    const [gx, gy] = vjpFn({ p: f64([1, -1]), s: f64(2 as never) }) as Tensor[];
    assertClose(gx, [3 + 2, -4 + 2]); // ct_p·b + ct_s
    assertClose(gy, [1, -2]); // ct_p·a
    assertThrowsMatch(() => vjpFn({ p: f64([1, 1]) } as never), AutogradError, /^vjp: .*1 tensors.*2/);
  });

  it('autograd.grad returns gradients without touching .grad', () => {
    const x = leaf([1, 2]);
    const y = leaf([3]);
    const out = x.mul(x).sum().mul(y);
    const [gx, gy] = autograd.grad(out, [x, y], { retainGraph: true });
    assertClose(gx!, [6, 12]);
    assertClose(gy!, [5]);
    assert.equal(x.grad, null);
    assert.equal(gx!.requiresGrad, false);
    // Non-scalar outputs with gradOutputs; several outputs sum.
    const z = x.mul(y);
    const [g2] = autograd.grad([z, out], [x], { gradOutputs: [f64([1, 2]), null] });
    assertClose(g2!, [3 + 6, 6 + 12]);
    // Gradients with respect to an intermediate tensor.
    const h = leaf([2]).mul(3);
    const [gh] = autograd.grad(h.mul(h).sum(), h);
    assertClose(gh!, [12]);
  });

  it('autograd.grad: unused inputs throw unless allowUnused', () => {
    const x = leaf([1, 2]);
    const unused = leaf([5]);
    const out = x.sum();
    assertThrowsMatch(
      () => autograd.grad(out, [x, unused], { retainGraph: true }),
      AutogradError,
      /^grad: input 1 \(shape \[1\]\) was not used/,
      /allowUnused/,
    );
    const [gx, gu] = autograd.grad(out, [x, unused], { allowUnused: true });
    assertClose(gx!, [1, 1]);
    assert.equal(gu, null);
    assertThrowsMatch(
      () => autograd.grad(x.sum(), [f64([1])]),
      AutogradError,
      /^grad: input 0 \(shape \[1\]\) does not require grad/,
    );
    assertThrowsMatch(() => autograd.grad(x.mul(2), [x]), AutogradError, /^grad: .*scalar.*\[2\]/);
  });

  it('autograd.grad runs only the part of the graph that leads to the inputs', () => {
    let calls = 0;
    const Counted = customFunction({
      forward: (_ctx: FunctionCtx, t: Tensor) => t.mul(2),
      backward: (_ctx: FunctionCtx, g: Tensor) => (calls++, g.mul(2)),
    });
    const x = leaf([1, 2]);
    const w = leaf([3]);
    // w's branch was already backpropagated and freed; x does not need it.
    const h = Counted.apply(w).exp();
    h.sum().backward();
    assert.equal(calls, 1);
    const out = x.mul(x).sum().add(h.sum());
    const [gx] = autograd.grad(out, [x], { retainGraph: true });
    assertClose(gx!, [2, 4]);
    assert.equal(calls, 1);
    assertThrowsMatch(() => out.backward(), AutogradError, /second time/);
    // A non-leaf input: its gradient is taken where it arises, nothing below it runs.
    const m = Counted.apply(x);
    const [gm] = autograd.grad(m.mul(m).sum(), [m], { retainGraph: true });
    assertClose(gm!, [4, 8]);
    assert.equal(calls, 1);
    // Both the non-leaf and the leaf below it: the node runs once and gives both.
    const [gm2, gx2] = autograd.grad(m.mul(m).sum(), [m, x]);
    assertClose(gm2!, [4, 8]);
    assertClose(gx2!, [8, 16]); // 2m · 2
    assert.equal(calls, 2);
  });

  it('autograd.grad with createGraph gives differentiable gradients', () => {
    const x = leaf([0.5, 2]);
    const [g] = autograd.grad(x.pow(3).sum(), [x], { createGraph: true });
    assert.equal(g!.requiresGrad, true);
    assertClose(g!, [0.75, 12]); // 3x²
    const [gg] = autograd.grad(g!.sum(), [x]);
    assertClose(gg!, [3, 12]); // 6x
    // autograd.backward is the same as Tensor.backward.
    autograd.backward(x.mul(x).sum());
    assertClose(x.grad!, [1, 4]);
  });
});
