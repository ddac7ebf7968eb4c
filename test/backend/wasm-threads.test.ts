import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { Tensor } from '../../src/index.js';
import {
  BackendError,
  getNumThreads,
  manualSeed,
  optim,
  matmul,
  nn,
  randn,
  setBackend,
  setNumThreads,
  setWorkerFactory,
} from '../../src/index.js';
import type { WasmBackend } from '../../src/backend/wasm/index.js';
import { loadKernels } from '../../src/backend/wasm/loader.js';
import { WasmHeap } from '../../src/backend/wasm/memory.js';
import { grains, splitRange } from '../../src/backend/wasm/parallel.js';
import { ThreadPool } from '../../src/backend/wasm/threads.js';
import { FN } from '../../src/backend/wasm/worker-loop.js';
import { nodeWorkerFactory, useNodeWorkers } from '../../src/node/wasm-threads.js';
import { assertClose, assertThrowsMatch } from '../helpers.js';

const wasm = () => setBackend('wasm') as WasmBackend;

/** The float32 bits of a tensor, for comparisons that NaN or -0 cannot fool. */
const bits = (t: Tensor) => new Uint32Array(new Float32Array(t.dataSync() as Float32Array).buffer);

/** Runs fn on one thread, then on `threads`, and asserts the results are equal bit for bit. */
async function sameBits(threads: number, fn: () => Tensor): Promise<void> {
  const b = wasm();
  setNumThreads(1);
  manualSeed(3);
  const one = fn();
  setNumThreads(threads);
  assert.equal(await b.threadsReady(), true, 'the workers start');
  const jobs = b.threadStats().jobs;
  manualSeed(3);
  const many = fn();
  assert.ok(b.threadStats().jobs > jobs, 'the work was split');
  assert.deepEqual([...many.shape], [...one.shape]);
  assert.deepEqual(bits(many), bits(one));
}

