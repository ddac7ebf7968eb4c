import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Generator } from '../../src/tensor/random.js';
import { IndexError } from '../../src/tensor/errors.js';
import { CartPole } from '../../src/rl/cartpole.js';
import { boxSpace, discreteSpace, sampleDiscrete, spaceSize } from '../../src/rl/env.js';
import { assertThrowsMatch } from '../helpers.js';

type State = [number, number, number, number];

/**
 * One Euler step of the cart-pole equations (Barto et al. 1983, sign-corrected by Florian 2007),
 * written out from the equations: mc = 1, mp = 0.1, l = 0.5 (half-length), g = 9.8, F = ±10,
 * Δt = 0.02.
 *   θ̈ = [g sinθ + cosθ·(−F − mp·l·θ̇²·sinθ)/(mc + mp)] / [l·(4/3 − mp·cos²θ/(mc + mp))]
 *   ẍ = [F + mp·l·(θ̇²·sinθ − θ̈·cosθ)] / (mc + mp)
 * then x += Δt·ẋ, ẋ += Δt·ẍ, θ += Δt·θ̇, θ̇ += Δt·θ̈ (positions with the old velocities).
 */
function referenceStep([x, v, th, w]: State, action: number): State {
  const mc = 1;
  const mp = 0.1;
  const l = 0.5;
  const g = 9.8;
  const F = action === 1 ? 10 : -10;
  const dt = 0.02;
  const m = mc + mp;
  const thAcc =
    (g * Math.sin(th) + (Math.cos(th) * (-F - mp * l * w * w * Math.sin(th))) / m) /
    (l * (4 / 3 - (mp * Math.cos(th) ** 2) / m));
  const xAcc = (F + mp * l * (w * w * Math.sin(th) - thAcc * Math.cos(th))) / m;
  return [x + dt * v, v + dt * xAcc, th + dt * w, w + dt * thAcc];
}

