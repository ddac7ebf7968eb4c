import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { FunctionCtx, Tensor } from '../../src/index.js';
import {
  AutogradError,
  autograd,
  customFunction,
  isGradEnabled,
  noGrad,
  sumToShape,
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

/** exp with its own backward that reuses the saved output, as in PyTorch's Function docs. */
const Exp = customFunction({
  name: 'myExp',
  forward(ctx: FunctionCtx, x: Tensor) {
    const out = x.exp();
    ctx.saveForBackward(out);
    return out;
  },
  backward(ctx: FunctionCtx, g: Tensor) {
    const [out] = ctx.savedTensors;
    return g.mul(out);
  },
});

/** a·x^p + b with a number exponent and a number-or-tensor offset: non-tensor args get null. */
const ScaledPow = customFunction({
  name: 'scaledPow',
  forward(ctx: FunctionCtx, a: Tensor, x: Tensor, p: number) {
    ctx.saveForBackward(a, x);
    ctx.state.p = p;
    return a.mul(x.pow(p));
  },
  backward(ctx: FunctionCtx, g: Tensor) {
    const [a, x] = ctx.savedTensors;
    const p = ctx.state.p as number;
    return [
      ctx.needsInputGrad[0] ? sumToShape(g.mul(x.pow(p)), a.shape) : null,
      ctx.needsInputGrad[1]
        ? g
            .mul(a)
            .mul(x.pow(p - 1))
            .mul(p)
        : null,
      null,
    ];
  },
});

forEachBackend('customFunction', () => {
  it('runs forward and the custom backward', () => {
    const x = leaf([0, 1, -0.5]);
    const y = Exp.apply(x);
    assertClose(y, [1, Math.E, Math.exp(-0.5)]);
    assert.equal(y.gradFn!.name, 'myExp');
    y.mul(tensor([1, 2, 3], { dtype: 'float64' }))
      .sum()
      .backward();
    assertClose(x.grad!, [1, 2 * Math.E, 3 * Math.exp(-0.5)]);
    checkGrad((t) => Exp.apply(t), [ramp([2, 3])]);
  });

  it('forward runs without recording; no input requiring grad means no node', () => {
    const modes: boolean[] = [];
    const Spy = customFunction({
      forward(_ctx: FunctionCtx, x: Tensor) {
        modes.push(isGradEnabled());
        return x.mul(2);
      },
      backward: (_ctx: FunctionCtx, g: Tensor) => g.mul(2),
    });
    const y = Spy.apply(leaf([1]));
    assert.deepEqual(modes, [false]);
    assert.equal(isGradEnabled(), true);
    assert.equal(y.gradFn!.name, 'customFunction'); // the default name
    // The node links straight to the input: the ops inside forward left no trace.
    assert.equal(y.gradFn!.edges.length, 1);
    assert.ok(y.gradFn!.edges[0] && 'leaf' in y.gradFn!.edges[0]);
    const z = Spy.apply(tensor([1], { dtype: 'float64' }));
    assert.equal(z.requiresGrad, false);
    assert.equal(noGrad(() => Spy.apply(leaf([1]))).requiresGrad, false);
  });

  it('takes non-tensor arguments, whose gradients are null', () => {
    const a = leaf([2, -1]);
    const x = leaf([0.5, 1.5]);
    ScaledPow.apply(a, x, 3).sum().backward();
    assertClose(a.grad!, [0.125, 3.375]); // x³
    assertClose(x.grad!, [1.5, -6.75]); // 3 a x²
    checkGrad((s, t) => ScaledPow.apply(s, t, 2.5), [ramp([2, 3]), ramp([2, 3], 0.5, 2)]);
  });

  it('needsInputGrad says which inputs need a gradient', () => {
    const seen: boolean[][] = [];
    const Probe = customFunction({
      forward(ctx: FunctionCtx, a: Tensor, k: number, b: Tensor) {
        seen.push([...ctx.needsInputGrad]);
        return a.mul(b).mul(k);
      },
      backward(ctx: FunctionCtx, g: Tensor) {
        seen.push([...ctx.needsInputGrad]);
        return [null, null, g];
      },
    });
    const b = leaf([1]);
    Probe.apply(tensor([2], { dtype: 'float64' }), 3, b)
      .sum()
      .backward();
    assert.deepEqual(seen, [
      [false, false, true],
      [false, false, true],
    ]);
    assertClose(b.grad!, [1]);
  });

  it('a wrong number of returned gradients is an AutogradError', () => {
    const Bad = customFunction({
      name: 'badGrads',
      forward: (_ctx: FunctionCtx, x: Tensor, y: Tensor) => x.add(y),
      backward: (_ctx: FunctionCtx, g: Tensor) => [g],
    });
    assertThrowsMatch(
      () =>
        Bad.apply(leaf([1]), leaf([2]))
          .sum()
          .backward(),
      AutogradError,
      /^badGrads: backward returned 1 gradients, but forward took 2 arguments/,
    );
    const BadShape = customFunction({
      name: 'badShape',
      forward: (_ctx: FunctionCtx, x: Tensor) => x.sum(),
      backward: (_ctx: FunctionCtx, g: Tensor) => g,
    });
    assertThrowsMatch(
      () => BadShape.apply(leaf([1, 2])).backward(),
      AutogradError,
      /'badShape' returned a gradient of shape \[\] for input 0 of shape \[2\]/,
    );
  });

  it('a backward written with ops supports double backward', () => {
    const xs = [0.3, -1.2];
    const x = leaf(xs);
    const [g] = autograd.grad(Exp.apply(x).pow(2).sum(), [x], { createGraph: true });
    assertClose(
      g!,
      xs.map((v) => 2 * Math.exp(2 * v)),
    );
    const [gg] = autograd.grad(g!.sum(), [x]);
    assertClose(
      gg!,
      xs.map((v) => 4 * Math.exp(2 * v)),
    );
    checkGradGrad((t) => Exp.apply(t), [ramp([3])]);
    checkGradGrad((s, t) => ScaledPow.apply(s, t, 3), [ramp([2]), ramp([2], 0.5, 1.5)]);
  });

  it('an output that is an input gets its own node', () => {
    const Id = customFunction({
      name: 'identityTwice',
      forward: (_ctx: FunctionCtx, x: Tensor) => x,
      backward: (_ctx: FunctionCtx, g: Tensor) => g.mul(2),
    });
    const x = leaf([1, 2]);
    const y = Id.apply(x);
    assert.notEqual(y, x);
    assert.equal(x.isLeaf, true);
    y.sum().backward();
    assertClose(x.grad!, [2, 2]);
  });
});
