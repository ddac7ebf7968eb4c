import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Tensor } from '../../src/index.js';
import { DTypeError, Generator, IndexError, data } from '../../src/index.js';
import { assertClose, assertThrowsMatch, forEachBackend } from '../helpers.js';

const { xor, moons, circles, spirals } = data;

function rowsOf(x: Tensor, y: Tensor): string[] {
  const xs = x.toArray() as number[][];
  const ys = y.toArray() as number[];
  return xs.map((r, i) => `${r[0]},${r[1]}:${ys[i]}`).sort();
}

function std(values: number[]): number {
  const m = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((a, b) => a + (b - m) ** 2, 0) / values.length);
}

forEachBackend('data synthetic datasets', () => {
  test('xor: the truth table, repeated to n points', () => {
    const { x, y } = xor();
    assertClose(x, [
      [0, 0],
      [0, 1],
      [1, 0],
      [1, 1],
    ]);
    assert.equal(x.dtype, 'float32');
    assert.equal(y.dtype, 'int32');
    assert.deepEqual(y.toArray(), [0, 1, 1, 0]);
    const big = xor(10, { dtype: 'float64' });
    assert.deepEqual(big.x.shape, [10, 2]);
    assert.equal(big.x.dtype, 'float64');
    assert.deepEqual(big.y.toArray(), [0, 1, 1, 0, 0, 1, 1, 0, 0, 1]);
  });

  test("moons: scikit-learn's make_moons geometry (values from numpy)", () => {
    const { x, y } = moons(7, { shuffle: false, dtype: 'float64' });
    assertClose(
      x,
      [
        [1.0, 0.0],
        [6.123233995736766e-17, 1.0],
        [-1.0, 1.2246467991473532e-16],
        [0.0, 0.5],
        [0.4999999999999999, -0.3660254037844385],
        [1.4999999999999998, -0.3660254037844387],
        [2.0, 0.4999999999999999],
      ],
      { atol: 1e-15, rtol: 1e-12 },
    );
    assert.deepEqual(y.toArray(), [0, 0, 0, 1, 1, 1, 1]);
  });

  test("circles: scikit-learn's make_circles geometry (values from numpy)", () => {
    const { x, y } = circles(6, { shuffle: false, factor: 0.5, dtype: 'float64' });
    assertClose(
      x,
      [
        [1.0, 0.0],
        [-0.4999999999999997, 0.8660254037844387],
        [-0.5000000000000003, -0.8660254037844383],
        [0.5, 0.0],
        [-0.24999999999999986, 0.43301270189221935],
        [-0.25000000000000017, -0.43301270189221913],
      ],
      { atol: 1e-15, rtol: 1e-12 },
    );
    assert.deepEqual(y.toArray(), [0, 0, 0, 1, 1, 1]);
    // Default factor 0.8: every inner point has radius 0.8.
    const d = circles(40, { shuffle: false, dtype: 'float64' });
    const pts = d.x.toArray() as number[][];
    pts.forEach((p, i) => assert.ok(Math.abs(Math.hypot(p[0], p[1]) - (i < 20 ? 1 : 0.8)) < 1e-12));
  });

  test('shuffling permutes the samples with their labels; a seed fixes it', () => {
    const plain = moons(20, { shuffle: false, dtype: 'float64' });
    const a = moons(20, { generator: new Generator(4), dtype: 'float64' });
    const b = moons(20, { generator: new Generator(4), dtype: 'float64' });
    assert.deepEqual(rowsOf(a.x, a.y), rowsOf(plain.x, plain.y));
    assert.notDeepEqual(a.y.toArray(), plain.y.toArray());
    assert.deepEqual(a.x.toArray(), b.x.toArray());
    assert.deepEqual(a.y.toArray(), b.y.toArray());
  });

  test('noise is Gaussian with the given standard deviation', () => {
    const n = 4000;
    const clean = moons(n, { shuffle: false, dtype: 'float64' });
    const noisy = moons(n, { shuffle: false, noise: 0.1, generator: new Generator(0), dtype: 'float64' });
    const diff = Array.from(noisy.x.sub(clean.x).dataSync());
    assert.ok(Math.abs(std(diff) - 0.1) < 0.005, `std ${std(diff)}`);
    const c = circles(n, { noise: 0.05, generator: new Generator(1), dtype: 'float64', shuffle: false });
    const cd = Array.from(c.x.sub(circles(n, { shuffle: false, dtype: 'float64' }).x).dataSync());
    assert.ok(Math.abs(std(cd) - 0.05) < 0.003, `std ${std(cd)}`);
  });

  test('spirals: one arm per class, radius 0 to 1, angles 4k to 4k + 4', () => {
    const { x, y } = spirals(7, { classes: 3, shuffle: false, dtype: 'float64' });
    assert.deepEqual(y.toArray(), [0, 0, 0, 1, 1, 2, 2]);
    // Class 0 (3 points): r = 0, 0.5, 1 at t = 0, 2, 4; the point is (r·sin t, r·cos t).
    assertClose(x.narrow(0, 0, 3), [
      [0, 0],
      [0.5 * Math.sin(2), 0.5 * Math.cos(2)],
      [Math.sin(4), Math.cos(4)],
    ]);
    // Class 2 (2 points): r = 0, 1 at t = 8, 12.
    assertClose(x.narrow(0, 5, 2), [
      [0, 0],
      [Math.sin(12), Math.cos(12)],
    ]);
    const noisy = spirals(300, { noise: 0.2, generator: new Generator(2) });
    assert.deepEqual(noisy.x.shape, [300, 2]);
    const labels = noisy.y.toArray() as number[];
    assert.deepEqual(
      [0, 1, 2].map((k) => labels.filter((l) => l === k).length),
      [100, 100, 100],
    );
    // Noise on the angle keeps the radius.
    const clean = spirals(300, { shuffle: false, dtype: 'float64' });
    const r = (t: Tensor): number[] => (t.toArray() as number[][]).map((p) => Math.hypot(p[0], p[1]));
    const noisyUnshuffled = spirals(300, { shuffle: false, noise: 0.2, dtype: 'float64' });
    r(noisyUnshuffled.x).forEach((v, i) => assert.ok(Math.abs(v - r(clean.x)[i]) < 1e-12));
  });

  test('bad arguments throw', () => {
    assertThrowsMatch(
      () => circles(10, { factor: 1 }),
      IndexError,
      /^circles: factor must be in \[0, 1\), got 1/,
    );
    assertThrowsMatch(() => moons(10, { noise: -1 }), IndexError, /^moons: noise must be/);
    assertThrowsMatch(() => moons(1), IndexError, /^moons: n must be an integer ≥ 2, got 1/);
    assertThrowsMatch(
      () => spirals(10, { classes: 0 }),
      IndexError,
      /^spirals: classes must be a positive integer/,
    );
    assertThrowsMatch(() => xor(4, { dtype: 'int32' }), DTypeError, /^xor: dtype must be floating point/);
  });
});
