import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { DTypeError, IndexError, optim, scalar, tensor } from '../../src/index.js';
import { assertThrowsMatch, forEachBackend } from '../helpers.js';

interface Spec {
  kind: string;
  args?: unknown[];
  opts?: Record<string, unknown>;
  schedulers?: Spec[];
  milestones?: number[];
}
interface Run {
  name: string;
  optimizer: 'SGD' | 'Adam';
  spec: Spec;
  metrics: number[] | null;
  lrs: number[][];
  momenta: number[][];
}

const fx = JSON.parse(readFileSync(new URL('../../../fixtures/optim.json', import.meta.url), 'utf8')) as {
  schedulers: Run[];
};

const LAMBDAS: Record<string, (e: number) => number> = {
  pow095: (e) => 0.95 ** e,
  inv: (e) => 1 / (1 + 0.1 * e),
  const09: () => 0.9,
};

/** Two groups with lr 0.1 and 0.05, as in the fixture script. */
function makeOptimizer(kind: 'SGD' | 'Adam'): optim.Optimizer<any> {
  const W = tensor([[1, 2]], { dtype: 'float64', requiresGrad: true });
  const b = tensor([3], { dtype: 'float64', requiresGrad: true });
  const groups = [
    { params: [W], lr: 0.1 },
    { params: [b], lr: 0.05 },
  ];
  return kind === 'Adam' ? new optim.Adam(groups) : new optim.SGD(groups, { lr: 0.1, momentum: 0.9 });
}

type AnyScheduler = optim.Scheduler & { step(metric?: number): void };

function build(opt: optim.Optimizer<any>, spec: Spec): AnyScheduler {
  const args = [...(spec.args ?? [])];
  const o = spec.opts ?? {};
  const S = optim as any;
  switch (spec.kind) {
    case 'LambdaLR':
    case 'MultiplicativeLR': {
      const f = args[0] as string | string[];
      return new S[spec.kind](opt, Array.isArray(f) ? f.map((n) => LAMBDAS[n]) : LAMBDAS[f]);
    }
    case 'SequentialLR':
      return new optim.SequentialLR(
        opt,
        spec.schedulers!.map((s) => build(opt, s) as unknown as optim.LRScheduler),
        spec.milestones!,
      );
    case 'ChainedScheduler':
      return new optim.ChainedScheduler(
        spec.schedulers!.map((s) => build(opt, s) as unknown as optim.LRScheduler),
      );
    case 'ReduceLROnPlateau':
    case 'ConstantLR':
    case 'LinearLR':
    case 'PolynomialLR':
      return new S[spec.kind](opt, o);
    default:
      return new S[spec.kind](opt, ...args, o);
  }
}

const momentum = (opt: optim.Optimizer<any>, kind: string) =>
  opt.paramGroups.map((g: any) => (kind === 'Adam' ? g.betas[0] : g.momentum));

function close(actual: number[], expected: number[], what: string): void {
  assert.equal(actual.length, expected.length, what);
  actual.forEach((a, i) =>
    assert.ok(
      Math.abs(a - expected[i]) <= 1e-12 + 1e-10 * Math.abs(expected[i]),
      `${what}: ${a} vs ${expected[i]}`,
    ),
  );
}

forEachBackend('learning-rate schedulers match PyTorch', () => {
  for (const run of fx.schedulers) {
    it(run.name, () => {
      const opt = makeOptimizer(run.optimizer);
      const s = build(opt, run.spec);
      close(
        opt.paramGroups.map((g) => g.lr),
        run.lrs[0],
        'lr after construction',
      );
      close(momentum(opt, run.optimizer), run.momenta[0], 'momentum after construction');
      for (let i = 1; i < run.lrs.length; i++) {
        opt.step();
        if (run.metrics) s.step(run.metrics[i - 1]);
        else s.step();
        close(s.getLastLr(), run.lrs[i], `lr after step ${i}`);
        close(
          opt.paramGroups.map((g) => g.lr),
          run.lrs[i],
          `group lr after step ${i}`,
        );
        close(momentum(opt, run.optimizer), run.momenta[i], `momentum after step ${i}`);
      }
    });
  }

  it('covers every scheduler', () => {
    const kinds = new Set(fx.schedulers.map((r) => r.spec.kind));
    for (const k of [
      'StepLR',
      'MultiStepLR',
      'ExponentialLR',
      'CosineAnnealingLR',
      'LinearLR',
      'OneCycleLR',
      'LambdaLR',
      'ReduceLROnPlateau',
      'SequentialLR',
      'ChainedScheduler',
    ]) {
      assert.ok(kinds.has(k), k);
    }
  });
});

