import { execFileSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  Tensor,
  asStrided,
  cumsum,
  listBackends,
  manualSeed,
  matmul,
  mm,
  nn,
  optim,
  randn,
  setBackend,
  sort,
  tensor,
  zeros,
} from '../../src/index.js';
import type { WasmBackend } from '../../src/backend/wasm/index.js';
import { planBinary, planReduce } from '../../src/backend/wasm/route.js';
import type { WasmStorage } from '../../src/backend/wasm/store.js';
import { assertClose } from '../helpers.js';

/** Runs fn on the reference backend, then on wasm with the same seed, and compares the results. */
function agree(fn: () => Tensor, opts: { atol?: number; rtol?: number } = {}): Tensor {
  setBackend('js');
  manualSeed(7);
  const expected = fn();
  setBackend('wasm');
  manualSeed(7);
  const actual = fn();
  assert.equal(actual.storage.backend.name, 'wasm');
  assert.equal(actual.dtype, expected.dtype);
  assertClose(actual, expected, opts);
  setBackend('js');
  return actual;
}

/**
 * mm on both backends, compared within the classic bound of float32 accumulation, |error| ≤
 * K·u·(|A|·|B|) with u = 2⁻²⁴ (the reference accumulates in float64): where terms cancel, the
 * 1e-5 relative tolerance of assertClose is out of reach for any float32 GEMM.
 */
function agreeMm(aShape: number[], bShape: number[], ta: boolean, tb: boolean): void {
  setBackend('js');
  const a = randn(aShape);
  const b = randn(bShape);
  const expected = mm(a, b, ta, tb).dataSync();
  const bound = mm(a.abs(), b.abs(), ta, tb).dataSync();
  const K = ta ? aShape[0] : aShape[1];
  setBackend('wasm');
  const got = mm(tensor(a.dataSync(), { shape: aShape }), tensor(b.dataSync(), { shape: bShape }), ta, tb);
  assert.equal(got.storage.backend.name, 'wasm');
  const g = got.dataSync();
  for (let i = 0; i < g.length; i++) {
    const tol = K * 2 ** -24 * bound[i] + 1e-7;
    assert.ok(Math.abs(g[i] - expected[i]) <= tol, `${i}: ${g[i]} vs ${expected[i]} (tolerance ${tol})`);
  }
  setBackend('js');
}

const SPECIAL = [0, -0, 1, -1, 0.5, 1e-30, -1e-30, 3.4e38, -3.4e38, Infinity, -Infinity, NaN];

describe('wasm backend: registration', () => {
  it('is the default where it starts, and js is the fallback where it does not', () => {
    assert.deepEqual(listBackends().slice(0, 2), ['js', 'wasm']);
    // A fresh process, so that no test has chosen a backend yet.
    const entry = new URL('../../src/index.js', import.meta.url).href;
    const run = (code: string) =>
      execFileSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' }).trim();
    assert.equal(run(`const c = await import('${entry}'); console.log(c.getBackend().name)`), 'wasm');
    const broken = `const c = await import('${entry}');
      c.registerBackend('broken', () => { throw new Error('no shared memory'); }, 5);
      console.log(c.getBackend().name)`;
    assert.equal(run(broken), 'wasm', 'a backend that fails to start is skipped');
    const be = setBackend('wasm') as WasmBackend;
    assert.equal(be.name, 'wasm');
    assert.ok(be.store.heap.memory.buffer instanceof SharedArrayBuffer, 'one shared memory');
    assert.ok(be.module instanceof WebAssembly.Module);
    assert.equal(typeof be.relaxed, 'boolean');
    assert.equal(setBackend('wasm'), be, 'one instance');
    setBackend('js');
  });
});

