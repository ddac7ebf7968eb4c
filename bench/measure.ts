/** Timing helpers shared by the workloads (the PyTorch script mirrors them in Python). */

export function now(): number {
  return performance.now() / 1000;
}

/**
 * Seconds per call of fn, from the fastest of several chunks: one warm-up call, then chunks of at
 * least 20 ms until minTime is spent (at least 3 chunks), so that short kernels are not dominated by
 * timer resolution. The fastest chunk is the one least disturbed by other processes on a shared
 * machine (the usual kernel-benchmark convention). A call that takes over a second (the 1024 GEMM of
 * slow peers) is timed once: its warm-up cost is negligible and repeating it costs seconds.
 */
export function secondsPerCall(fn: () => void, minTime: number): number {
  let t0 = now();
  fn();
  const first = now() - t0;
  if (first > 1) return first;
  const inner = Math.max(1, Math.floor(0.02 / Math.max(first, 1e-7)));
  let best = Infinity;
  let spent = 0;
  for (let chunks = 0; spent < minTime || chunks < 3; chunks++) {
    t0 = now();
    for (let i = 0; i < inner; i++) fn();
    const dt = now() - t0;
    best = Math.min(best, dt / inner);
    spent += dt;
  }
  return best;
}

export interface TrainSettings {
  sizes: number[];
  batch: number;
  warmup: number;
  steps: number;
  /** Seconds after which the timed loop stops early (slow peers); the steps done are reported. */
  maxTime: number;
}

export interface TrainResult {
  samplesPerSec: number;
  steps: number;
  loss: number | null;
  /** Resident set size (bytes) before the warm-up and after the timed steps. */
  rssBefore?: number;
  rssAfter?: number;
}

/**
 * Samples per second of a training step function: `warmup` untimed steps, then up to `steps`
 * timed ones (fewer if maxTime runs out). `lastLoss` reads the final loss once, after the clock.
 */
export function trainRate(s: TrainSettings, step: (i: number) => void, lastLoss: () => number): TrainResult {
  const rssBefore = process.memoryUsage().rss;
  for (let i = 0; i < s.warmup; i++) step(i);
  const t0 = now();
  let done = 0;
  while (done < s.steps) {
    step(done);
    done++;
    if (now() - t0 > s.maxTime) break;
  }
  const sec = now() - t0;
  const loss = lastLoss();
  return {
    samplesPerSec: (done * s.batch) / sec,
    steps: done,
    loss: Number.isFinite(loss) ? loss : null,
    rssBefore,
    rssAfter: process.memoryUsage().rss,
  };
}
