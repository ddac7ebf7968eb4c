/**
 * The benchmark's chainrule workloads (bench/chainrule.ts) in a page, for WebGPU, which Node lacks:
 * GEMM through the backend's matmul and MLP/CNN training with the same models, data and settings.
 * Device work is queued ahead of the host, so the clock stops only after the device has finished
 * (a read of the result), and training waits for the device every few steps to bound the queue.
 * scripts/webgpu-bench.mjs drives it; nothing runs at import time.
 */
import type { Tensor } from '../../src/index.js';
import { initWebGPU } from '../../src/backend/webgpu/index.js';
import * as cr from '../../src/index.js';
import { benchCnn, benchMlp } from '../../bench/models.js';

export interface GemmSettings {
  sizes: number[];
  cases: string[];
  minTime: number;
}

export interface TrainSettings {
  sizes: number[];
  batch: number;
  warmup: number;
  steps: number;
  maxTime: number;
}

export interface CnnSettings extends TrainSettings {
  image: number;
}

export interface Workloads {
  gemm?: GemmSettings;
  mlp?: TrainSettings;
  small?: TrainSettings;
  cnn?: CnnSettings;
}

export interface BenchRow {
  workload: 'gemm' | 'mlp' | 'small' | 'cnn';
  n?: number;
  case?: string;
  gflops?: number;
  samplesPerSec?: number;
  steps?: number;
  loss?: number | null;
  error?: string;
}

const now = () => performance.now() / 1000;
/** Waits until the device has computed t (reads one element's worth through the whole tensor). */
const settle = async (t: Tensor) => void (await t.sum().data());

async function gemm(s: GemmSettings): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const n of s.sizes) {
    const a = cr.randn([n, n]);
    const b = cr.randn([n, n]);
    for (const c of s.cases) {
      const ta = c[0] === 't';
      const tb = c[1] === 't';
      await settle(cr.mm(a, b, ta, tb)); // compiles the pipeline
      // Chunks of calls, doubled until a chunk outlasts the read that ends it by far (0.1 s), then
      // until minTime is spent (at least 3 such chunks); the fastest chunk counts, as in Node.
      let best = Infinity;
      let spent = 0;
      let inner = 1;
      let chunks = 0;
      let out: Tensor | null = null;
      while (spent < s.minTime || chunks < 3) {
        const t0 = now();
        for (let i = 0; i < inner; i++) out = cr.mm(a, b, ta, tb);
        await settle(out!);
        const dt = now() - t0;
        if (dt < 0.1 && inner < 4096) {
          inner *= 2;
          continue;
        }
        best = Math.min(best, dt / inner);
        spent += dt;
        chunks++;
      }
      const finite = Number.isFinite(Number(await out!.sum().itemAsync()));
      rows.push(
        finite
          ? { workload: 'gemm', n, case: c, gflops: (2 * n ** 3) / best / 1e9 }
          : { workload: 'gemm', n, case: c, error: 'non-finite result' },
      );
    }
  }
  return rows;
}

/** Adam (lr 1e-3) on 8 fixed synthetic batches, as bench/chainrule.ts trains. */
async function trainRate(
  model: cr.nn.Module,
  inputShape: number[],
  classes: number,
  s: TrainSettings,
): Promise<{ samplesPerSec: number; steps: number; loss: number | null }> {
  const opt = new cr.optim.Adam(model.parameters(), { lr: 1e-3 });
  const data = Array.from({ length: 8 }, () => ({
    x: cr.randn(inputShape),
    y: cr.randint(0, classes, [inputShape[0]]),
  }));
  let last: Tensor | null = null;
  const step = (i: number) => {
    const { x, y } = data[i % data.length];
    opt.zeroGrad();
    const loss = cr.nn.functional.crossEntropy(model.forward(x) as Tensor, y);
    loss.backward();
    opt.step();
    last = loss;
  };
  for (let i = 0; i < s.warmup; i++) step(i);
  if (last) await settle(last);
  const t0 = now();
  let done = 0;
  // Slow steps (a CPU adapter) wait every step, so that maxTime holds; fast ones every fifth.
  let every = 1;
  while (done < s.steps) {
    step(done);
    done++;
    if (done % every === 0 || done === s.steps) {
      await settle(last!);
      const spent = now() - t0;
      if (spent > s.maxTime) break;
      every = spent / done < 0.02 ? 5 : 1;
    }
  }
  const sec = now() - t0;
  const loss = Number(await last!.itemAsync());
  return { samplesPerSec: (done * s.batch) / sec, steps: done, loss: Number.isFinite(loss) ? loss : null };
}

const errorOf = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0];

/** Runs the asked workloads on 'webgpu'; a failing one becomes a row with its error. */
export async function benchWorkloads(w: Workloads): Promise<BenchRow[]> {
  await initWebGPU();
  cr.setBackend('webgpu');
  const rows: BenchRow[] = [];
  try {
    if (w.gemm) {
      try {
        rows.push(...(await gemm(w.gemm)));
      } catch (e) {
        rows.push({ workload: 'gemm', error: errorOf(e) });
      }
    }
    for (const key of ['mlp', 'small', 'cnn'] as const) {
      const s = w[key];
      if (!s) continue;
      try {
        cr.manualSeed(0);
        const model = key === 'cnn' ? benchCnn(s.sizes, (s as CnnSettings).image) : benchMlp(s.sizes);
        const image = key === 'cnn' ? (s as CnnSettings).image : 0;
        const shape = key === 'cnn' ? [s.batch, s.sizes[0], image, image] : [s.batch, s.sizes[0]];
        rows.push({ workload: key, ...(await trainRate(model, shape, s.sizes[s.sizes.length - 1], s)) });
      } catch (e) {
        rows.push({ workload: key, error: errorOf(e) });
      }
    }
  } finally {
    cr.setBackend('js');
  }
  return rows;
}