describe('wasm backend: routing onto the 2-D kernels', () => {
  it('merges broadcast dims into rows × cols, blocks of them, or gives up', () => {
    const bias = planBinary([8, 5], [5], [8, 5])!;
    assert.deepEqual(
      [bias.rows, bias.cols, bias.aRow, bias.aCol, bias.bRow, bias.bCol, bias.blocks.length],
      [8, 5, 5, 1, 0, 1, 1],
    );
    const same = planBinary([2, 3, 4], [2, 3, 4], [2, 3, 4])!;
    assert.deepEqual([same.rows, same.cols, same.aCol, same.bCol], [1, 24, 1, 1]);
    const outer = planBinary([4, 1], [1, 6], [4, 6])!;
    assert.deepEqual([outer.aRow, outer.aCol, outer.bRow, outer.bCol], [1, 0, 0, 1]);
    const channel = planBinary([2, 3, 4, 5], [3, 1, 1], [2, 3, 4, 5])!;
    assert.deepEqual([channel.rows, channel.cols, channel.bRow, channel.bCol], [3, 20, 1, 0]);
    assert.deepEqual(channel.blocks, [
      [0, 0, 0],
      [60, 0, 60],
    ]);
    assert.equal(planBinary([2, 1, 3], [1, 2, 1], [2, 2, 3]), null);
  });

  it('maps reductions onto reduce_rows / reduce_cols or gives up', () => {
    assert.deepEqual(planReduce([6, 7, 9], [2]), { kind: 'rows', outer: 1, rows: 42, cols: 9 });
    assert.deepEqual(planReduce([6, 7, 9], [0]), { kind: 'cols', outer: 1, rows: 6, cols: 63 });
    assert.deepEqual(planReduce([6, 7, 9], [1]), { kind: 'cols', outer: 6, rows: 7, cols: 9 });
    assert.deepEqual(planReduce([6, 1, 9], [1]), { kind: 'copy', outer: 1, rows: 1, cols: 54 });
    // Per-channel statistics (batch norm over N, H, W): two passes.
    assert.deepEqual(planReduce([6, 7, 9], [0, 2]), { kind: 'rowsThenCols', outer: 6, rows: 7, cols: 9 });
    assert.equal(planReduce([6, 7, 9, 5], [0, 2]), null);
    assert.equal(planReduce([6, 0, 9], [1]), null);
  });
});

