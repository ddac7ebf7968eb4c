// The WebAssembly kernels on their own: the generated module is instantiated on a shared memory (no backend
// class) and every export is checked against plain JS computations, for both variants of the module.
import assert from 'node:assert/strict';
import { erf } from '../../src/backend/js/math.js';
import { describe, it } from 'node:test';
import v8 from 'node:v8';
import { KERNELS_RELAXED, KERNELS_SIMD } from '../../src/backend/wasm/generated/kernels.js';

// Node 20 validates relaxed SIMD only behind this flag; it must be set before the module is compiled.
v8.setFlagsFromString('--experimental-wasm-relaxed-simd');

interface Kernels {
  gemm(...args: number[]): void;
  gemm_scratch_bytes(M: number, N: number, K: number): number;
  binary(...args: number[]): void;
  unary(op: number, x: number, out: number, n: number): void;
  reduce_rows(op: number, x: number, out: number, rows: number, cols: number): void;
  reduce_cols(op: number, x: number, out: number, rows: number, cols: number): void;
  softmax_rows(x: number, out: number, rows: number, cols: number, log: number): void;
  fill(out: number, n: number, value: number): void;
  copy(src: number, dst: number, n: number): void;
}

const SIZES = [1, 3, 5, 7, 17, 33];
const GUARD = 16; // floats of sentinel after each buffer: a kernel writing past its output is caught
const SENTINEL = 12345.5;

/** A module instance with a bump allocator over its shared memory (reset per test). */
function harness(b64: string) {
  const bytes = Uint8Array.from(Buffer.from(b64, 'base64'));
  const memory = new WebAssembly.Memory({ initial: 1024, maximum: 65536, shared: true });
  const module = new WebAssembly.Module(bytes);
  const k = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as Kernels;
  const f32 = new Float32Array(memory.buffer);
  let top = 64;
  const h = {
    k,
    f32,
    reset: () => void (top = 64),
    /** Byte offset of a fresh 16-byte-aligned buffer of n floats (holding `data` if given), followed by a guard. */
    alloc(n: number, data?: ArrayLike<number>): number {
      const ptr = top;
      top += Math.ceil((n + GUARD) / 4) * 16;
      f32.fill(NaN, ptr / 4, ptr / 4 + n);
      if (data) f32.set(data, ptr / 4);
      f32.fill(SENTINEL, ptr / 4 + n, ptr / 4 + n + GUARD);
      return ptr;
    },
    read: (ptr: number, n: number) => Array.from(f32.subarray(ptr / 4, ptr / 4 + n)),
    guardIntact: (ptr: number, n: number) =>
      f32.subarray(ptr / 4 + n, ptr / 4 + n + GUARD).every((x) => x === SENTINEL),
  };
  return h;
}

/** Deterministic pseudo-random float32 values in [-1, 1) (a simple LCG: failures reproduce). */
function randoms(n: number, seed = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

const same = (a: number, b: number) => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));

function assertAllSame(actual: number[], expected: number[], what: string) {
  assert.equal(actual.length, expected.length);
  actual.forEach((a, i) =>
    assert.ok(same(a, expected[i]), `${what}[${i}]: got ${a}, expected ${expected[i]}`),
  );
}

/** Largest relative error against a float64 reference; subnormal results are compared in absolute terms. */
function maxRelError(actual: number[], expected: number[]): number {
  let worst = 0;
  actual.forEach((a, i) => {
    const e = expected[i];
    if (!Number.isFinite(e) || Number.isNaN(a)) {
      assert.ok(same(a, Math.fround(e)), `got ${a}, expected ${e}`);
      return;
    }
    const err = Math.abs(e) < 2 ** -126 ? Math.abs(a - e) / 2 ** -126 : Math.abs(a - e) / Math.abs(e);
    worst = Math.max(worst, err);
  });
  return worst;
}

const variants: [string, string][] = [
  ['plain SIMD', KERNELS_SIMD],
  ['relaxed SIMD', KERNELS_RELAXED],
];

for (const [name, b64] of variants) {
  describe(`wasm kernels (${name})`, () => {
    it('validates in this runtime', () => {
      assert.ok(WebAssembly.validate(Uint8Array.from(Buffer.from(b64, 'base64'))));
    });
    const h = harness(b64);
    gemmTests(h);
    elementwiseTests(h);
    mathTests(h);
    reduceTests(h);
  });
}

type Harness = ReturnType<typeof harness>;

