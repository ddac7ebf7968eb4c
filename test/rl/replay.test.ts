import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IndexError, ShapeError } from '../../src/tensor/errors.js';
import { Generator } from '../../src/tensor/random.js';
import type { TransitionBatch } from '../../src/rl/replay.js';
import { batchToTensors, ReplayMemory } from '../../src/rl/replay.js';
import { assertThrowsMatch, forEachBackend } from '../helpers.js';

/** Transition i: observation [i, −i], action i % 2, reward i / 10, next [i + 1, −i − 1], terminated when i % 5 = 4. */
function pushRange(m: ReplayMemory, from: number, to: number): void {
  for (let i = from; i < to; i++) m.push([i, -i], i % 2, i / 10, [i + 1, -i - 1], i % 5 === 4);
}

/** The transition ids of a batch, checking that every field of each row belongs to the same transition. */
function idsOf(b: TransitionBatch): number[] {
  const ids: number[] = [];
  for (let r = 0; r < b.batchSize; r++) {
    const i = b.observations[2 * r];
    assert.equal(b.observations[2 * r + 1], -i);
    assert.equal(b.actions[r], i % 2);
    assert.equal(b.rewards[r], Math.fround(i / 10));
    assert.deepEqual([b.nextObservations[2 * r], b.nextObservations[2 * r + 1]], [i + 1, -i - 1]);
    assert.equal(b.terminated[r], i % 5 === 4 ? 1 : 0);
    ids.push(i);
  }
  return ids;
}

describe('ReplayMemory', () => {
  it('stores transitions up to its capacity, then overwrites the oldest', () => {
    const m = new ReplayMemory(5, 2);
    assert.equal(m.length, 0);
    pushRange(m, 0, 3);
    assert.equal(m.length, 3);
    assert.deepEqual(idsOf(m.sample(3, new Generator(0))).sort(), [0, 1, 2]);
    pushRange(m, 3, 8);
    assert.equal(m.length, 5);
    assert.equal(m.capacity, 5);
    // 0, 1 and 2 were overwritten by 5, 6 and 7.
    assert.deepEqual(
      idsOf(m.sample(5, new Generator(1))).sort((a, b) => a - b),
      [3, 4, 5, 6, 7],
    );
  });

  it('samples distinct transitions, deterministically for the same generator seed', () => {
    const a = new ReplayMemory(100, 2);
    const b = new ReplayMemory(100, 2);
    pushRange(a, 0, 60);
    pushRange(b, 0, 60);
    const ga = new Generator(5);
    const gb = new Generator(5);
    for (let k = 0; k < 5; k++) {
      const ia = idsOf(a.sample(32, ga));
      assert.equal(new Set(ia).size, 32);
      assert.deepEqual(idsOf(b.sample(32, gb)), ia);
    }
    assert.notDeepEqual(idsOf(a.sample(32, new Generator(6))), idsOf(b.sample(32, new Generator(7))));
  });

  it('samples uniformly', () => {
    const m = new ReplayMemory(10, 2);
    pushRange(m, 0, 10);
    const g = new Generator(3);
    const counts = new Array<number>(10).fill(0);
    const draws = 20_000;
    for (let k = 0; k < draws / 2; k++) for (const i of idsOf(m.sample(2, g))) counts[i]++;
    // Each count is Binomial(10,000 pairs, 0.2) with sd 40: 6 sd is 240.
    for (const c of counts) assert.ok(Math.abs(c - draws / 10) < 240, `counts ${counts.join(' ')}`);
  });

  it('rejects bad sizes, observations and actions', () => {
    assertThrowsMatch(
      () => new ReplayMemory(0, 4),
      IndexError,
      /^ReplayMemory: capacity must be a positive integer, got 0/,
    );
    assertThrowsMatch(() => new ReplayMemory(10, 2.5), IndexError, /observationSize .* got 2\.5/);
    const m = new ReplayMemory(10, 2);
    assertThrowsMatch(
      () => m.push([1, 2, 3], 0, 1, [1, 2], false),
      ShapeError,
      /^ReplayMemory\.push: .*2 values, got 3 and 2/,
    );
    assertThrowsMatch(
      () => m.push([1, 2], 0.5, 1, [1, 2], false),
      IndexError,
      /action must be an integer, got 0\.5/,
    );
    pushRange(m, 0, 3);
    assertThrowsMatch(
      () => m.sample(4, new Generator(0)),
      IndexError,
      /^ReplayMemory\.sample: batchSize .*\[1, 3\].*got 4/,
    );
    assertThrowsMatch(() => m.sample(0, new Generator(0)), IndexError, /got 0/);
  });
});

forEachBackend('batchToTensors', () => {
  it('uploads a batch with the shapes and dtypes a Q-learning update needs', () => {
    const m = new ReplayMemory(8, 2);
    pushRange(m, 0, 8);
    const batch = m.sample(4, new Generator(2));
    const ids = idsOf(batch);
    const t = batchToTensors(batch);
    assert.deepEqual(t.observations.shape, [4, 2]);
    assert.equal(t.observations.dtype, 'float32');
    assert.deepEqual(t.actions.shape, [4, 1]);
    assert.equal(t.actions.dtype, 'int32');
    assert.deepEqual(t.rewards.shape, [4]);
    assert.deepEqual(t.nextObservations.shape, [4, 2]);
    assert.deepEqual(t.terminated.shape, [4]);
    assert.deepEqual(
      t.observations.toArray(),
      ids.map((i) => [i, -i]),
    );
    assert.deepEqual(
      t.actions.toArray(),
      ids.map((i) => [i % 2]),
    );
    assert.deepEqual(
      t.terminated.toArray(),
      ids.map((i) => (i % 5 === 4 ? 1 : 0)),
    );
  });
});