function assertState(actual: readonly number[], expected: readonly number[], tol = 1e-12): void {
  for (let i = 0; i < 4; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    assert.ok(err <= tol * Math.max(1, Math.abs(expected[i])), `state[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

const THETA_MAX = (12 * 2 * Math.PI) / 360;

describe('CartPole dynamics', () => {
  it('from rest, pushing right: ẍ = 400/41 and θ̈ = −600/41, worked out by hand', () => {
    // sinθ = 0, cosθ = 1: temp = F/(mc+mp) = 100/11; θ̈ = −temp/(0.5·(4/3 − 1/11)) = −600/41;
    // ẍ = temp − 0.05·θ̈/1.1 = 400/41.
    const env = new CartPole();
    env.state = [0, 0, 0, 0];
    const r = env.step(1);
    assertState(env.state, [0, (0.02 * 400) / 41, 0, (-0.02 * 600) / 41]);
    assert.equal(r.reward, 1);
    assert.equal(r.terminated, false);
    assert.equal(r.truncated, false);
    // The observation is the state in float32, as Gymnasium returns it.
    assert.ok(r.observation instanceof Float32Array);
    assert.deepEqual(Array.from(r.observation), env.state.map(Math.fround));
  });

  it('pushing left from rest mirrors pushing right', () => {
    const env = new CartPole();
    env.state = [0, 0, 0, 0];
    env.step(0);
    assertState(env.state, [0, (-0.02 * 400) / 41, 0, (0.02 * 600) / 41]);
  });

  it('matches the reference equations step by step from a general state', () => {
    const env = new CartPole();
    let ref: State = [0.3, -0.7, 0.11, 1.3];
    env.state = ref;
    const actions = [1, 0, 0, 1, 1, 1, 0, 1, 0, 0];
    for (const a of actions) {
      env.step(a);
      ref = referenceStep(ref, a);
      assertState(env.state, ref);
    }
    // A spot value of the first step, from the formulas evaluated once by hand (to 1e-9).
    env.state = [0.3, -0.7, 0.11, 1.3];
    env.step(1);
    assertState(env.state, referenceStep([0.3, -0.7, 0.11, 1.3], 1));
    assert.ok(Math.abs(env.state[0] - 0.286) < 1e-12);
    assert.ok(Math.abs(env.state[2] - 0.136) < 1e-12);
  });

  it('terminates just past |x| = 2.4 and |θ| = 12°, on both sides, with reward 1', () => {
    const env = new CartPole();
    // Δx = 0.02·ẋ exactly (positions move with the old velocity).
    const cases: [State, boolean][] = [
      [[2.39, 0.4, 0, 0], false], // x → 2.398
      [[2.39, 0.6, 0, 0], true], // x → 2.402
      [[-2.39, -0.4, 0, 0], false],
      [[-2.39, -0.6, 0, 0], true],
      [[0, 0, THETA_MAX - 0.01, 0.4], false], // θ → max − 0.002
      [[0, 0, THETA_MAX - 0.01, 0.6], true], // θ → max + 0.002
      [[0, 0, -THETA_MAX + 0.01, -0.4], false],
      [[0, 0, -THETA_MAX + 0.01, -0.6], true],
    ];
    for (const [s, terminated] of cases) {
      env.state = s;
      const r = env.step(1);
      assert.equal(r.terminated, terminated, `from [${s.join(', ')}]`);
      assert.equal(r.reward, 1);
    }
    assert.ok(Math.abs(THETA_MAX - 0.20943951023931953) < 1e-15);
  });

  it('gives reward 0 for steps taken after termination', () => {
    const env = new CartPole();
    env.state = [2.39, 0.6, 0, 0];
    assert.equal(env.step(1).reward, 1);
    const after = env.step(1);
    assert.equal(after.terminated, true);
    assert.equal(after.reward, 0);
  });

  it('truncates at step 500, not before', () => {
    const env = new CartPole();
    // A linear state feedback that keeps the pole up indefinitely.
    let obs = env.reset(3);
    for (let t = 1; t <= 500; t++) {
      const [x, v, th, w] = obs;
      const r = env.step(0.05 * x + 0.2 * v + 10 * th + 2 * w > 0 ? 1 : 0);
      assert.equal(r.terminated, false, `terminated at step ${t}`);
      assert.equal(r.truncated, t === 500, `step ${t}`);
      obs = r.observation;
    }
    assert.equal(env.elapsedSteps, 500);
    // maxEpisodeSteps sets the limit; reset starts counting again.
    const short = new CartPole({ maxEpisodeSteps: 3, generator: new Generator(1) });
    short.reset();
    assert.deepEqual(
      [1, 0, 1].map((a) => short.step(a).truncated),
      [false, false, true],
    );
    short.reset();
    assert.equal(short.step(0).truncated, false);
  });

  it('rejects bad actions, stepping before reset, bad states and bad limits', () => {
    const env = new CartPole();
    assertThrowsMatch(() => env.step(0), IndexError, /^CartPole\.step: call reset\(\)/);
    env.reset(0);
    assertThrowsMatch(() => env.step(2), IndexError, /^CartPole\.step: action must be 0 or 1, got 2/);
    assertThrowsMatch(() => env.step(0.5), IndexError, /got 0\.5/);
    assertThrowsMatch(() => (env.state = [0, 0, 0]), IndexError, /^CartPole\.state: expected 4 finite/);
    assertThrowsMatch(() => (env.state = [0, 0, NaN, 0]), IndexError, /NaN/);
    assertThrowsMatch(() => new CartPole({ maxEpisodeSteps: 0 }), IndexError, /maxEpisodeSteps .* got 0/);
  });
});

describe('CartPole reset and seeding', () => {
  it('draws x, ẋ, θ, θ̇ uniformly in [−0.05, 0.05) from the seeded generator, in that order', () => {
    const env = new CartPole();
    const obs = env.reset(42);
    const g = new Generator(42);
    const expected = [0, 1, 2, 3].map(() => -0.05 + 0.1 * g.nextDouble());
    assertState(env.state, expected, 1e-15);
    assert.deepEqual(Array.from(obs), expected.map(Math.fround));
    for (const v of env.state) assert.ok(v >= -0.05 && v < 0.05);
    assert.equal(env.elapsedSteps, 0);
  });

  it('is deterministic per seed; later resets continue the sequence', () => {
    const a = new CartPole();
    const b = new CartPole();
    const first = Array.from(a.reset(7));
    assert.deepEqual(Array.from(b.reset(7)), first);
    assert.notDeepEqual(Array.from(b.reset(8)), first);
    // reset() without a seed continues from the seeded generator: draws 5–8 of Generator(7).
    const g = new Generator(7);
    for (let i = 0; i < 4; i++) g.nextDouble();
    const next = [0, 1, 2, 3].map(() => -0.05 + 0.1 * g.nextDouble());
    a.reset();
    assertState(a.state, next, 1e-15);
    // A given generator is used as is.
    const c = new CartPole({ generator: new Generator(7) });
    assert.deepEqual(Array.from(c.reset()), first);
    // Whole episodes replay exactly.
    const episode = (env: CartPole, seed: number) => {
      const out: number[] = [];
      env.reset(seed);
      for (let t = 0; t < 30; t++) {
        const r = env.step(t % 3 === 0 ? 0 : 1);
        out.push(...r.observation, r.reward);
        if (r.terminated) break;
      }
      return out;
    };
    assert.deepEqual(episode(a, 11), episode(b, 11));
  });

  it('describes its spaces like CartPole-v1', () => {
    const env = new CartPole();
    assert.deepEqual(env.actionSpace, { kind: 'discrete', n: 2 });
    assert.equal(env.observationSpace.kind, 'box');
    assert.deepEqual(env.observationSpace.shape, [4]);
    assert.equal(spaceSize(env.observationSpace), 4);
    assert.equal(spaceSize(env.actionSpace), 2);
    assert.equal(env.observationSpace.high[0], 4.8);
    assert.ok(Math.abs(env.observationSpace.high[2] - 2 * THETA_MAX) < 1e-15);
    assert.equal(env.observationSpace.low[1], -3.4028234663852886e38);
  });
});

describe('environment spaces', () => {
  it('builds, sizes and samples spaces, rejecting bad descriptions', () => {
    assert.equal(spaceSize(boxSpace([2, 3], new Array(6).fill(-1), new Array(6).fill(1))), 6);
    assert.equal(spaceSize(discreteSpace(5)), 5);
    const g = new Generator(0);
    const seen = new Set(Array.from({ length: 200 }, () => sampleDiscrete(discreteSpace(3), g)));
    assert.deepEqual([...seen].sort(), [0, 1, 2]);
    assertThrowsMatch(
      () => discreteSpace(0),
      IndexError,
      /^discreteSpace: n must be a positive integer, got 0/,
    );
    assertThrowsMatch(
      () => boxSpace([2], [0], [1, 1]),
      IndexError,
      /^boxSpace: .*need 2 elements .*got 1 and 2/,
    );
    assertThrowsMatch(() => boxSpace([1.5], [0], [1]), IndexError, /^boxSpace: box dimensions .*\[1\.5\]/);
  });
});