function gemmTests(h: Harness) {
  /** Runs gemm for rows [r0, r1) and checks them against float64 sums; other rows must stay untouched. */
  function check(M: number, N: number, K: number, tA: number, tB: number, r0 = 0, r1 = M) {
    h.reset();
    const A = randoms(M * K, M * 7 + K);
    const B = randoms(K * N, N * 13 + K);
    const a = h.alloc(M * K, A);
    const b = h.alloc(K * N, B);
    const c = h.alloc(M * N);
    const sBytes = h.k.gemm_scratch_bytes(M, N, K);
    assert.equal(sBytes % 16, 0);
    const s = h.alloc(sBytes / 4);
    h.k.gemm(a, b, c, M, N, K, tA, tB, r0, r1, s, 0);
    const C = h.read(c, M * N);
    const what = `gemm ${M}x${N}x${K} tA=${tA} tB=${tB} rows ${r0}..${r1}`;
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        const got = C[i * N + j];
        if (i < r0 || i >= r1) {
          assert.ok(Number.isNaN(got), `${what}: row ${i} written`);
          continue;
        }
        let sum = 0;
        let abs = 0;
        for (let p = 0; p < K; p++) {
          const t = (tA ? A[p * M + i] : A[i * K + p]) * (tB ? B[j * K + p] : B[p * N + j]);
          sum += t;
          abs += Math.abs(t);
        }
        // float32 accumulation: error bounded by a few ulp of the sum of magnitudes.
        assert.ok(
          Math.abs(got - sum) <= 1e-6 * (abs + 1) * Math.sqrt(K + 1),
          `${what} [${i},${j}]: ${got} vs ${sum}`,
        );
      }
    }
    assert.ok(h.guardIntact(c, M * N) && h.guardIntact(s, sBytes / 4), `${what}: wrote past a buffer`);
    assert.deepEqual(h.read(a, M * K), Array.from(A), `${what}: modified A`);
    assert.deepEqual(h.read(b, K * N), Array.from(B), `${what}: modified B`);
  }

  it('gemm: all transposes over edge sizes', () => {
    for (const tA of [0, 1])
      for (const tB of [0, 1])
        for (const M of SIZES) for (const N of SIZES) for (const K of [1, 5, 17]) check(M, N, K, tA, tB);
  });

  it('gemm: sizes that cross the cache blocks (K > 256, rows > 128, N > 4096)', () => {
    for (const tA of [0, 1]) {
      for (const tB of [0, 1]) {
        check(131, 37, 300, tA, tB);
        check(9, 19, 515, tA, tB);
        check(5, 4103, 3, tA, tB);
      }
    }
  });

  it('gemm: a range of rows, as a thread would run it', () => {
    for (const tA of [0, 1]) for (const tB of [0, 1]) check(33, 17, 7, tA, tB, 5, 22);
    check(17, 9, 3, 0, 0, 4, 4); // empty range: nothing written
  });

  it('gemm: K = 0 gives zeros', () => {
    h.reset();
    const c = h.alloc(12);
    h.k.gemm(0, 0, c, 3, 4, 0, 0, 0, 0, 3, h.alloc(64), 0);
    assertAllSame(h.read(c, 12), Array(12).fill(0), 'C');
  });
}

const BINARY: [string, (a: number, b: number) => number][] = [
  ['add', (a, b) => a + b],
  ['sub', (a, b) => a - b],
  ['mul', (a, b) => a * b],
  ['div', (a, b) => a / b],
  ['maximum', Math.max],
  ['minimum', Math.min],
];

