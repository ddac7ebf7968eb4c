import assert from 'node:assert/strict';
import { it } from 'node:test';
import {
  DTypeError,
  Generator,
  IndexError,
  bernoulli,
  defaultGenerator,
  full,
  manualSeed,
  normal,
  ones,
  rand,
  randint,
  randn,
  randperm,
  tensor,
  uniform,
  zeros,
} from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { assertThrowsMatch, forEachBackend } from '../helpers.js';

const values = (t: Tensor) => Array.from(t.dataSync());

function stats(t: Tensor): { mean: number; std: number; min: number; max: number } {
  const v = values(t);
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1));
  // A loop, not Math.min(...v): spreading 10^5 arguments overflows a worker's smaller stack.
  return { mean, std, min: v.reduce((a, b) => Math.min(a, b)), max: v.reduce((a, b) => Math.max(a, b)) };
}

forEachBackend('random', () => {
  it('same seed, same numbers; different seeds differ', () => {
    manualSeed(42);
    const a = values(rand([5]));
    const an = values(randn([3]));
    manualSeed(42);
    assert.deepEqual(values(rand([5])), a);
    assert.deepEqual(values(randn([3])), an);
    manualSeed(43);
    assert.notDeepEqual(values(rand([5])), a);
    assert.equal(manualSeed(7), defaultGenerator);
    assert.equal(defaultGenerator.initialSeed(), 7);
  });

  it('pins the generator output, so seeds reproduce across versions and platforms', () => {
    const g = new Generator(0);
    assert.deepEqual([g.nextUint32(), g.nextUint32(), g.nextUint32()], [3809008728, 1133695204, 53579671]);
    manualSeed(0);
    assert.deepEqual(
      values(rand([3], { dtype: 'float64' })),
      [0.8868539502021594, 0.012474988946590604, 0.032522145755498943],
    );
  });

  it('explicit generators are independent of the default one and of each other', () => {
    const g = new Generator(5);
    const first = values(rand([3], { generator: g }));
    rand([10]); // draws from the default generator only
    const second = values(rand([3], { generator: g }));
    assert.deepEqual([...first, ...second], values(rand([6], { generator: new Generator(5) })));
    manualSeed(3);
    const x1 = values(rand([4]));
    manualSeed(3);
    randn([7], { generator: new Generator(9) });
    assert.deepEqual(values(rand([4])), x1);
    assert.notDeepEqual(values(rand([3], { generator: new Generator(1) })), first);
  });

  it('getState/setState resume the exact sequence, also through JSON', () => {
    const g = new Generator(11);
    // An odd count leaves a spare Box–Muller value in the state.
    randn([3], { generator: g });
    const state = g.getState();
    const a = values(randn([5], { generator: g }));
    const u = values(rand([2], { generator: g }));
    g.setState(state);
    assert.deepEqual(values(randn([5], { generator: g })), a);
    const h = new Generator(0).setState(JSON.parse(JSON.stringify(state)));
    assert.deepEqual(values(randn([5], { generator: h })), a);
    assert.deepEqual(values(rand([2], { generator: h })), u);
    // The default generator too.
    const saved = defaultGenerator.getState();
    const d = values(rand([4]));
    defaultGenerator.setState(saved);
    assert.deepEqual(values(rand([4])), d);
    // manualSeed drops the spare normal.
    manualSeed(9);
    const fresh = values(randn([2]));
    manualSeed(9);
    randn([1]);
    manualSeed(9);
    assert.deepEqual(values(randn([2])), fresh);
    assertThrowsMatch(() => g.setState({} as never), IndexError, /^Generator\.setState: /);
    assertThrowsMatch(() => manualSeed(NaN), IndexError, /^manualSeed: seed must be a finite number/);
  });

  it('rand is uniform in [0, 1)', () => {
    manualSeed(1);
    const t = rand([100000]);
    assert.equal(t.dtype, 'float32');
    const s = stats(t);
    assert.ok(s.min >= 0 && s.max < 1, `range [${s.min}, ${s.max}]`);
    assert.ok(Math.abs(s.mean - 0.5) < 0.01, `mean ${s.mean}`);
    assert.ok(Math.abs(s.std - Math.sqrt(1 / 12)) < 0.01, `std ${s.std}`);
    assert.equal(rand([2], { dtype: 'float64' }).dtype, 'float64');
    assert.equal(rand([2], { requiresGrad: true }).requiresGrad, true);
    assert.deepEqual(rand([2, 3]).shape, [2, 3]);
  });

  it('randn has mean 0 and std 1', () => {
    manualSeed(2);
    const s = stats(randn([100000], { dtype: 'float64' }));
    assert.ok(Math.abs(s.mean) < 0.02, `mean ${s.mean}`);
    assert.ok(Math.abs(s.std - 1) < 0.02, `std ${s.std}`);
  });

  it('uniform and normal take their parameters', () => {
    manualSeed(4);
    const u = stats(uniform([20000], -2, 3));
    assert.ok(u.min >= -2 && u.max < 3, `range [${u.min}, ${u.max}]`);
    assert.ok(Math.abs(u.mean - 0.5) < 0.05, `mean ${u.mean}`);
    const n = stats(normal(3, 0.5, [20000], { dtype: 'float64' }));
    assert.ok(Math.abs(n.mean - 3) < 0.02, `mean ${n.mean}`);
    assert.ok(Math.abs(n.std - 0.5) < 0.02, `std ${n.std}`);
    // The shape-first form draws the same numbers.
    assert.deepEqual(
      values(normal([4], 1, 2, { generator: new Generator(8) })),
      values(normal(1, 2, [4], { generator: new Generator(8) })),
    );
    assertThrowsMatch(() => normal(0, -1, [2]), IndexError, /^normal: .*std=-1/);
  });

  it('needs a floating dtype', () => {
    assertThrowsMatch(
      () => rand([2], { dtype: 'int32' }),
      DTypeError,
      /^rand: dtype must be floating point, got int32/,
    );
    assertThrowsMatch(
      () => randn([2], { dtype: 'bool' }),
      DTypeError,
      /^randn: dtype must be floating point/,
    );
    assertThrowsMatch(() => rand([-1]), Error, /^rand: invalid shape/);
  });

  it('randint(high, size) and randint(low, high, size)', () => {
    manualSeed(5);
    const a = randint(10, [2000]);
    assert.equal(a.dtype, 'int32');
    const av = values(a);
    assert.ok(av.every((v) => Number.isInteger(v) && v >= 0 && v < 10));
    assert.equal(new Set(av).size, 10);
    const b = values(randint(-3, 3, [2, 1000]));
    assert.ok(b.every((v) => v >= -3 && v < 3));
    assert.equal(new Set(b).size, 6);
    assert.deepEqual(randint(0, 1, [3]).toArray(), [0, 0, 0]);
    assert.deepEqual(
      values(randint(5, 9, [6], { generator: new Generator(3) })),
      values(randint(5, 9, [6], { generator: new Generator(3) })),
    );
    assert.equal(randint(4, [2], { dtype: 'float64' }).dtype, 'float64');
    assertThrowsMatch(
      () => randint(5, 5, [2]),
      IndexError,
      /^randint: expected integers low < high, got low=5, high=5/,
    );
    assertThrowsMatch(() => randint(1.5, [2]), IndexError, /^randint: /);
  });

  it('randperm is a permutation', () => {
    manualSeed(6);
    const p = randperm(50);
    assert.equal(p.dtype, 'int32');
    const v = values(p);
    assert.deepEqual(
      [...v].sort((x, y) => x - y),
      Array.from({ length: 50 }, (_, i) => i),
    );
    assert.notDeepEqual(
      v,
      Array.from({ length: 50 }, (_, i) => i),
    );
    assert.equal(randperm(0).numel(), 0);
    assert.deepEqual(randperm(1).toArray(), [0]);
    assert.equal(randperm(4, { dtype: 'float64' }).dtype, 'float64');
    assertThrowsMatch(() => randperm(-1), IndexError, /^randperm: n must be a non-negative integer, got -1/);
  });

  it('bernoulli draws 1 with probability p', () => {
    manualSeed(7);
    const s = stats(bernoulli(full([20000], 0.3)));
    assert.ok(Math.abs(s.mean - 0.3) < 0.02, `mean ${s.mean}`);
    const d = bernoulli(tensor([0, 1, 0, 1], { dtype: 'float64' }));
    assert.equal(d.dtype, 'float64');
    assert.deepEqual(d.toArray(), [0, 1, 0, 1]);
    assert.ok(values(zeros([100]).bernoulli()).every((v) => v === 0));
    assert.ok(values(ones([100]).bernoulli()).every((v) => v === 1));
    const p = full([10], 0.5);
    assert.deepEqual(
      values(bernoulli(p, { generator: new Generator(1) })),
      values(p.bernoulli({ generator: new Generator(1) })),
    );
    assertThrowsMatch(
      () => bernoulli(tensor([0.5, 1.5])),
      IndexError,
      /^bernoulli: probabilities must be in \[0, 1\], got values in \[0\.5, 1\.5\]/,
    );
    assertThrowsMatch(() => bernoulli(tensor([-0.1])), IndexError, /^bernoulli: probabilities must be in/);
    assertThrowsMatch(() => bernoulli(tensor([NaN])), IndexError, /^bernoulli: probabilities must be in/);
    assertThrowsMatch(() => bernoulli(tensor([1], { dtype: 'int32' })), DTypeError, /^bernoulli: .*int32/);
  });
});
