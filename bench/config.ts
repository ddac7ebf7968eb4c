/** Command-line options of the benchmark and the settings of each workload (full and --quick). */
import type { TrainSettings } from './measure.js';

export type Workload = 'gemm' | 'mlp' | 'small' | 'cnn';
export const WORKLOADS: readonly Workload[] = ['gemm', 'mlp', 'small', 'cnn'];

export interface GemmSettings {
  sizes: number[];
  /** 'nn' plain, 'tn' A transposed, 'nt' B transposed. */
  cases: string[];
  minTime: number;
}

/**
 * The CNN: sizes = [input channels, conv1 channels, conv2 channels, hidden, classes] on square
 * `image`×`image` inputs (3×3 convolutions with padding 1, ReLU, 2×2 max pooling after each).
 */
export interface CnnSettings extends TrainSettings {
  image: number;
}

export interface MemSettings {
  /** Steps of the long MLP loop (the flat-memory check), each in a fresh child process. */
  steps: number;
  /** Steps that make one epoch: the level after the first is the baseline of the growth figure. */
  epochSteps: number;
  maxTime: number;
}

export interface BenchOptions {
  quick: boolean;
  only: Workload[];
  /** chainrule backends to run (default: all registered). */
  backends: string[] | null;
  peers: boolean;
  mem: boolean;
  outDir: string;
  gemm: GemmSettings;
  mlp: TrainSettings;
  small: TrainSettings;
  cnn: CnnSettings;
  memLoop: MemSettings;
}

export const USAGE = `usage: node build/bench/run.js [options]
  --quick               small sizes and few steps (smoke test, ~1 minute)
  --only W[,W]          workloads: gemm, mlp, small, cnn (default: all)
  --backend B[,B]       chainrule backends: js, wasm, webgpu (default: every registered one; webgpu only when named)
  --no-peers            skip TensorFlow.js and PyTorch
  --no-mem              skip the long-loop resident-memory check
  --mem-steps N         steps of the long-loop memory check (default 10000, capped by --mem-time)
  --mem-time S          seconds at most per long loop (default 120)
  --mem-epoch N         steps per "epoch" of the memory check (default 469: Fashion-MNIST at batch 128)
  --out-dir DIR         where <date>.json goes (default bench/results)`;

// A step is a few GFLOP, seconds on the slowest engines: few steps, and the time cap does the rest.
const CNN = { sizes: [1, 32, 64, 128, 10], image: 28, batch: 64 };

function settings(quick: boolean): Pick<BenchOptions, 'gemm' | 'mlp' | 'small' | 'cnn' | 'memLoop'> {
  const cases = ['nn', 'tn', 'nt'];
  if (quick) {
    return {
      gemm: { sizes: [64, 128], cases, minTime: 0.05 },
      mlp: { sizes: [784, 256, 128, 10], batch: 128, warmup: 1, steps: 3, maxTime: 2 },
      small: { sizes: [4, 128, 128, 2], batch: 32, warmup: 5, steps: 30, maxTime: 2 },
      cnn: { ...CNN, warmup: 1, steps: 2, maxTime: 2 },
      memLoop: { steps: 60, epochSteps: 20, maxTime: 5 },
    };
  }
  return {
    gemm: { sizes: [128, 512, 1024], cases, minTime: 0.4 },
    // 400 steps span several collections of the wasm memory and the workers' sleeps: 40 did not
    // (their figure swung by a third between runs; the 10,000-step memory loop ran 1.6× the 2-thread one).
    mlp: { sizes: [784, 256, 128, 10], batch: 128, warmup: 10, steps: 400, maxTime: 8 },
    // Steps of ≈1 ms: enough of them to pass the first collections and average the machine's noise.
    small: { sizes: [4, 128, 128, 2], batch: 32, warmup: 300, steps: 4000, maxTime: 6 },
    cnn: { ...CNN, warmup: 5, steps: 60, maxTime: 10 },
    // The check: 10,000 steps, RSS against the first epoch of Fashion-MNIST at batch 128.
    memLoop: { steps: 10000, epochSteps: 469, maxTime: 120 },
  };
}

function list(v: string | undefined, flag: string): string[] {
  if (!v || v.startsWith('--')) throw new Error(`${flag} needs a value\n${USAGE}`);
  return v.split(',').filter((s) => s.length > 0);
}

function positive(v: string | undefined, flag: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} needs a positive number, got '${v}'`);
  return n;
}

export function parseArgs(argv: readonly string[]): BenchOptions {
  const quick = argv.includes('--quick');
  const o: BenchOptions = {
    quick,
    only: [...WORKLOADS],
    backends: null,
    peers: true,
    mem: true,
    outDir: 'bench/results',
    ...settings(quick),
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') continue;
    else if (a === '--no-peers') o.peers = false;
    else if (a === '--no-mem') o.mem = false;
    else if (a === '--only') {
      const ws = list(argv[++i], a);
      for (const w of ws) {
        if (!(WORKLOADS as readonly string[]).includes(w)) {
          throw new Error(`--only: unknown workload '${w}' (known: ${WORKLOADS.join(', ')})`);
        }
      }
      o.only = ws as Workload[];
    } else if (a === '--backend') o.backends = list(argv[++i], a);
    else if (a === '--mem-steps') o.memLoop.steps = Math.round(positive(argv[++i], a));
    else if (a === '--mem-time') o.memLoop.maxTime = positive(argv[++i], a);
    else if (a === '--mem-epoch') o.memLoop.epochSteps = Math.round(positive(argv[++i], a));
    else if (a === '--out-dir') o.outDir = list(argv[++i], a).join(',');
    else throw new Error(`unknown option '${a}'\n${USAGE}`);
  }
  return o;
}