function elementwiseTests(h: Harness) {
  it('binary: every op and stride pattern matches float32 arithmetic exactly', () => {
    for (const rows of [1, 3, 17]) {
      for (const cols of SIZES) {
        // [rowStride, colStride, element count] of each operand layout.
        const layouts: [string, number, number, number][] = [
          ['contiguous', cols, 1, rows * cols],
          ['row vector', 0, 1, cols],
          ['column vector', 1, 0, rows],
          ['scalar', 0, 0, 1],
          ['transposed', 1, rows, rows * cols],
        ];
        for (const [la, aRS, aCS, an] of layouts) {
          for (const [lb, bRS, bCS, bn] of layouts) {
            BINARY.forEach(([op, fn], code) => {
              h.reset();
              const A = randoms(an, rows + cols);
              const B = randoms(bn, 3 * rows + cols);
              if (an > 2) A[1] = NaN; // NaN propagates through every op, maximum/minimum included
              const a = h.alloc(an, A);
              const b = h.alloc(bn, B);
              const out = h.alloc(rows * cols);
              h.k.binary(code, a, b, out, rows, cols, aRS, aCS, bRS, bCS);
              const expected = [];
              for (let r = 0; r < rows; r++)
                for (let c = 0; c < cols; c++)
                  expected.push(Math.fround(fn(A[r * aRS + c * aCS], B[r * bRS + c * bCS])));
              assertAllSame(h.read(out, rows * cols), expected, `${op} ${rows}x${cols} ${la} ${lb}`);
              assert.ok(h.guardIntact(out, rows * cols));
            });
          }
        }
      }
    }
  });

  it('unary: neg, abs, sqrt, relu, reciprocal are exact', () => {
    const special = [0, -0, 1, -1, 2.5, -3.75, 1e-40, -1e-40, Infinity, -Infinity, NaN, 3.4e38];
    const ops: [number, (x: number) => number][] = [
      [0, (x) => -x],
      [1, Math.abs],
      [2, Math.sqrt],
      [3, (x) => (Number.isNaN(x) ? NaN : x > 0 ? x : 0)],
      [8, (x) => 1 / x],
    ];
    for (const n of [...SIZES, special.length]) {
      const X = n === special.length ? Float32Array.from(special) : randoms(n, n);
      for (const [code, fn] of ops) {
        h.reset();
        const x = h.alloc(n, X);
        const out = h.alloc(n);
        h.k.unary(code, x, out, n);
        assertAllSame(
          h.read(out, n),
          Array.from(X, (v) => Math.fround(fn(v))),
          `unary ${code} n=${n}`,
        );
        assert.ok(h.guardIntact(out, n));
      }
    }
  });

  it('fill and copy (overlapping copies behave like memmove)', () => {
    for (const n of [0, ...SIZES]) {
      h.reset();
      const out = h.alloc(n);
      h.k.fill(out, n, -2.5);
      assertAllSame(h.read(out, n), Array(n).fill(-2.5), `fill ${n}`);
      assert.ok(h.guardIntact(out, n));
    }
    h.reset();
    const X = randoms(40, 5);
    const p = h.alloc(40, X);
    h.k.copy(p, p + 8, 30); // forward overlap
    assertAllSame(h.read(p + 8, 30), Array.from(X.subarray(0, 30)), 'copy');
  });
}

/** n points spread over [lo, hi], plus the given special values. */
function sweep(lo: number, hi: number, n: number, special: number[] = []): Float32Array {
  const xs = Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
  return Float32Array.from([...xs, ...special]);
}