describe('wasm backend: native kernels agree with the reference', () => {
  const ops = ['add', 'sub', 'mul', 'div', 'maximum', 'minimum'] as const;
  const shapes: [number[], number[]][] = [
    [
      [7, 13],
      [7, 13],
    ], // same shape
    [
      [5, 1],
      [1, 9],
    ], // outer broadcast: one col stride 0
    [[33], []], // tensor and scalar
    [
      [2, 3, 4, 5],
      [3, 1, 1],
    ], // channel bias: blocks of the 2-D form
    [
      [3, 1, 4],
      [5, 1],
    ], // three merged dims
    [
      [2, 1, 3],
      [1, 2, 1],
    ], // too small to loop over blocks: falls back
    [[0, 3], [3]], // empty
  ];
  for (const op of ops) {
    it(`${op} with broadcasting`, () => {
      for (const [sa, sb] of shapes) {
        agree(() => {
          const a = randn(sa);
          const b = randn(sb).add(op === 'div' ? 3 : 0);
          return a[op](b);
        });
        agree(() => randn(sb)[op](randn(sa)));
      }
    });
  }

  it('maximum and minimum propagate NaN', () => {
    const a = () => tensor([1, NaN, 3, -Infinity, 5, 0, NaN, 2]);
    const b = () => tensor([NaN, 2, 1, 4, Infinity, -0, NaN, 2]);
    agree(() => a().maximum(b()));
    agree(() => a().minimum(b()));
  });

  const unary = ['neg', 'abs', 'sqrt', 'relu', 'exp', 'log', 'tanh', 'sigmoid', 'reciprocal'] as const;
  for (const op of unary) {
    it(`${op} over a wide range and special values`, () => {
      // Exact ops keep the default bound; the transcendental ones are polynomial approximations.
      const tol = ['exp', 'log', 'tanh', 'sigmoid'].includes(op) ? { atol: 1e-7, rtol: 1e-6 } : {};
      agree(() => randn([257]).mul(op === 'exp' ? 30 : 10), tol);
      agree(() => randn([64]).mul(0.01), tol);
      agree(() => tensor([...SPECIAL, 88, 89, -103, -104]), tol);
    });
  }

  it('comparisons with float32 outputs (the masks of backward rules) give 1 and 0', () => {
    for (const op of ['eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const) {
      const run = (): Tensor => {
        const a = tensor([...SPECIAL, 2, 3, 4, 5]).reshape([4, 4]);
        const b = tensor([0, NaN, 1, -0]).reshape([1, 4]);
        const be = a.storage.backend;
        const out = be.binary(op, a.storage, a.shape, b.storage, b.shape, [4, 4], 'float32');
        return new Tensor(out, [4, 4]);
      };
      agree(run);
    }
  });

  it('strided copies and their scatter-adds (im2col, col2im) over many dims and odd strides', () => {
    const cases: [number[], number[], number, number][] = [
      // shape, strides, offset, base size
      [[2, 3, 4], [12, 4, 1], 0, 24],
      [[2, 2, 3, 3, 2, 2], [50, 25, 5, 1, 5, 1], 0, 100], // overlapping windows
      [[3, 4], [-4, -1], 11, 12], // flips
      [[5, 3], [0, 1], 2, 5], // broadcast
      [[2, 3, 2, 3, 2, 3, 2], [1, 2, 0, 6, 18, 36, 108], 0, 216],
      [[4, 20], [1, 4], 0, 80], // transpose with long rows
      [[2, 40], [40, 1], 0, 80],
    ];
    for (const [shape, strides, offset, base] of cases) {
      agree(() => asStrided(randn([base]), shape, strides, offset));
      agree(() => {
        const x = randn([base]).requiresGrad_();
        const y = asStrided(x, shape, strides, offset);
        y.backward(randn(shape));
        return x.grad!;
      });
    }
  });

  it('reduces over trailing, leading and middle dims', () => {
    for (const op of ['sum', 'amax', 'amin'] as const) {
      for (const dim of [[2], [0], [1], [0, 1], [1, 2], [0, 2], [0, 1, 2], []]) {
        agree(() => randn([6, 7, 9])[op](dim, true), { rtol: 1e-5 });
        agree(() => randn([6, 1, 9])[op](dim), { rtol: 1e-5 });
      }
    }
    agree(() =>
      tensor([
        [1, NaN, 3],
        [4, 5, 6],
      ]).amax(1),
    );
    agree(() =>
      tensor([
        [1, NaN, 3],
        [4, 5, 6],
      ]).amin(0),
    );
  });

  it('sums long rows within a documented bound', () => {
    // float32 accumulation (the reference accumulates in float64): relative error ~1e-6 at 1e6 terms.
    const s = agree(() => randn([1_000_000]).abs().sum(), { rtol: 1e-5 });
    assert.ok((s.item() as number) > 7e5);
    agree(() => randn([1000, 1000]).abs().sum(0), { rtol: 1e-5 });
  });

  it('multiplies matrices in every transpose combination, batched and broadcast', () => {
    for (const [M, K, N] of [
      [1, 1, 1],
      [37, 70, 29],
      [64, 300, 33],
      [5, 3, 128],
    ]) {
      for (const ta of [false, true]) {
        for (const tb of [false, true]) {
          agreeMm(ta ? [K, M] : [M, K], tb ? [N, K] : [K, N], ta, tb);
        }
      }
    }
    agree(() => matmul(randn([3, 1, 6, 5]), randn([4, 5, 7])));
    agree(() => mm(randn([2, 9, 4]), randn([9, 5]), true, false));
  });

  it('handles empty products', () => {
    const z = agree(() => matmul(randn([3, 0]), randn([0, 4])));
    assert.deepEqual(Array.from(z.dataSync()), new Array(12).fill(0));
    agree(() => matmul(randn([0, 3]), randn([3, 4])));
  });

  it('fills and copies', () => {
    agree(() => zeros([1000]).add(tensor(2.5)));
    agree(() => tensor([1.1, 2.2, 3.3]).to('float64').to('float32').clone());
  });
});

describe('wasm backend: fallback to the reference kernels', () => {
  it('runs other dtypes and kernels with the same results', () => {
    agree(() => tensor([1, 2, 3], { dtype: 'int32' }).add(tensor([4, 5, 6], { dtype: 'int32' })));
    agree(() =>
      tensor([1, 2, 3], { dtype: 'float64' })
        .exp()
        .matmul(tensor([1, 0, 2], { dtype: 'float64' })),
    );
    agree(() => tensor([true, false]).logicalAnd(tensor([true, true])));
    agree(() => randn([4, 5]).gt(0));
    agree(() => cumsum(randn([4, 5]), 1));
    agree(() => sort(randn([3, 8]), 1)[0]);
    agree(() => randn([3, 8]).argmax(1));
    agree(() => randn([3, 8]).pow(2).erf().floor());
    agree(() => randn([4, 6]).t().reshape([3, 8]).select(1, 2));
    agree(() => randn([4, 6]).prod(1));
  });

  it('keeps float32 results in WebAssembly memory', () => {
    setBackend('wasm');
    const x = tensor([1, 2, 3]); // uploaded: on the host until a kernel reads it
    const s = x.storage as WasmStorage;
    assert.ok(s.ptr < 0 && s.host !== null);
    const y = x.exp();
    assert.ok(s.ptr > 0 && s.host === null, 'the input moved into the memory');
    assert.ok((y.storage as WasmStorage).ptr > 0);
    const z = y.t(); // a view op, run by a reference loop straight into the memory
    assert.ok((z.storage as WasmStorage).ptr > 0);
    const c = cumsum(y, 0); // a fallback kernel: its result waits on the host
    assert.ok((c.storage as WasmStorage).ptr < 0);
    assertClose(c.add(0), [Math.E, Math.E + Math.E ** 2, Math.E + Math.E ** 2 + Math.E ** 3]);
    assert.ok((c.storage as WasmStorage).ptr > 0);
    setBackend('js');
  });

  it('reads a copy', () => {
    setBackend('wasm');
    const x = tensor([1, 2, 3]).mul(2);
    const v = x.storage.backend.readSync(x.storage);
    v[0] = 100;
    assert.deepEqual(Array.from(x.dataSync()), [2, 4, 6]);
    assert.ok(!(v.buffer instanceof SharedArrayBuffer), 'not a view of the memory');
    setBackend('js');
  });
});

describe('wasm backend: training', () => {
  it('trains a small MLP like the reference does', () => {
    const losses = (name: string) => {
      setBackend(name);
      manualSeed(3);
      const model = new nn.Sequential(new nn.Linear(4, 16), new nn.ReLU(), new nn.Linear(16, 2));
      const opt = new optim.Adam(model.parameters(), { lr: 0.01 });
      const x = randn([32, 4]);
      const y = x.narrow(1, 0, 2).tanh();
      const out: number[] = [];
      for (let i = 0; i < 100; i++) {
        opt.zeroGrad();
        const loss = nn.functional.mseLoss(model.forward(x), y);
        loss.backward();
        opt.step();
        out.push(loss.item() as number);
      }
      setBackend('js');
      return out;
    };
    const ref = losses('js');
    const got = losses('wasm');
    assert.ok(got[99] < got[0] / 4, `loss ${got[0]} -> ${got[99]}`);
    for (let i = 0; i < 100; i++) assert.ok(Math.abs(got[i] - ref[i]) <= 1e-4 * ref[i], `step ${i}`);
  });
});
