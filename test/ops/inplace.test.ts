import assert from 'node:assert/strict';
import { it } from 'node:test';
import { AutogradError, DTypeError, ShapeError, noGrad, tensor } from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { assertClose, assertThrowsMatch, forEachBackend, leaf, ramp } from '../helpers.js';

forEachBackend('in-place ops', () => {
  it('change values in place and return the same tensor', () => {
    const x = tensor([1, 2, 3]);
    assert.equal(x.add_(1), x);
    assertClose(x, [2, 3, 4]);
    x.sub_(tensor([1, 1, 1]), { alpha: 2 });
    assertClose(x, [0, 1, 2]);
    x.add_(1, { alpha: 3 });
    assertClose(x, [3, 4, 5]);
    x.mul_(tensor([2, 0.5, 1]));
    assertClose(x, [6, 2, 5]);
    x.div_(2);
    assertClose(x, [3, 1, 2.5]);
    x.clamp_(1.5, 2.6);
    assertClose(x, [2.6, 1.5, 2.5]);
    x.clamp_(null, 2);
    assertClose(x, [2, 1.5, 2]);
    x.clamp_(1.8);
    assertClose(x, [2, 1.8, 2]);
    x.fill_(7);
    assertClose(x, [7, 7, 7]);
    x.zero_();
    assertClose(x, [0, 0, 0]);
    x.copy_(tensor([4, 5, 6]));
    assertClose(x, [4, 5, 6]);
  });

  it('broadcast the other operand to the tensor, never the other way', () => {
    const m = tensor([
      [1, 2],
      [3, 4],
    ]);
    m.add_(tensor([10, 20]));
    assertClose(m, [
      [11, 22],
      [13, 24],
    ]);
    m.copy_(tensor([[0], [1]]));
    assertClose(m, [
      [0, 0],
      [1, 1],
    ]);
    assertThrowsMatch(
      () => tensor([1, 2]).add_(tensor([[1, 2]])),
      ShapeError,
      /^add_: the result's shape \[1,2\] does not match the tensor's \[2\]/,
    );
  });

  it('bump the version and show through views made by reshape', () => {
    const a = tensor([1, 2, 3, 4]);
    const v = a.reshape([2, 2]);
    const before = a.version;
    a.add_(1);
    assert.equal(a.version, before + 1);
    assert.equal(v.version, a.version);
    assertClose(v, [
      [2, 3],
      [4, 5],
    ]);
    v.mul_(2);
    assertClose(a, [4, 6, 8, 10]);
    const d = a.detach();
    d.zero_();
    assertClose(a, [0, 0, 0, 0]);
  });

  it('keep the dtype: an int tensor cannot take a fractional result', () => {
    const i = tensor([1, 2], { dtype: 'int32' });
    assertThrowsMatch(() => i.add_(0.5), DTypeError, /^add_: .*float32.*int32/);
    assertThrowsMatch(() => i.mul_(tensor([1.5, 1])), DTypeError, /^mul_: .*float32.*int32/);
    i.add_(3);
    assert.deepEqual(i.toArray(), [4, 5]);
    // copy_ and fill_ convert to the tensor's dtype, as in PyTorch.
    i.copy_(tensor([1.7, -2.2]));
    assert.deepEqual(i.toArray(), [1, -2]);
    i.fill_(9.9);
    assert.deepEqual(i.toArray(), [9, 9]);
    const f = tensor([1, 2], { dtype: 'float64' });
    f.add_(tensor([1, 1], { dtype: 'float32' }));
    assert.equal(f.dtype, 'float64');
    assertThrowsMatch(
      () => tensor([1, 2]).add_(tensor([1, 1], { dtype: 'float64' })),
      DTypeError,
      /^add_: .*float64.*float32/,
    );
  });

  it('update a leaf parameter under noGrad, and refuse to with grad on', () => {
    const w = leaf([1, 2]);
    const loss = w.mul(w).sum();
    loss.backward();
    noGrad(() => w.sub_(w.grad!, { alpha: 0.25 }));
    assertClose(w, [0.5, 1]);
    assert.equal(w.isLeaf, true);
    assert.equal(w.requiresGrad, true);
    noGrad(() => w.grad!.zero_());
    assertClose(w.grad!, [0, 0]);
    for (const [name, f] of [
      ['add_', () => w.add_(1)],
      ['mul_', () => w.mul_(2)],
      ['clamp_', () => w.clamp_(0, 1)],
      ['copy_', () => w.copy_(tensor([1, 1], { dtype: 'float64' }))],
      ['zero_', () => w.zero_()],
    ] as const) {
      assertThrowsMatch(f, AutogradError, new RegExp(`^${name}: a leaf tensor that requires grad .*noGrad`));
    }
    // Through a view too: it would change the leaf behind its .grad's back.
    assertThrowsMatch(
      () => w.reshape([2, 1]).add_(1),
      AutogradError,
      /^add_: a view \(shape \[2,1\]\) of a leaf tensor that requires grad \(shape \[2\]\)/,
    );
    assertClose(w, [0.5, 1]);
  });

  it('refuse a backward that needs a value modified since', () => {
    const x = leaf([1, 2]);
    const w = leaf([3, 4]);
    const y = x.exp();
    const z = y.mul(w);
    y.add_(1);
    assertThrowsMatch(
      () => z.sum().backward(),
      AutogradError,
      /^backward: .*saved by 'mul' was modified by an in-place operation/,
    );
    // mul saves both operands: changing y's source through noGrad is caught as well.
    const a = leaf([1, 2]);
    const b = a.mul(2);
    const c = b.mul(b);
    noGrad(() => b.zero_());
    assertThrowsMatch(() => c.sum().backward(), AutogradError, /modified by an in-place operation/);
  });

  it('refuse to use a view whose storage changed in place after it was made', () => {
    const x = leaf([1, 2, 3, 4]);
    const y = x.add(1);
    const v = y.reshape([2, 2]);
    y.mul_(x);
    assertThrowsMatch(() => v.sum(), AutogradError, /^sum: .*modified by an in-place operation/);
    const p = x.add(1);
    const q = p.reshape([2, 2]);
    q.mul_(2);
    assertThrowsMatch(() => p.mul(3), AutogradError, /^mul: .*modified by an in-place operation/);
    // The updated view itself, and views taken from it, are fine.
    q.reshape([4]).sum().backward();
    assertClose(x.grad!, [2, 2, 2, 2]);
  });

  it('give the same gradients as the out-of-place ops on a non-leaf', () => {
    const chain = (x: Tensor, w: Tensor, inPlace: boolean): Tensor => {
      const y = x.mul(2);
      if (inPlace) {
        y.add_(w).mul_(x).div_(w.add(3)).sub_(x, { alpha: 0.5 }).clamp_(-0.6, 0.6);
        return y;
      }
      return y.add(w).mul(x).div(w.add(3)).sub(x, { alpha: 0.5 }).clamp(-0.6, 0.6);
    };
    const xs = [ramp([3, 4]), ramp([3, 4], -0.5, 1.5)];
    const x2 = xs.map((t) => t.detach().requiresGrad_());
    const outA = chain(xs[0], xs[1], true);
    const outB = chain(x2[0], x2[1], false);
    assertClose(outA, outB);
    const seed = ramp([3, 4], 0.5, 2, false);
    outA.mul(seed).sum().backward();
    outB.mul(seed).sum().backward();
    assertClose(xs[0].grad!, x2[0].grad!);
    assertClose(xs[1].grad!, x2[1].grad!);
    // Some elements are clamped, so the check covers both branches of clamp_.
    const g = Array.from(xs[0].grad!.dataSync());
    assert.ok(g.some((v) => v === 0) && g.some((v) => v !== 0));
  });

  it('make a tensor that needs no grad take the history of its operand', () => {
    const a = tensor([1, 2], { dtype: 'float64' });
    const b = leaf([3, 4]);
    a.add_(b).mul_(b);
    assert.equal(a.requiresGrad, true);
    assert.equal(a.isLeaf, false);
    a.sum().backward();
    assertClose(b.grad!, [2 * 3 + 1, 2 * 4 + 2]);
    // copy_ from a leaf routes the gradient to that leaf.
    const c = leaf([5, 6]);
    const t = tensor([0, 0], { dtype: 'float64' });
    t.copy_(c);
    t.mul(t).sum().backward();
    assertClose(c.grad!, [10, 12]);
  });
});