describe('wasm threads', () => {
  const saved = { ...grains };
  before(() => useNodeWorkers(1));
  after(() => {
    Object.assign(grains, saved);
    setNumThreads(1);
    setBackend('js');
  });

  it('splitRange covers the range with aligned inner bounds', () => {
    assert.deepEqual(splitRange(10, 2, 4), [0, 8, 10]);
    assert.deepEqual(splitRange(16, 2, 4), [0, 8, 16]);
    assert.deepEqual(splitRange(9, 3, 1), [0, 3, 6, 9]);
    assert.deepEqual(splitRange(3, 3, 4), [0, 3, 3, 3]);
  });

  it('setNumThreads checks its argument and needs a worker factory', () => {
    assertThrowsMatch(
      () => setNumThreads(0),
      BackendError,
      /^setNumThreads: .* integer from 1 to 1024, got 0/,
    );
    assertThrowsMatch(() => setNumThreads(1.5), BackendError, /^setNumThreads: .*got 1.5/);
    setWorkerFactory(null);
    try {
      assertThrowsMatch(
        () => setNumThreads(2),
        BackendError,
        /^setNumThreads: 2 threads need worker threads/,
      );
      setNumThreads(1);
      assert.equal(getNumThreads(), 1);
    } finally {
      useNodeWorkers(1);
    }
    setNumThreads(3);
    assert.equal(getNumThreads(), 3);
    assert.equal(wasm().getNumThreads(), 3);
    wasm().setNumThreads(1);
    assert.equal(getNumThreads(), 1);
  });

  it('matmul: 2 threads equal 1 thread bit for bit, every transpose, many shapes', async () => {
    grains.gemm = 1; // split even small products
    const shapes = [
      [1, 1, 1],
      [5, 7, 3],
      [8, 16, 8],
      [37, 29, 53],
      [130, 70, 200],
      [257, 33, 9],
    ];
    for (const [M, N, K] of shapes) {
      for (const [tA, tB] of [
        [false, false],
        [true, false],
        [false, true],
        [true, true],
      ]) {
        const a = () => (tA ? randn([K, M]).t() : randn([M, K]));
        await sameBits(2, () => {
          const x = a();
          const y = tB ? randn([N, K]).t() : randn([K, N]);
          return matmul(x, y);
        }).catch((e: Error) => {
          // Products of fewer than 8 rows are not split.
          if (M < 8 && /was split/.test(e.message)) return;
          throw new Error(`[${M}, ${N}, ${K}] transA=${tA} transB=${tB}: ${e.message}`);
        });
      }
    }
  });

  it('matmul: batched, more threads than cores, and the default grain', async () => {
    grains.gemm = 1;
    await sameBits(2, () => matmul(randn([3, 20, 30]), randn([30, 17])));
    await sameBits(5, () => matmul(randn([33, 40]), randn([40, 50])));
    Object.assign(grains, saved);
    await sameBits(2, () => matmul(randn([256, 256]), randn([256, 256])));
  });

  it('convolutions split their images across threads', async () => {
    grains.gemm = 1;
    const conv = (): [Tensor, Tensor, Tensor] => {
      const x = randn([5, 4, 9, 8]).requiresGrad_(true);
      const w = randn([6, 2, 3, 3]).requiresGrad_(true);
      const y = nn.functional.conv2d(x, w, null, [2, 1], 1, 1, 2);
      y.mul(randn(y.shape)).sum().backward();
      return [y, x.grad!, w.grad!];
    };
    // The output and ∂x: each image on one thread, bit for bit; ∂w sums images in per-thread groups.
    await sameBits(2, () => conv()[0]);
    await sameBits(3, () => conv()[1]);
    setNumThreads(1);
    manualSeed(3);
    const one = conv()[2];
    setNumThreads(2);
    await wasm().threadsReady();
    manualSeed(3);
    assertClose(conv()[2], one, { atol: 1e-5, rtol: 1e-5 });
    Object.assign(grains, saved);
  });

  it('max pooling and its backward split their planes across threads, bit for bit', async () => {
    grains.elementwise = 16;
    const pool = (): [Tensor, Tensor, Tensor] => {
      const x = randn([3, 5, 14, 15]).requiresGrad_(true);
      const [y, idx] = nn.functional.maxPool2d(x, 2, 2, 0, 1, false, true);
      y.mul(randn(y.shape)).sum().backward();
      return [y, idx, x.grad!];
    };
    for (const part of [0, 1, 2] as const) {
      await sameBits(2, () => pool()[part]);
      await sameBits(3, () => pool()[part]);
    }
    // Planes that 2×2 windows tile exactly.
    const tiled = () => {
      const x = randn([3, 5, 14, 16]).requiresGrad_(true);
      nn.functional
        .maxPool2d(x, 2)
        .mul(randn([3, 5, 7, 8]))
        .sum()
        .backward();
      return x.grad!;
    };
    await sameBits(2, tiled);
    await sameBits(2, () => nn.functional.maxPool2d(randn([2, 7, 9, 9]), 3, 2, 1));
    Object.assign(grains, saved);
  });

  it('the Adam and AdamW steps split their parameters across threads, bit for bit', async () => {
    grains.elementwise = 64;
    for (const Opt of [optim.Adam, optim.AdamW]) {
      await sameBits(2, () => {
        const p = randn([10003]).requiresGrad_(true);
        const opt = new Opt([p], { lr: 0.01, weightDecay: 0.1 });
        for (let i = 0; i < 3; i++) {
          opt.zeroGrad();
          p.mul(p)
            .mul(randn([10003]))
            .sum()
            .backward();
          opt.step();
        }
        return p.detach();
      });
    }
    Object.assign(grains, saved);
  });

  it('layer norm and its backward split rows (and the parameters’ columns) across threads, bit for bit', async () => {
    grains.elementwise = 64;
    const ln = (): [Tensor, Tensor, Tensor, Tensor] => {
      const x = randn([37, 70]).requiresGrad_(true);
      const w = randn([70]).requiresGrad_(true);
      const b = randn([70]).requiresGrad_(true);
      const y = nn.functional.layerNorm(x, [70], w, b);
      y.mul(randn(y.shape)).sum().backward();
      return [y, x.grad!, w.grad!, b.grad!];
    };
    for (const part of [0, 1, 2, 3] as const) await sameBits(2, () => ln()[part]);
    Object.assign(grains, saved);
  });

  it('elementwise and row reductions equal 1 thread bit for bit', async () => {
    grains.elementwise = 64;
    await sameBits(2, () => randn([10001]).exp());
    await sameBits(3, () => randn([10001]).tanh());
    await sameBits(2, () => randn([50, 70]).add(randn([70]))); // split by rows
    await sameBits(2, () => randn([1, 999]).mul(randn([1, 999]))); // one row: split by columns
    await sameBits(2, () => randn([40, 300]).sub(randn([40, 1]))); // broadcast column
    await sameBits(2, () => randn([64, 333]).sum(1));
    await sameBits(2, () => randn([64, 333]).amax(-1));
  });

  it('the pool starts and stops with the setting', async () => {
    grains.gemm = 1;
    const b = wasm();
    setNumThreads(3);
    matmul(randn([64, 64]), randn([64, 64])); // the pool starts at the first large kernel
    assert.equal(await b.threadsReady(), true);
    const { workers, ready } = b.threadStats();
    assert.deepEqual({ workers, ready }, { workers: 2, ready: 2 });
    setNumThreads(1);
    assert.equal(b.threadStats().workers, 0);
  });

  it('a kernel that fails on a worker throws on the calling thread', async () => {
    const heap = new WasmHeap(16, 64);
    const { module, kernels } = loadKernels(heap.memory);
    const pool = new ThreadPool(heap, module, 1, nodeWorkerFactory, 2, kernels);
    try {
      assert.equal(await pool.whenReady(), true);
      // exp of 16 elements at the end of the memory and past it: out of bounds.
      const end = heap.capacity - 32;
      assert.throws(
        () =>
          pool.run(FN.unary, [0], [[4, end, end, 16]], () => {
            // Long enough for the worker to claim the job, rather than this thread running it.
            const until = Date.now() + 50;
            while (Date.now() < until);
          }),
        /^BackendError: wasm: a kernel failed on a worker thread/,
      );
      // The worker survives it.
      pool.run(FN.unary, [0], [[4, 64, 128, 4]], () => undefined);
      assert.equal(pool.jobs, 2);
    } finally {
      pool.close();
    }
  });

  it('a job its worker has not claimed runs on the calling thread', () => {
    const heap = new WasmHeap(16, 64);
    const { module, kernels } = loadKernels(heap.memory);
    // A worker that never starts: every job must be stolen.
    const idle = () => ({ postMessage: () => undefined, terminate: () => undefined });
    const pool = new ThreadPool(heap, module, 1, idle, 2, kernels);
    const x = heap.alloc(64);
    const out = heap.alloc(64);
    heap.f32.set([0, 1, -2, 3, 0.5, -0.5, 10, -10], x / 4);
    pool.run(FN.unary, [0], [[4, x + 16, out + 16, 4]], () => kernels.unary(4, x, out, 4));
    assert.equal(pool.steals, 1);
    const expected = new Float32Array([0, 1, -2, 3, 0.5, -0.5, 10, -10].map(Math.exp));
    const got = heap.f32.subarray(out / 4, out / 4 + 8);
    for (let i = 0; i < 8; i++)
      assert.ok(Math.abs(got[i] - expected[i]) <= 1e-6 * expected[i], `exp at ${i}`);
    pool.close();
  });

  it('a process that used threads exits by itself', () => {
    const entry = fileURLToPath(new URL('../../src/index.node.js', import.meta.url));
    const script = `
      const cr = await import(${JSON.stringify(entry)});
      const b = cr.setBackend('wasm');
      cr.setNumThreads(2);
      for (let i = 0; i < 20; i++) cr.matmul(cr.randn([256, 256]), cr.randn([256, 256]));
      await b.threadsReady();
      const c = cr.matmul(cr.randn([256, 256]), cr.randn([256, 256]));
      console.log(b.threadStats().workers, Number.isFinite(c.sum().item()));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      timeout: 30000,
      encoding: 'utf8',
      env: { ...process.env, CHAINRULE_THREADS: '' },
    });
    assert.equal(r.signal, null, 'not killed by the timeout');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), '1 true');
  });
});

describe('wasm thread pool: browsers', () => {
  it('useWebWorkers changes nothing without Web Workers and cross-origin isolation', async () => {
    const { useWebWorkers } = await import('../../src/index.js');
    const before = getNumThreads();
    assert.equal(useWebWorkers(4), false);
    assert.equal(getNumThreads(), before);
  });
});