function mathTests(h: Harness) {
  function run(code: number, X: Float32Array): number[] {
    h.reset();
    const x = h.alloc(X.length, X);
    const out = h.alloc(X.length);
    h.k.unary(code, x, out, X.length);
    assert.ok(h.guardIntact(out, X.length));
    return h.read(out, X.length);
  }
  const sigmoid = (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

  it('exp: relative error <= 2e-7, overflow to Inf and underflow to 0', () => {
    const X = sweep(-103, 88.7, 200001, [0, -0, 1e-30, -1e-30, -103.97, -103.972]);
    assert.ok(maxRelError(run(4, X), Array.from(X, Math.exp)) <= 2e-7);
    const special = Float32Array.from([89, 100, Infinity, -104, -200, -Infinity, NaN, 88.72, -87.5]);
    const got = run(4, special);
    assertAllSame(got.slice(0, 7), [Infinity, Infinity, Infinity, 0, 0, 0, NaN], 'exp special');
    assert.ok(maxRelError(got.slice(7), [Math.exp(special[7]), Math.exp(special[8])]) <= 2e-7);
  });

  it('log: relative error <= 2e-7 over normals and subnormals; log(0) = -Inf, log(x < 0) = NaN', () => {
    const X = Float32Array.from([
      ...sweep(0.5, 2, 100001),
      ...Array.from({ length: 200001 }, (_, i) => 2 ** (-149 + (276.99 * i) / 200000)),
    ]);
    const expected = Array.from(X, Math.log);
    const got = run(5, X);
    // Near x = 1 the result is tiny: measure relative to max(|log x|, ulp(1)).
    let worst = 0;
    got.forEach(
      (g, i) =>
        (worst = Math.max(worst, Math.abs(g - expected[i]) / Math.max(Math.abs(expected[i]), 2 ** -23))),
    );
    assert.ok(worst <= 2e-7, `log error ${worst}`);
    const special = Float32Array.from([0, -0, -1, -Infinity, Infinity, NaN, 1]);
    assertAllSame(run(5, special), [-Infinity, -Infinity, NaN, NaN, Infinity, NaN, 0], 'log special');
  });

  it('tanh: relative error <= 2e-7, saturating to ±1', () => {
    const X = sweep(-12, 12, 240001, [1e-30, -1e-30, 1e-3]);
    assert.ok(maxRelError(run(6, X), Array.from(X, Math.tanh)) <= 2e-7);
    assertAllSame(
      run(6, Float32Array.from([Infinity, -Infinity, 20, -20, NaN, 0, -0])),
      [1, -1, 1, -1, NaN, 0, -0],
      'tanh',
    );
  });

  it('erf: relative error <= 2e-7 (both sides of the switch at |x| = 1), exact limits and sign', () => {
    const X = sweep(-7, 7, 280001, [1e-30, -1e-30, 1e-3, 0.9999999, 1, 1.0000001]);
    assert.ok(maxRelError(run(9, X), Array.from(X, erf)) <= 2e-7);
    const got = run(9, Float32Array.from([Infinity, -Infinity, NaN, 0, -0, 10, -10]));
    assertAllSame(got, [1, -1, NaN, 0, -0, 1, -1], 'erf');
  });

  it('sigmoid: relative error <= 2e-7, exact limits', () => {
    const X = sweep(-87, 40, 200001, [1e-30, -1e-30]);
    assert.ok(maxRelError(run(7, X), Array.from(X, sigmoid)) <= 2e-7);
    assertAllSame(
      run(7, Float32Array.from([Infinity, -Infinity, NaN, 0, 100])),
      [1, 0, NaN, 0.5, 1],
      'sigmoid',
    );
  });
}

function reduceTests(h: Harness) {
  const ids = [0, -Infinity, Infinity];
  const fns = [(a: number, b: number) => a + b, Math.max, Math.min];

  it('reduce_rows and reduce_cols: sum within float32 rounding, max/min exact (NaN propagates)', () => {
    for (const rows of [0, ...SIZES]) {
      for (const cols of [0, ...SIZES, 70]) {
        const X = randoms(rows * cols, rows * 100 + cols);
        if (rows * cols > 4) X[rows * cols - 2] = NaN;
        for (const op of [0, 1, 2]) {
          for (const byRows of [true, false]) {
            h.reset();
            const x = h.alloc(rows * cols, X);
            const n = byRows ? rows : cols;
            const out = h.alloc(n);
            (byRows ? h.k.reduce_rows : h.k.reduce_cols)(op, x, out, rows, cols);
            const expected = Array.from({ length: n }, (_, o) => {
              let acc = ids[op];
              const m = byRows ? cols : rows;
              for (let i = 0; i < m; i++) acc = fns[op](acc, byRows ? X[o * cols + i] : X[i * cols + o]);
              return acc;
            });
            const got = h.read(out, n);
            const what = `${byRows ? 'reduce_rows' : 'reduce_cols'} op ${op} ${rows}x${cols}`;
            if (op === 0) {
              got.forEach((g, i) => {
                const e = expected[i];
                assert.ok(same(g, e) || Math.abs(g - e) <= 1e-6 * 40, `${what}[${i}]: ${g} vs ${e}`);
              });
            } else assertAllSame(got, expected, what);
            assert.ok(h.guardIntact(out, n));
          }
        }
      }
    }
  });

  it('softmax_rows: softmax and log-softmax of each row, -Inf entries masked, in place too', () => {
    for (const rows of [1, 3, 5]) {
      for (const cols of [...SIZES, 70]) {
        const X = randoms(rows * cols, cols).map((v) => v * 30);
        if (cols > 2) X[1] = -Infinity;
        for (const log of [0, 1]) {
          h.reset();
          const x = h.alloc(rows * cols, X);
          const out = h.alloc(rows * cols);
          h.k.softmax_rows(x, out, rows, cols, log);
          const got = h.read(out, rows * cols);
          h.k.softmax_rows(x, x, rows, cols, log); // in place gives the same result
          assertAllSame(h.read(x, rows * cols), got, `softmax log=${log} in place`);
          for (let r = 0; r < rows; r++) {
            const row = Array.from(X.subarray(r * cols, (r + 1) * cols));
            const m = Math.max(...row);
            const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
            row.forEach((v, c) => {
              const g = got[r * cols + c];
              const what = `softmax log=${log} ${rows}x${cols} [${r},${c}]: ${g}`;
              if (log)
                assert.ok(
                  same(g, v - lse) || Math.abs(g - (v - lse)) <= 2e-6 * (1 + Math.abs(v - lse)),
                  what,
                );
              // x − max is rounded to float32 first: its error, up to ulp(|x| + |max|), scales the result.
              else
                assert.ok(
                  g === Math.exp(v - lse) ||
                    Math.abs(g - Math.exp(v - lse)) <=
                      (1e-6 + 2 ** -23 * (Math.abs(v) + Math.abs(m))) * Math.exp(v - lse),
                  what,
                );
            });
          }
          assert.ok(h.guardIntact(out, rows * cols));
        }
      }
    }
  });
}
