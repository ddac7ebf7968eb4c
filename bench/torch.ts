/** The PyTorch CPU peer: bench/torch_bench.py run by Debian's python3 in a child process. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchOptions } from './config.js';
import type { GemmRow } from './chainrule.js';
import type { TrainResult } from './measure.js';

export const PYTHON = '/usr/bin/python3';

export interface TorchResult {
  version: string;
  threads: number;
  /** BLAS libraries mapped into the Python process (they decide its GEMM speed). */
  blas: string[];
  gemm: GemmRow[] | null;
  mlp: TrainResult | null;
  small: TrainResult | null;
  cnn: TrainResult | null;
}

/** The script sits in bench/ of the repository; the harness runs from build/bench/ or the root. */
function scriptPath(): string | null {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [
    join(here, '../../bench/torch_bench.py'),
    join(here, 'torch_bench.py'),
    join(process.cwd(), 'bench/torch_bench.py'),
  ];
  return candidates.find((p) => existsSync(p)) ?? null;
}

/**
 * Runs the PyTorch workloads on `threads` threads. OMP_NUM_THREADS and OPENBLAS_NUM_THREADS carry
 * the count; OpenBLAS tuning overrides inherited from the environment are removed for this child
 * only, so that OpenBLAS detects the CPU itself as it would on a user's machine.
 */
export function runTorch(threads: number, o: BenchOptions): TorchResult | { error: string } {
  if (!existsSync(PYTHON)) return { error: `skipped: no ${PYTHON} with torch` };
  const script = scriptPath();
  if (!script) return { error: 'skipped: bench/torch_bench.py not found' };
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  env.OMP_NUM_THREADS = String(threads);
  env.OPENBLAS_NUM_THREADS = String(threads);
  env.MKL_NUM_THREADS = String(threads);
  const cfg = { threads, only: o.only, quick: o.quick, gemm: o.gemm, mlp: o.mlp, small: o.small, cnn: o.cnn };
  const r = spawnSync(PYTHON, [script, JSON.stringify(cfg)], {
    env,
    encoding: 'utf8',
    timeout: 600_000,
    maxBuffer: 16 << 20,
  });
  if (r.error) return { error: `skipped: ${PYTHON} failed to run (${r.error.message})` };
  if (r.status !== 0) {
    if (/No module named ['"]?torch/.test(r.stderr)) return { error: `skipped: no ${PYTHON} with torch` };
    const last = r.stderr.trim().split('\n').pop() ?? '';
    return { error: `failed: torch_bench.py exited with ${r.status} (${last})` };
  }
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as TorchResult;
  } catch {
    return { error: `failed: torch_bench.py printed no result (${line.slice(0, 80)})` };
  }
}
