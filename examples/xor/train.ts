/**
 * XOR learned by a 2-H-1 sigmoid network with per-sample (online) gradient descent, the gradients
 * coming from autodiff. Shared by the command line (main.ts), the seed study (seeds.ts) and the tests.
 */
import type { Tensor } from '../../src/index.js';
import { Generator, noGrad, tensor, uniform } from '../../src/index.js';

export interface XorOptions {
  /** Most epochs to run (one epoch = one update per sample, 4 updates). */
  epochs?: number;
  /** Learning rate of gradient descent. */
  lr?: number;
  /** Training stops once the total error E of an epoch is below this. */
  threshold?: number;
  /** Seed of the generator that draws the initial weights. */
  seed?: number;
  /** Number of hidden units. */
  hidden?: number;
  /** Call onLog every this many epochs (and at the last one). */
  logEvery?: number;
  onLog?: (epoch: number, error: number) => void;
}

export interface XorRow {
  input: [number, number];
  target: number;
  output: number;
}

export interface XorResult {
  converged: boolean;
  /** Epochs run. */
  epochs: number;
  /** Total error E of the last epoch. */
  finalError: number;
  seconds: number;
  /** Outputs of the trained network for the four inputs. */
  table: XorRow[];
  /** Norm of the full gradient ∇E (all four samples) at the final weights: ~0 at a minimum. */
  gradNorm: number;
  /** [epoch, E] every logEvery epochs and at the last one. */
  history: [number, number][];
}

/** One layer of the network: z = W·a + b, a = σ(z). */
export interface Layer {
  W: Tensor;
  b: Tensor;
}

export const XOR_INPUTS: [number, number][] = [
  [0, 0],
  [0, 1],
  [1, 0],
  [1, 1],
];
export const XOR_TARGETS = [0, 1, 1, 0];

export const XOR_DEFAULTS = {
  epochs: 10_000,
  lr: 0.1,
  threshold: 0.05,
  seed: 3,
  hidden: 2,
  logEvery: 1000,
} as const;

/** Layers of sizes[0] → sizes[1] → ... with every weight and bias drawn from uniform(-1, 1). */
export function initLayers(sizes: readonly number[], generator: Generator): Layer[] {
  const layers: Layer[] = [];
  for (let l = 1; l < sizes.length; l++) {
    const opts = { dtype: 'float64', generator, requiresGrad: true } as const;
    layers.push({ W: uniform([sizes[l], sizes[l - 1]], -1, 1, opts), b: uniform([sizes[l]], -1, 1, opts) });
  }
  return layers;
}

/** The forward pass of the source text: for each layer, z = W·a + b, a = σ(z). */
export function forward(layers: readonly Layer[], x: Tensor): Tensor {
  let a = x;
  for (const { W, b } of layers) {
    const z = W.matmul(a).add(b);
    a = z.sigmoid();
  }
  return a;
}

/** E = ½ Σ (y − t)² */
export function halfSquaredError(y: Tensor, t: Tensor): Tensor {
  return y.sub(t).pow(2).sum().mul(0.5);
}

function params(layers: readonly Layer[]): Tensor[] {
  return layers.flatMap(({ W, b }) => [W, b]);
}

export function trainXor(options: XorOptions = {}): XorResult {
  // Options given as undefined keep their defaults.
  const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const o: Required<Omit<XorOptions, 'onLog'>> & XorOptions = { ...XOR_DEFAULTS, ...given };
  const start = performance.now();
  const layers = initLayers([2, o.hidden, 1], new Generator(o.seed));
  const xs = XOR_INPUTS.map((x) => tensor(x, { dtype: 'float64' }));
  const ts = XOR_TARGETS.map((t) => tensor([t], { dtype: 'float64' }));
  const history: [number, number][] = [];
  const ps = params(layers);

  let epoch = 0;
  let error = Infinity;
  while (epoch < o.epochs && !(error < o.threshold)) {
    epoch++;
    error = 0;
    for (let i = 0; i < xs.length; i++) {
      const loss = halfSquaredError(forward(layers, xs[i]), ts[i]);
      error += loss.item() as number;
      loss.backward();
      // Online gradient descent: p ← p − lr·∇p, then clear the gradient (PyTorch's zero_grad sets None).
      noGrad(() => {
        for (const p of ps) {
          p.sub_(p.grad!, { alpha: o.lr });
          p.grad = null;
        }
      });
    }
    const last = error < o.threshold || epoch === o.epochs;
    if (epoch % o.logEvery === 0 || last) {
      history.push([epoch, error]);
      o.onLog?.(epoch, error);
    }
  }

  const table = noGrad(() =>
    xs.map((x, i) => ({
      input: XOR_INPUTS[i],
      target: XOR_TARGETS[i],
      output: forward(layers, x).item() as number,
    })),
  );
  return {
    converged: error < o.threshold,
    epochs: epoch,
    finalError: error,
    seconds: (performance.now() - start) / 1000,
    table,
    gradNorm: fullGradNorm(layers, xs, ts),
    history,
  };
}

/** ‖∇E‖ over all parameters, E summed over all samples, at the current weights. */
function fullGradNorm(layers: readonly Layer[], xs: readonly Tensor[], ts: readonly Tensor[]): number {
  let total: Tensor | null = null;
  for (let i = 0; i < xs.length; i++) {
    const loss = halfSquaredError(forward(layers, xs[i]), ts[i]);
    total = total ? total.add(loss) : loss;
  }
  total!.backward();
  let sq = 0;
  for (const p of params(layers)) {
    for (const g of p.grad!.dataSync()) sq += g * g;
    p.grad = null;
  }
  return Math.sqrt(sq);
}
