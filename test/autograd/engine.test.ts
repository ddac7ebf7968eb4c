import assert from 'node:assert/strict';
import { it } from 'node:test';
import {
  AutogradError,
  Tensor,
  argmax,
  backward,
  customFunction,
  enableGrad,
  isGradEnabled,
  max,
  noGrad,
  tensor,
} from '../../src/index.js';
import { assertClose, assertThrowsMatch, forEachBackend, leaf } from '../helpers.js';

forEachBackend('autograd engine', () => {
  it('accumulates the gradient of a scalar into the leaves', () => {
    const x = leaf([1, 2, 3]);
    const w = leaf([0.5, -1, 2]);
    const loss = () => x.mul(x).mul(w).sum();
    loss().backward();
    // d/dx Σ w x² = 2 w x, d/dw = x²
    assertClose(x.grad!, [1, -4, 12]);
    assertClose(w.grad!, [1, 4, 9]);
    // A second backward adds to .grad instead of replacing it (PyTorch's accumulation).
    loss().backward();
    assertClose(x.grad!, [2, -8, 24]);
    assertClose(w.grad!, [2, 8, 18]);
    assert.equal(x.isLeaf, true);
    assert.equal(loss().isLeaf, false);
  });

  it('takes an explicit gradient for non-scalar outputs', () => {
    const x = leaf([
      [1, 2],
      [3, 4],
    ]);
    const y = x.mul(x); // dy/dx = 2x elementwise
    const g = tensor(
      [
        [1, 0.5],
        [-1, 2],
      ],
      { dtype: 'float64' },
    );
    y.backward(g);
    assertClose(x.grad!, [
      [2, 2],
      [-6, 16],
    ]);
    // The function form takes several outputs and one gradient each; gradients convert to the output dtype.
    const a = leaf([1, 2]);
    backward([a.mul(3), a.mul(a).sum()], [tensor([1, 1], { dtype: 'float32' }), null]);
    assert.equal(a.grad!.dtype, 'float64');
    assertClose(a.grad!, [5, 7]);
  });

  it('refuses an implicit gradient for a non-scalar output, naming the shape', () => {
    const x = leaf([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    assertThrowsMatch(
      () => x.mul(2).backward(),
      AutogradError,
      /^backward: /,
      /only for scalar outputs/,
      /\[2,3\]/,
    );
    assertThrowsMatch(
      () => x.mul(2).backward(tensor([1, 2, 3], { dtype: 'float64' })),
      AutogradError,
      /^backward: the gradient's shape \[3\] does not match the output's \[2,3\]/,
    );
    assertThrowsMatch(
      () => tensor([1, 2]).sum().backward(),
      AutogradError,
      /^backward: .*does not require grad/,
    );
  });

  it('frees the graph after backward unless retainGraph is set', () => {
    const x = leaf([0.5, 1.5]);
    const y = x.exp().sum();
    y.backward();
    assertThrowsMatch(
      () => y.backward(),
      AutogradError,
      /^backward: .*second time/,
      /retainGraph/,
      /saved tensors of '\w+'/,
    );

    const z = x.sin().sum();
    x.grad = null;
    z.backward(null, { retainGraph: true });
    z.backward(null, { retainGraph: true });
    z.backward();
    // Three passes through the retained graph: 3 cos(x).
    assertClose(x.grad!, [3 * Math.cos(0.5), 3 * Math.cos(1.5)]);
    assertThrowsMatch(() => z.backward(), AutogradError, /retainGraph/);
  });

  it('refuses to backpropagate through a saved tensor modified in place', () => {
    const x = leaf([1, 2]);
    const y = x.mul(1);
    const z = y.exp(); // exp saves its output and its input
    y.mul_(2);
    assertThrowsMatch(
      () => z.sum().backward(),
      AutogradError,
      /^backward: a tensor of shape \[2\] saved by 'exp' was modified by an in-place operation/,
    );
    // Without the saved tensor the in-place change is recorded and differentiated.
    const a = x.mul(3);
    a.add_(x);
    a.sum().backward();
    assertClose(x.grad!, [4, 4]);
  });

  it('detach() cuts the graph but shares the values', () => {
    const x = leaf([1, 2]);
    const d = x.detach();
    assert.equal(d.requiresGrad, false);
    assert.equal(d.gradFn, null);
    assert.equal(d.storage, x.storage);
    // x·2 + detach(x)·3: only the first term is differentiated.
    x.mul(2).add(x.mul(1).detach().mul(3)).sum().backward();
    assertClose(x.grad!, [2, 2]);
  });

  it('noGrad returns the value of fn and records nothing', () => {
    const x = leaf([1, 2]);
    const r = noGrad(() => {
      assert.equal(isGradEnabled(), false);
      return x.mul(x).sum();
    });
    assert.equal(isGradEnabled(), true);
    assert.ok(r instanceof Tensor);
    assert.equal(r.item(), 5);
    assert.equal(r.requiresGrad, false);
    assert.equal(r.gradFn, null);
    assertThrowsMatch(() => r.backward(), AutogradError, /does not require grad/);
    // The mode is restored even when fn throws.
    assert.throws(() =>
      noGrad(() => {
        throw new Error('boom');
      }),
    );
    assert.equal(isGradEnabled(), true);
  });

  it('enableGrad switches recording back on inside noGrad', () => {
    const x = leaf([3]);
    const [outer, inner] = noGrad(() => [x.mul(2), enableGrad(() => x.mul(x))]);
    assert.equal(outer.requiresGrad, false);
    assert.equal(inner.requiresGrad, true);
    inner.sum().backward();
    assertClose(x.grad!, [6]);
  });

  it('only floating-point tensors can require grad', () => {
    assertThrowsMatch(
      () => tensor([1, 2], { dtype: 'int32', requiresGrad: true }),
      AutogradError,
      /^requiresGrad: .*floating-point.*int32/,
    );
    assertThrowsMatch(() => tensor([true]).requiresGrad_(), AutogradError, /dtype bool/);
    const y = leaf([1]).mul(2);
    assertThrowsMatch(() => (y.requiresGrad = false), AutogradError, /non-leaf/, /detach\(\)/);
  });

  it('retainGrad keeps the gradient of a non-leaf', () => {
    const x = leaf([1, -2]);
    const y = x.mul(3);
    const z = x.mul(2);
    y.retainGrad();
    y.mul(y).add(z).sum().backward();
    assertClose(y.grad!, [6, -12]); // 2y
    assert.equal(z.grad, null); // not retained
    assertClose(x.grad!, [20, -34]); // 2y·3 + 2
    assertThrowsMatch(() => tensor([1]).retainGrad(), AutogradError, /^retainGrad: /);
  });

  it('sums the gradients of a tensor used several times (diamond graph)', () => {
    const x = leaf([0.3, -0.7]);
    const a = x.sin();
    const b = x.mul(x);
    // f = sin(x)·x² + x: x reaches f along three paths.
    a.mul(b).add(x).sum().backward();
    const expect = [0.3, -0.7].map((v) => Math.cos(v) * v * v + Math.sin(v) * 2 * v + 1);
    assertClose(x.grad!, expect);
    // The same tensor as both operands.
    const y = leaf([2]);
    y.mul(y).sum().backward();
    assertClose(y.grad!, [4]);
  });

  it('backpropagates through a chain of 20,000 ops without overflowing the stack', () => {
    const x = leaf([1]);
    let y = x;
    const n = 20000;
    for (let i = 0; i < n; i++) y = y.mul(1.0001);
    y.sum().backward();
    assertClose(x.grad!, [1.0001 ** n], { rtol: 1e-9 });
  });

  it('handles ops with several outputs', () => {
    const x = leaf([
      [1, 5, 2],
      [7, 3, 4],
    ]);
    const [values, indices] = max(x, 1);
    assert.equal(indices.requiresGrad, false);
    assert.deepEqual(indices.toArray(), [1, 0]);
    values
      .mul(tensor([2, 3], { dtype: 'float64' }))
      .sum()
      .backward();
    assertClose(x.grad!, [
      [0, 2, 0],
      [3, 0, 0],
    ]);

    // A node with two floating outputs: an output without a gradient counts as zero.
    const SinCos = customFunction({
      name: 'sincos',
      forward: (ctx, u: Tensor) => {
        ctx.saveForBackward(u);
        return [u.sin(), u.cos()];
      },
      backward: (ctx, gs: Tensor, gc: Tensor) => {
        const u = ctx.savedTensors[0];
        return [gs.mul(u.cos()).sub(gc.mul(u.sin()))];
      },
    });
    const v = [0.4, 1.1];
    const t = leaf(v);
    const [s, c] = SinCos.apply(t);
    assert.equal(s.gradFn, c.gradFn);
    assert.equal(c.outputIndex, 1);
    c.sum().backward(null, { retainGraph: true });
    assertClose(
      t.grad!,
      v.map((u) => -Math.sin(u)),
    );
    // Both outputs together: their gradients meet in the same node once.
    t.grad = null;
    s.add(c).sum().backward();
    assertClose(
      t.grad!,
      v.map((u) => Math.cos(u) - Math.sin(u)),
    );
  });

  it('gives gradients the dtype of their leaf', () => {
    const x32 = tensor([1, 2], { requiresGrad: true });
    const y64 = leaf([3, 4]);
    // float32 + float64 promotes to float64; the gradient converts back for x32.
    const z = x32.add(y64).mul(y64).sum();
    assert.equal(z.dtype, 'float64');
    z.backward();
    assert.equal(x32.grad!.dtype, 'float32');
    assert.equal(y64.grad!.dtype, 'float64');
    assertClose(x32.grad!, [3, 4]);
    assertClose(y64.grad!, [7, 10]);
    const w = tensor([1.5], { requiresGrad: true });
    w.double().mul(2).sum().backward();
    assert.equal(w.grad!.dtype, 'float32');
    assertClose(w.grad!, [2]);
  });

  it('integer outputs do not require grad', () => {
    const x = leaf([
      [1, 3],
      [2, 0],
    ]);
    const i = argmax(x, 1);
    assert.equal(i.dtype, 'int32');
    assert.equal(i.requiresGrad, false);
    assert.equal(i.gradFn, null);
    assert.equal(x.argmax().requiresGrad, false);
    assert.equal(x.gt(1).requiresGrad, false);
    assert.equal(x.int().requiresGrad, false);
  });
});
