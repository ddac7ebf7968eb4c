import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import type { Tensor } from '../../src/index.js';
import { AutogradError, DTypeError, IndexError, ShapeError, cat, optim, tensor } from '../../src/index.js';
import { assertClose, assertThrowsMatch, forEachBackend } from '../helpers.js';

interface Enc {
  shape: number[];
  data: number[];
}
interface GroupSpec {
  params: ('W' | 'b')[];
  opts: Record<string, unknown>;
}
interface Run {
  name: string;
  optimizer: 'SGD' | 'Adam' | 'AdamW' | 'RMSprop' | 'Adagrad';
  defaults: Record<string, unknown>;
  groups: GroupSpec[] | null;
  losses: number[];
  params: number[][];
}

const fx = JSON.parse(readFileSync(new URL('../../../fixtures/optim.json', import.meta.url), 'utf8')) as {
  problem: Record<'X' | 'Y' | 'W' | 'b', Enc>;
  optimizers: Run[];
};

const dec = (e: Enc, requiresGrad = false) =>
  tensor(e.data, { shape: e.shape, dtype: 'float64', requiresGrad });
const classes = {
  SGD: optim.SGD,
  Adam: optim.Adam,
  AdamW: optim.AdamW,
  RMSprop: optim.RMSprop,
  Adagrad: optim.Adagrad,
} as const;

/** The fixture's problem: loss = mean((tanh(X W + b) − Y)²) + 0.1·ΣW². */
function problem() {
  const X = dec(fx.problem.X);
  const Y = dec(fx.problem.Y);
  const W = dec(fx.problem.W, true);
  const b = dec(fx.problem.b, true);
  const loss = () => X.matmul(W).add(b).tanh().sub(Y).pow(2).mean().add(W.pow(2).sum().mul(0.1));
  return { W, b, loss };
}

function makeOptimizer(run: Run, W: Tensor, b: Tensor): optim.Optimizer<any> {
  const named = { W, b };
  const params = run.groups
    ? run.groups.map((g) => ({ ...g.opts, params: g.params.map((n) => named[n]) }))
    : [W, b];
  return new classes[run.optimizer](params as any, run.defaults as any);
}

const flat = (W: Tensor, b: Tensor) => cat([W.flatten(), b]);

forEachBackend('optimizers match PyTorch (20 steps, float64)', () => {
  for (const run of fx.optimizers) {
    it(run.name, () => {
      const { W, b, loss } = problem();
      const opt = makeOptimizer(run, W, b);
      run.params.forEach((expected, i) => {
        opt.zeroGrad();
        const l = loss();
        assertClose(l, run.losses[i], { atol: 1e-10, rtol: 1e-8 });
        l.backward();
        opt.step();
        assertClose(flat(W, b), expected, { atol: 1e-10, rtol: 1e-8 });
      });
    });
  }
  it('covers every optimizer and the option combinations', () => {
    const names = fx.optimizers.map((r) => r.name).join(' | ');
    for (const k of ['sgd nesterov', 'amsgrad', 'centered', 'lrDecay', 'maximize', 'two groups']) {
      assert.ok(names.includes(k), k);
    }
    assert.deepEqual(new Set(fx.optimizers.map((r) => r.optimizer)), new Set(Object.keys(classes)));
  });
});

/** Turns every tensor of a state dict into nested arrays, as a JSON file would hold them. */
function asJson(sd: optim.OptimizerStateDict): optim.OptimizerStateDict {
  return JSON.parse(JSON.stringify(sd, (_k, v) => (v instanceof Object && 'storage' in v ? v.toArray() : v)));
}

