/** The workloads on chainrule itself: GEMM through the backend's matmul, MLP and CNN training, memory loop. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as cr from '../src/index.node.js';
import type { BenchRow, Workloads } from '../test/webgpu/bench.js';
import type { BenchOptions, CnnSettings, GemmSettings, MemSettings } from './config.js';
import type { TrainResult, TrainSettings } from './measure.js';
import { now, secondsPerCall, trainRate } from './measure.js';
import { benchCnn, benchMlp } from './models.js';

export interface GemmRow {
  n: number;
  case: string;
  gflops: number;
}

/** How a backend lets the harness pick its thread count (none: it runs as it is). */
export interface ThreadControl {
  max: number;
  set(n: number): void;
  get(): number;
  /** Where the control was found, for the report. */
  via: string;
}

type Fn = (...args: unknown[]) => unknown;
const isFn = (f: unknown): f is Fn => typeof f === 'function';

/**
 * Looks for a PyTorch-like thread setting: `setNumThreads`/`getNumThreads` exported by the library
 * (torch.set_num_threads) or the same methods, or a writable `numThreads`, on the backend object.
 * Only backends that run kernels on several threads provide one.
 */
export function threadControl(backendName: string): ThreadControl | null {
  const lib = cr as unknown as Record<string, unknown>;
  const b = cr.setBackend(backendName) as unknown as Record<string, unknown>;
  const max = availableParallelism();
  if (isFn(b.setNumThreads)) {
    const set = b.setNumThreads as Fn;
    const get = isFn(b.getNumThreads) ? (b.getNumThreads as Fn) : () => b.numThreads;
    return { max, set: (n) => set.call(b, n), get: () => Number(get.call(b)), via: 'backend.setNumThreads' };
  }
  if (typeof b.numThreads === 'number') {
    const desc = Object.getOwnPropertyDescriptor(b, 'numThreads');
    const proto = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(b) as object, 'numThreads');
    if (desc?.writable || proto?.set) {
      return {
        max,
        set: (n) => (b.numThreads = n),
        get: () => Number(b.numThreads),
        via: 'backend.numThreads',
      };
    }
  }
  if (isFn(lib.setNumThreads) && backendName !== 'js') {
    const set = lib.setNumThreads as Fn;
    const get = isFn(lib.getNumThreads) ? (lib.getNumThreads as Fn) : () => NaN;
    return { max, set: (n) => set(n), get: () => Number(get()), via: 'setNumThreads' };
  }
  return null;
}

/** GFLOP/s of mm(a, b, transA, transB): the transposed cases read the operand in place. */
export function gemm(s: GemmSettings): GemmRow[] {
  const rows: GemmRow[] = [];
  for (const n of s.sizes) {
    const a = cr.randn([n, n]);
    const b = cr.randn([n, n]);
    for (const c of s.cases) {
      const ta = c[0] === 't';
      const tb = c[1] === 't';
      let out = cr.mm(a, b, ta, tb);
      const sec = secondsPerCall(() => {
        out = cr.mm(a, b, ta, tb);
      }, s.minTime);
      if (!Number.isFinite(Number(out.sum().item()))) throw new Error(`sgemm ${n} ${c}: non-finite result`);
      rows.push({ n, case: c, gflops: (2 * n ** 3) / sec / 1e9 });
    }
  }
  return rows;
}

interface Trainer {
  step(i: number): void;
  loss(): number;
}

/** Adam (lr 1e-3) on 8 fixed synthetic batches (normal inputs, random labels), on the current backend. */
function trainer(model: cr.nn.Module, inputShape: number[], classes: number): Trainer {
  const opt = new cr.optim.Adam(model.parameters(), { lr: 1e-3 });
  const data = Array.from({ length: 8 }, () => ({
    x: cr.randn(inputShape),
    y: cr.randint(0, classes, [inputShape[0]]),
  }));
  let last: cr.Tensor | null = null;
  return {
    step(i) {
      const { x, y } = data[i % data.length];
      opt.zeroGrad();
      const loss = cr.nn.functional.crossEntropy(model.forward(x) as cr.Tensor, y);
      loss.backward();
      opt.step();
      last = loss;
    },
    loss: () => (last ? Number(last.item()) : NaN),
  };
}

/** An MLP (Linear/ReLU stack). */
function mlpTrainer(s: TrainSettings): Trainer {
  cr.manualSeed(0);
  return trainer(benchMlp(s.sizes), [s.batch, s.sizes[0]], s.sizes[s.sizes.length - 1]);
}

/** conv3×3 → ReLU → maxpool 2, twice, then Linear → ReLU → Linear (NCHW inputs). */
function cnnTrainer(s: CnnSettings): Trainer {
  cr.manualSeed(0);
  return trainer(benchCnn(s.sizes, s.image), [s.batch, s.sizes[0], s.image, s.image], s.sizes[4]);
}