forEachBackend('scheduler state', () => {
  for (const name of [
    'StepLR',
    'CosineAnnealingLR',
    'OneCycleLR cos',
    'ReduceLROnPlateau min rel',
    'SequentialLR three schedulers',
    'ChainedScheduler',
  ]) {
    it(`stateDict round trip through JSON continues identically: ${name}`, () => {
      const run = fx.schedulers.find((r) => r.name === name)!;
      const stepAll = (s: AnyScheduler, o: optim.Optimizer<any>, from: number, to: number) => {
        const lrs: number[][] = [];
        for (let i = from; i < to; i++) {
          o.step();
          if (run.metrics) s.step(run.metrics[i]);
          else s.step();
          lrs.push(s.getLastLr());
        }
        return lrs;
      };
      const optA = makeOptimizer(run.optimizer);
      const a = build(optA, run.spec);
      stepAll(a, optA, 0, 10);
      const saved = JSON.parse(JSON.stringify({ opt: optA.stateDict(), sched: a.stateDict() }));
      const optB = makeOptimizer(run.optimizer);
      const b = build(optB, run.spec);
      optB.loadStateDict(saved.opt);
      b.loadStateDict(saved.sched);
      assert.deepEqual(stepAll(b, optB, 10, 20), stepAll(a, optA, 10, 20));
    });
  }

  it('ReduceLROnPlateau takes a tensor metric and respects minLr', () => {
    const opt = makeOptimizer('SGD');
    const s = new optim.ReduceLROnPlateau(opt, { patience: 0, factor: 0.5, minLr: 0.04 });
    s.step(scalar(1));
    for (let i = 0; i < 5; i++) s.step(scalar(1));
    assert.deepEqual(s.getLastLr(), [0.04, 0.04]);
  });

  it('LambdaLR leaves its functions out of the state dict', () => {
    const s = new optim.LambdaLR(makeOptimizer('SGD'), LAMBDAS.pow095);
    assert.ok(!('lrLambdas' in s.stateDict()));
    assert.deepEqual(s.stateDict().baseLrs, [0.1, 0.05]);
  });

  it('checks its arguments', () => {
    const opt = makeOptimizer('SGD');
    assertThrowsMatch(() => new optim.StepLR({} as never, 3), DTypeError, /^StepLR: expected an Optimizer/);
    assertThrowsMatch(() => new optim.StepLR(opt, 0), IndexError, /^StepLR: invalid stepSize 0/);
    assertThrowsMatch(
      () => new optim.LinearLR(opt, { startFactor: 2 }),
      IndexError,
      /^LinearLR: invalid startFactor 2 \(must be in \[0, 1\]\)/,
    );
    assertThrowsMatch(
      () => new optim.OneCycleLR(opt, 0.1),
      IndexError,
      /^OneCycleLR: give either totalSteps or/,
    );
    assertThrowsMatch(
      () =>
        new optim.OneCycleLR(new optim.Adagrad([tensor([1], { requiresGrad: true })]), 0.1, {
          totalSteps: 5,
        }),
      IndexError,
      /momentum or betas/,
    );
    assertThrowsMatch(
      () => new optim.LambdaLR(opt, [LAMBDAS.inv]),
      IndexError,
      /^LambdaLR: expected 2 lrLambdas/,
    );
    assertThrowsMatch(
      () => new optim.ReduceLROnPlateau(opt, { factor: 1 }),
      IndexError,
      /^ReduceLROnPlateau: invalid factor 1/,
    );
    assertThrowsMatch(
      () => new optim.ReduceLROnPlateau(opt, { mode: 'up' as never }),
      IndexError,
      /^ReduceLROnPlateau: mode must be 'min' or 'max'/,
    );
    const s1 = new optim.ExponentialLR(opt, 0.9);
    assertThrowsMatch(
      () => new optim.SequentialLR(opt, [s1], [3]),
      IndexError,
      /^SequentialLR: expected 0 milestones for 1 schedulers, got 1/,
    );
    const other = new optim.ExponentialLR(makeOptimizer('SGD'), 0.9);
    assertThrowsMatch(
      () => new optim.ChainedScheduler([s1, other]),
      IndexError,
      /^ChainedScheduler: all schedulers must belong to the same optimizer/,
    );
    const oc = new optim.OneCycleLR(makeOptimizer('SGD'), 0.1, { totalSteps: 2 });
    oc.step();
    oc.step();
    assertThrowsMatch(
      () => oc.step(),
      IndexError,
      /^OneCycleLR: tried to step 4 times; the specified number of total steps is 2/,
    );
  });
});