forEachBackend('optimizer state', () => {
  for (const run of fx.optimizers.filter((r) =>
    /momentum|amsgrad|centered|lrDecay|two groups/.test(r.name),
  )) {
    it(`stateDict round trip continues identically: ${run.name}`, () => {
      const train = (p: ReturnType<typeof problem>, opt: optim.Optimizer<any>, n: number) => {
        for (let i = 0; i < n; i++) {
          opt.zeroGrad();
          p.loss().backward();
          opt.step();
        }
      };
      // Saved as is, and as a JSON file would hold it (tensors as nested arrays).
      for (const json of [false, true]) {
        const a = problem();
        const optA = makeOptimizer(run, a.W, a.b);
        train(a, optA, 10);
        const sd = optA.stateDict();
        const b = problem();
        b.W.detach().copy_(a.W);
        b.b.detach().copy_(a.b);
        const optB = makeOptimizer(run, b.W, b.b);
        optB.loadStateDict(json ? asJson(sd) : sd);
        // Both continue: the fresh optimizer exactly as the uninterrupted one.
        train(a, optA, 10);
        train(b, optB, 10);
        assert.deepEqual(flat(b.W, b.b).toArray(), flat(a.W, a.b).toArray());
        assert.deepEqual(optB.stateDict().paramGroups, optA.stateDict().paramGroups);
      }
    });
  }

  it('has PyTorch-shaped state dicts', () => {
    const { W, b, loss } = problem();
    const opt = new optim.Adam([{ params: [W] }, { params: [b], lr: 0.1 }], { lr: 0.01, amsgrad: true });
    loss().backward();
    opt.step();
    const sd = opt.stateDict();
    assert.deepEqual(
      sd.paramGroups.map((g) => g.params),
      [[0], [1]],
    );
    assert.equal(sd.paramGroups[1].lr, 0.1);
    assert.deepEqual(sd.paramGroups[0].betas, [0.9, 0.999]);
    assert.deepEqual(Object.keys(sd.state), ['0', '1']);
    assert.deepEqual(Object.keys(sd.state['0']).sort(), ['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq', 'step']);
    assert.equal(sd.state['0'].step, 1);
  });

  it('skips parameters without a gradient and reads a mutable lr', () => {
    const { W, b, loss } = problem();
    const unused = tensor([1, 2], { dtype: 'float64', requiresGrad: true });
    const opt = new optim.SGD([W, b, unused], { lr: 0.1, momentum: 0.9 });
    loss().backward();
    const w0 = W.toArray();
    opt.paramGroups[0].lr = 0;
    opt.step();
    assert.deepEqual(W.toArray(), w0);
    assert.deepEqual(unused.toArray(), [1, 2]);
    assert.equal(opt.state.has(unused), false);
    assert.equal(opt.state.has(W), true);
  });

  it('updates in place, bumping the version counter', () => {
    const { W, b, loss } = problem();
    const opt = new optim.SGD([W, b], { lr: 0.1 });
    const y = W.mul(W).sum();
    loss().backward();
    const v = W.version;
    const storage = W.storage;
    opt.step();
    assert.ok(W.version > v);
    assert.equal(W.storage, storage);
    // A graph that saved W before the update refuses to run with the new values.
    assert.throws(() => y.backward(), AutogradError);
  });

  it('zeroGrad sets gradients to null, or to zeros in place', () => {
    const { W, b, loss } = problem();
    const opt = new optim.SGD([W, b], { lr: 0.1 });
    loss().backward();
    const g = W.grad!;
    opt.zeroGrad(false);
    assert.equal(W.grad, g);
    assert.ok((W.grad!.toArray() as number[][]).flat().every((v) => v === 0));
    opt.zeroGrad();
    assert.equal(W.grad, null);
    assert.equal(b.grad, null);
  });

  it('step(closure) re-evaluates and returns the loss', () => {
    const { W, b, loss } = problem();
    const opt = new optim.Adam([W, b], { lr: 0.01 });
    const l = opt.step(() => {
      opt.zeroGrad();
      const v = loss();
      v.backward();
      return v;
    });
    assertClose(l!, fx.optimizers.find((r) => r.name === 'adam')!.losses[0], { atol: 1e-12 });
  });

  it('validates options and parameters like PyTorch', () => {
    const { W, b } = problem();
    assertThrowsMatch(() => new optim.SGD([W]), IndexError, /^SGD: lr is required/);
    assertThrowsMatch(
      () => new optim.SGD([W], { lr: -1 }),
      IndexError,
      /^SGD: invalid lr -1 \(must be >= 0\)/,
    );
    assertThrowsMatch(
      () => new optim.SGD([W], { lr: 0.1, nesterov: true }),
      IndexError,
      /^SGD: Nesterov momentum requires/,
    );
    assertThrowsMatch(
      () => new optim.Adam([W], { betas: [1, 0.9] }),
      IndexError,
      /^Adam: invalid betas\[0\] 1 \(must be in \[0, 1\)\)/,
    );
    assertThrowsMatch(
      () => new optim.RMSprop([W], { alpha: -0.1 }),
      IndexError,
      /^RMSprop: invalid alpha -0.1/,
    );
    assertThrowsMatch(
      () => new optim.Adagrad([W], { lrDecay: -1 }),
      IndexError,
      /^Adagrad: invalid lrDecay -1/,
    );
    assertThrowsMatch(() => new optim.SGD([], { lr: 0.1 }), IndexError, /^SGD: got an empty parameter list/);
    assertThrowsMatch(
      () => new optim.SGD([{ params: [W] }, { params: [W, b] }], { lr: 0.1 }),
      IndexError,
      /^SGD: some parameters appear in more than one parameter group/,
    );
    assertThrowsMatch(
      () => new optim.Adam([W.mul(2)]),
      AutogradError,
      /^Adam: cannot optimize a non-leaf tensor/,
    );
    assertThrowsMatch(
      () => new optim.Adam([tensor([1], { dtype: 'int32' })]),
      DTypeError,
      /^Adam: can only optimize floating-point/,
    );
    const opt = new optim.SGD([W, b], { lr: 0.1 });
    assertThrowsMatch(
      () => opt.loadStateDict(new optim.SGD([{ params: [W] }, { params: [b] }], { lr: 0.1 }).stateDict()),
      ShapeError,
      /^SGD.loadStateDict: the state dict has 2 parameter groups, the optimizer 1/,
    );
    assertThrowsMatch(
      () =>
        opt.loadStateDict({
          state: { 0: { momentum_buffer: tensor([1, 2, 3]) } },
          paramGroups: [{ params: [0, 1], lr: 0.1 }],
        }),
      ShapeError,
      /^SGD.loadStateDict: state 'momentum_buffer' of parameter 0 has shape \[3\], but the parameter has shape \[3,2\]/,
    );
  });

  it('adds parameter groups with the defaults filled in', () => {
    const { W, b } = problem();
    const opt = new optim.AdamW([W], { lr: 0.01 });
    opt.addParamGroup({ params: b, lr: 0.5 });
    assert.equal(opt.paramGroups[1].lr, 0.5);
    assert.equal(opt.paramGroups[1].weightDecay, 0.01);
    assert.deepEqual(opt.paramGroups[1].params, [b]);
  });
});