const rate = (s: TrainSettings, t: Trainer): TrainResult =>
  trainRate(
    s,
    (i) => t.step(i),
    () => t.loss(),
  );

export function train(s: TrainSettings): TrainResult {
  return rate(s, mlpTrainer(s));
}

export function trainCnn(s: CnnSettings): TrainResult {
  return rate(s, cnnTrainer(s));
}

export interface MemResult {
  steps: number;
  seconds: number;
  batch: number;
  epochSteps: number;
  /** Resident set size (bytes) after setup, after the first epoch, at the end, and the peak. */
  rssStart: number;
  rssFirstEpoch: number;
  rssEnd: number;
  rssMax: number;
  /** (end − first epoch) / first epoch, in percent: the flat-memory figure. */
  growthPct: number;
  /** RSS after each epoch, MiB. */
  rssPerEpochMiB: number[];
  heapUsedEnd: number;
  finalLoss: number;
}

/**
 * The long MLP loop without dispose(): RSS after every epoch. Stops at an epoch boundary once
 * maxTime is spent, so a slow backend reports fewer steps rather than a long wait.
 */
export function memoryLoop(m: MemSettings, mlp: TrainSettings): MemResult {
  const t = mlpTrainer(mlp);
  const rssStart = process.memoryUsage().rss;
  const perEpoch: number[] = [];
  const t0 = now();
  let steps = 0;
  while (steps < m.steps) {
    t.step(steps);
    steps++;
    if (steps % m.epochSteps === 0) {
      perEpoch.push(process.memoryUsage().rss);
      if (now() - t0 > m.maxTime) break;
    }
  }
  const seconds = now() - t0;
  const mu = process.memoryUsage();
  const first = perEpoch[0] ?? mu.rss;
  return {
    steps,
    seconds,
    batch: mlp.batch,
    epochSteps: m.epochSteps,
    rssStart,
    rssFirstEpoch: first,
    rssEnd: mu.rss,
    rssMax: Math.max(rssStart, mu.rss, ...perEpoch),
    growthPct: ((mu.rss - first) / first) * 100,
    rssPerEpochMiB: perEpoch.map((r) => Math.round((r / 2 ** 20) * 10) / 10),
    heapUsedEnd: mu.heapUsed,
    finalLoss: t.loss(),
  };
}

export interface WebGPURows {
  /** Where it ran ('Node' with the optional webgpu package, or 'headless Chromium'), and on what. */
  where: string;
  adapter: string;
  /** A CPU adapter (SwiftShader): the figures are smoke tests of the path, not GPU performance. */
  cpu: boolean;
  rows: BenchRow[];
}

/**
 * The asked workloads on WebGPU: in Node where the optional `webgpu` package finds an adapter,
 * else in headless Chromium (scripts/webgpu-bench.mjs), which has WebGPU where Node has none.
 * Throws with the reason where neither can run them.
 */
export async function webgpuRows(o: BenchOptions): Promise<WebGPURows> {
  const w: Workloads = {};
  if (o.only.includes('gemm')) w.gemm = o.gemm;
  if (o.only.includes('mlp')) w.mlp = o.mlp;
  if (o.only.includes('small')) w.small = o.small;
  if (o.only.includes('cnn')) w.cnn = o.cnn;
  const probe = await cr.probeWebGPU();
  if (probe.ok) {
    const { benchWorkloads } = await import('../test/webgpu/bench.js');
    const a = probe.backend.adapter;
    const adapter = `${a.vendor} ${a.architecture}`.trim();
    return { where: 'Node', adapter, cpu: /swiftshader|cpu/i.test(adapter), rows: await benchWorkloads(w) };
  }
  // <build>/bench/chainrule.js: the compiled tree is <build>, the script beside it in the repository.
  const build = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const script = resolve(build, '../scripts/webgpu-bench.mjs');
  const dir = mkdtempSync(join(tmpdir(), 'chainrule-webgpu-'));
  try {
    const out = join(dir, 'rows.json');
    const args = [script, '--build', build, '--workloads', JSON.stringify(w), '--json', out];
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 600_000 });
    if (r.status !== 0) {
      const why = (r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n').pop() ?? '';
      throw new Error(`no WebGPU adapter in Node (${probe.reason}); in headless Chromium: ${why}`);
    }
    const got = JSON.parse(readFileSync(out, 'utf8')) as {
      adapter: { vendor: string; architecture: string };
      cpu: boolean;
      rows: BenchRow[];
    };
    const adapter = `${got.adapter.vendor} ${got.adapter.architecture}`.trim();
    return { where: 'headless Chromium', adapter, cpu: got.cpu, rows: got.rows };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
