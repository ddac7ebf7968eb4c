import assert from 'node:assert/strict';
import { it } from 'node:test';
import { DTypeError, Generator, IndexError, ShapeError, ones, tensor } from '../../src/index.js';
import { multinomial, sampleNext } from '../../src/nn/sampling.js';
import { assertThrowsMatch, forEachBackend } from '../helpers.js';

/** Frequencies of each id among the draws. */
function freqs(ids: ArrayLike<number>, n: number): number[] {
  const c = new Array<number>(n).fill(0);
  for (let i = 0; i < ids.length; i++) c[ids[i]]++;
  return c.map((x) => x / ids.length);
}

forEachBackend('sampling', () => {
  it('multinomial with replacement: shape, int32, frequencies match the (unnormalized) weights', () => {
    const probs = tensor([1, 2, 3, 4], { dtype: 'float64' });
    const s = multinomial(probs, 20000, true, { generator: new Generator(1) });
    assert.equal(s.dtype, 'int32');
    assert.deepEqual([...s.shape], [20000]);
    freqs(s.dataSync(), 4).forEach((f, i) => assert.ok(Math.abs(f - (i + 1) / 10) < 0.015, `${i}: ${f}`));
    const batch = multinomial(
      tensor([
        [0, 1, 0],
        [0.5, 0, 0.5],
      ]),
      7,
      true,
      { generator: new Generator(2) },
    );
    assert.deepEqual([...batch.shape], [2, 7]);
    const rows = batch.toArray() as number[][];
    assert.ok(rows[0].every((i) => i === 1));
    assert.ok(rows[1].every((i) => i === 0 || i === 2));
  });

  it('multinomial without replacement: distinct ids; a full draw is a permutation; seeded', () => {
    const probs = tensor([[0.1, 0.2, 0.3, 0.4, 0.5]]);
    const s = multinomial(probs, 5, false, { generator: new Generator(3) }).toArray() as number[][];
    assert.deepEqual([...s[0]].sort(), [0, 1, 2, 3, 4]);
    const a = multinomial(probs, 3, false, { generator: new Generator(4) });
    const b = multinomial(probs, 3, false, { generator: new Generator(4) });
    assert.deepEqual(a.toArray(), b.toArray());
    // The first draw without replacement follows the weights too.
    const g = new Generator(5);
    const first = Array.from(
      { length: 4000 },
      () => multinomial(probs, 2, false, { generator: g }).dataSync()[0],
    );
    assert.ok(Math.abs(freqs(first, 5)[4] - 0.5 / 1.5) < 0.03);
  });

  it('multinomial: clear errors', () => {
    assertThrowsMatch(
      () => multinomial(tensor([0.5, 0.5]), 3),
      IndexError,
      /^multinomial: .*3 samples.*2 categories/,
    );
    assertThrowsMatch(
      () => multinomial(tensor([0, 1, 0]), 2),
      IndexError,
      /^multinomial: .*only 1 categories/,
    );
    assertThrowsMatch(() => multinomial(tensor([0.5, -1]), 1), IndexError, /non-negative/);
    assertThrowsMatch(() => multinomial(tensor([0, 0]), 1, true), IndexError, /sums to 0/);
    assertThrowsMatch(() => multinomial(ones([2, 2, 2]), 1), ShapeError, /1-D or 2-D/);
    assertThrowsMatch(() => multinomial(ones([2]), 0), IndexError, /numSamples/);
  });

  const logits = tensor(
    [
      [2.0, 1.0, 0.5, -1.0, 3.0],
      [0.0, 0.1, -0.2, 0.3, 0.2],
    ],
    { dtype: 'float64' },
  );

  it('sampleNext: topK = 1 and temperature 0 are the argmax', () => {
    const greedy = sampleNext(logits, { topK: 1, generator: new Generator(1) });
    assert.equal(greedy.dtype, 'int32');
    assert.deepEqual(greedy.toArray(), [4, 3]);
    assert.deepEqual(sampleNext(logits, { temperature: 0 }).toArray(), [4, 3]);
    assert.equal(sampleNext(tensor([0.1, 0.7, 0.2]), { temperature: 0 }).item(), 1);
  });

  it('sampleNext: a temperature near 0 tends to the argmax; a high one flattens', () => {
    const g = new Generator(2);
    const cold = Array.from({ length: 200 }, () =>
      sampleNext(logits, { temperature: 0.01, generator: g }).toArray(),
    );
    assert.ok(cold.every((r) => (r as number[])[0] === 4));
    const hot = Array.from(
      { length: 3000 },
      () => sampleNext(logits.select(0, 0), { temperature: 100, generator: g }).item() as number,
    );
    freqs(hot, 5).forEach((f) => assert.ok(Math.abs(f - 0.2) < 0.04, `hot ${f}`));
  });

  it('sampleNext: frequencies match softmax(logits) over many draws', () => {
    const g = new Generator(3);
    const row = [2.0, 1.0, 0.5, -1.0, 3.0];
    const z = row.reduce((s, l) => s + Math.exp(l), 0);
    const draws = Array.from({ length: 20000 }, () => sampleNext(logits, { generator: g }).dataSync()[0]);
    freqs(draws, 5).forEach((f, i) => assert.ok(Math.abs(f - Math.exp(row[i]) / z) < 0.015, `${i}: ${f}`));
  });

  it('sampleNext: topK keeps only the k best, renormalized', () => {
    const g = new Generator(4);
    const draws = Array.from(
      { length: 6000 },
      () => sampleNext(logits, { topK: 2, generator: g }).dataSync()[0],
    );
    const f = freqs(draws, 5);
    assert.equal(f[1] + f[2] + f[3], 0);
    assert.ok(Math.abs(f[4] - Math.exp(3) / (Math.exp(3) + Math.exp(2))) < 0.02);
  });

  it('sampleNext: topP keeps the smallest set reaching p and excludes the tail', () => {
    // probabilities 0.5, 0.3, 0.15, 0.05: p = 0.55 and 0.78 keep {0, 1} (0.5 < p ≤ 0.8).
    const l = tensor([[Math.log(0.5), Math.log(0.3), Math.log(0.15), Math.log(0.05)]], { dtype: 'float64' });
    const g = new Generator(5);
    for (const p of [0.55, 0.78]) {
      const draws = Array.from(
        { length: 4000 },
        () => sampleNext(l, { topP: p, generator: g }).dataSync()[0],
      );
      const f = freqs(draws, 4);
      assert.equal(f[2] + f[3], 0, `p=${p}`);
      assert.ok(Math.abs(f[0] - 0.625) < 0.03, `p=${p}: ${f[0]}`);
    }
    const wider = Array.from(
      { length: 4000 },
      () => sampleNext(l, { topP: 0.81, generator: g }).dataSync()[0],
    );
    assert.ok(freqs(wider, 4)[2] > 0.1);
    assert.equal(freqs(wider, 4)[3], 0);
    // A tiny p still keeps the most likely token.
    assert.deepEqual(sampleNext(l, { topP: 1e-9, generator: g }).toArray(), [0]);
  });

  it('sampleNext: the same seed gives the same draws', () => {
    const a = Array.from({ length: 50 }, (_, i) =>
      sampleNext(logits, { topP: 0.9, topK: 4, generator: new Generator(i) }).toArray(),
    );
    const b = Array.from({ length: 50 }, (_, i) =>
      sampleNext(logits, { topP: 0.9, topK: 4, generator: new Generator(i) }).toArray(),
    );
    assert.deepEqual(a, b);
    assert.ok(new Set(a.map((r) => JSON.stringify(r))).size > 1);
  });

  it('sampleNext: clear errors', () => {
    assertThrowsMatch(() => sampleNext(logits, { temperature: -1 }), IndexError, /^sampleNext: temperature/);
    assertThrowsMatch(() => sampleNext(logits, { topK: 0 }), IndexError, /topK/);
    assertThrowsMatch(() => sampleNext(logits, { topP: 1.5 }), IndexError, /topP/);
    assertThrowsMatch(() => sampleNext(ones([2, 2, 2])), ShapeError, /^sampleNext: .*1-D or 2-D/);
    assertThrowsMatch(() => sampleNext(tensor([1, 2], { dtype: 'int32' })), DTypeError, /floating point/);
    assertThrowsMatch(() => sampleNext(tensor([-Infinity, -Infinity])), IndexError, /-Infinity/);
  });
});
