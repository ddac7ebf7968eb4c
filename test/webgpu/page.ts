/**
 * The page side of the WebGPU tests: initializes the backend, runs the conformance suites and
 * returns their results to the test driver (webgpu.test.ts), which asserts on them. Also a GEMM
 * timing for the benchmark row. Nothing runs at import time.
 */
import { setBackend } from '../../src/index.js';
import type { Backend } from '../../src/index.js';
import { initWebGPU } from '../../src/backend/webgpu/index.js';
import type { Result } from './harness.js';
import { record, results, useBackends } from './harness.js';
import { elementwiseSuite, reduceSuite } from './kernels-math.js';
import { convSuite, layoutSuite, matmulSuite, nnSuite } from './kernels-shape.js';
import { opsSuite } from './ops.js';
import { sweepSuite } from './sweep.js';
import { trainSuite } from './train.js';

export interface SuiteReport {
  adapter: string;
  results: Result[];
  /** Milliseconds per part. */
  timings: Record<string, number>;
  pipelines: number;
}

const gcOf = () => (globalThis as { gc?: () => void }).gc;

export async function runSuite(only?: string): Promise<SuiteReport> {
  const gpu = await initWebGPU();
  const js = setBackend('js');
  useBackends(js, gpu as Backend & { errors: readonly string[] });
  const timings: Record<string, number> = {};
  const parts: [string, () => Promise<void>][] = [
    ['elementwise', elementwiseSuite],
    ['reduce', reduceSuite],
    ['matmul', matmulSuite],
    ['layout', () => layoutSuite(gpu)],
    ['nn', nnSuite],
    ['conv', () => convSuite(gpu)],
    ['sweep', sweepSuite],
    ['ops', () => opsSuite(gpu, gcOf())],
    ['train', trainSuite],
  ];
  for (const [name, part] of parts) {
    if (only && !only.split(',').includes(name)) continue;
    const t0 = performance.now();
    try {
      await part();
    } catch (e) {
      record(`${name}: suite threw`, false, (e as Error).stack ?? String(e));
    }
    timings[name] = Math.round(performance.now() - t0);
  }
  await gpu.sync();
  record('the device reported no validation errors', gpu.errors.length === 0, gpu.errors.join('\n'));
  const a = gpu.adapter;
  return {
    adapter: `${a.source} ${a.vendor} ${a.architecture}`.trim(),
    results,
    timings,
    pipelines: gpu.memoryStats().pipelines,
  };
}

/** GFLOP/s of an n×n×n float32 GEMM on the device (the best of `reps` timed runs). */
export async function gemmBench(n: number, reps = 3): Promise<number> {
  const gpu = await initWebGPU();
  const a = gpu.upload(new Float32Array(n * n).fill(1));
  const b = gpu.upload(new Float32Array(n * n).fill(1));
  let best = Infinity;
  for (let r = 0; r <= reps; r++) {
    const t0 = performance.now();
    gpu.matmul(a, [n, n], b, [n, n], false, false, [n, n]);
    await gpu.sync();
    // The first run compiles the pipeline: not timed.
    if (r > 0) best = Math.min(best, performance.now() - t0);
  }
  return (2 * n ** 3) / (best / 1000) / 1e9;
}

/**
 * Training samples per second of an MLP (784-256-10, batch 128, Adam) on a backend, reading the
 * loss asynchronously every 10 steps (the first 3 steps warm up and are not timed).
 */
export async function mlpBench(backend: string, steps = 30): Promise<number> {
  await initWebGPU();
  const L = await import('../../src/index.js');
  L.setBackend(backend);
  L.manualSeed(1);
  const model = new L.nn.Sequential(new L.nn.Linear(784, 256), new L.nn.ReLU(), new L.nn.Linear(256, 10));
  const opt = new L.optim.Adam(model.parameters(), { lr: 1e-3 });
  const x = L.randn([128, 784]);
  const y = L.randint(0, 10, [128]);
  let t0 = 0;
  for (let i = 0; i < steps + 3; i++) {
    if (i === 3) t0 = performance.now();
    opt.zeroGrad();
    const loss = L.nn.functional.crossEntropy(model.forward(x), y);
    loss.backward();
    opt.step();
    if (i % 10 === 9 || i === steps + 2) await loss.itemAsync();
  }
  L.setBackend('js');
  return (steps * 128) / ((performance.now() - t0) / 1000);
}
