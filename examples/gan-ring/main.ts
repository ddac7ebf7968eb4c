/**
 * WGAN-GP (Gulrajani et al. 2017) on a ring of 8 Gaussians (radius 2, std 0.02), the classic test of
 * mode collapse. Generator 2-128-128-2 on 2-D standard normal noise and critic 2-128-128-1, ReLU MLPs;
 * the critic minimizes D(fake) − D(real) + λ (‖∇D(x̂)‖ − 1)² with λ = 10 on random interpolates x̂,
 * 5 critic steps per generator step, Adam 1e-4 with betas (0.5, 0.9), batch 512, 10,000 generator
 * steps (--epochs sets the generator steps).
 *
 * Every 250 steps, 2,500 samples from fixed noise are scored: a sample is of high quality within
 * 3 std (0.06) of its nearest mode, and a mode is captured when it is the nearest mode of at least
 * one high-quality sample. Writes metrics.csv, scatter plots of real against generated points at
 * steps 0, N/5, …, N, the metric's curve and a checkpoint (generator and critic).
 *
 *   npx chainrule train gan-ring
 *   npx chainrule eval runs/gan-ring/checkpoint.safetensors
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Tensor } from '../../src/index.js';
import { defaultGenerator, Generator, manualSeed, nn, noGrad, optim, randn } from '../../src/index.js';
import {
  linePlot,
  loadCheckpoint,
  readCheckpoint,
  saveCheckpoint,
  scatterPlot,
  writePng,
} from '../../src/node/index.js';
import type { Example, ExampleOptions, Summary } from '../common.js';
import { round, withOptions } from '../common.js';
import { gradientPenalty } from './penalty.js';
import type { RingMetric } from './ring.js';
import { ringMetric, sampleRing } from './ring.js';

const CONFIG = {
  /** Generator steps. */
  epochs: 10_000,
  batchSize: 512,
  lr: 1e-4,
  betas: [0.5, 0.9] as [number, number],
  seed: 0,
  criticSteps: 5,
  lambda: 10,
  hidden: 128,
  /** Size of the generator's standard normal input. */
  noise: 2,
  evalSamples: 2500,
  evalEvery: 250,
  /** Scatter plots at steps 0, N/5, …, N. */
  snapshots: 5,
  /** --quick (a smoke test): generator steps and the evaluation interval. */
  quickSteps: 50,
  quickEvalEvery: 10,
};

type Config = typeof CONFIG;

/** Seeds of the run's random streams, offset from --seed so that each is reproducible on its own. */
const STREAMS = { data: 1, noise: 2, interpolate: 3, evalNoise: 4, evalReal: 5 };

function mlp(sizes: number[], generator?: Generator): nn.Sequential {
  const layers: nn.Module[] = [];
  for (let i = 1; i < sizes.length; i++) {
    layers.push(new nn.Linear(sizes[i - 1], sizes[i], { generator }));
    if (i < sizes.length - 1) layers.push(new nn.ReLU());
  }
  return new nn.Sequential(...layers);
}

/** The generator and the critic in one module, so that one checkpoint holds both. */
export class RingWgan extends nn.Module {
  readonly generator: nn.Sequential;
  readonly critic: nn.Sequential;

  constructor(
    readonly noise = CONFIG.noise,
    hidden = CONFIG.hidden,
    rng?: Generator,
  ) {
    super();
    this.generator = mlp([noise, hidden, hidden, 2], rng);
    this.critic = mlp([2, hidden, hidden, 1], rng);
  }

  /** Noise [n, noise] to points [n, 2]. */
  forward(z: Tensor): Tensor {
    return this.generator.forward(z) as Tensor;
  }

  score(x: Tensor): Tensor {
    return this.critic.forward(x) as Tensor;
  }
}

/** The generated points for a fixed noise batch, and their mode metric. */
function evaluateRing(model: RingWgan, zEval: Tensor): { points: Float32Array; metric: RingMetric } {
  const points = noGrad(() => model.forward(zEval).dataSync() as Float32Array);
  return { points, metric: ringMetric(points) };
}

/** Real against generated points on fixed axes [−3, 3]² (points outside are left out). */
function snapshotPlot(real: Float32Array, fake: Float32Array, title: string) {
  const inside = (v: Float32Array) => {
    const x: number[] = [];
    const y: number[] = [];
    for (let i = 0; i + 1 < v.length; i += 2) {
      if (Math.abs(v[i]) <= 3 && Math.abs(v[i + 1]) <= 3) {
        x.push(v[i]);
        y.push(v[i + 1]);
      }
    }
    return { x, y };
  };
  return scatterPlot(
    [
      { name: 'real', ...inside(real) },
      { name: 'generated', ...inside(fake) },
    ],
    { title, xRange: [-3, 3], yRange: [-3, 3], width: 520, height: 520, radius: 1, alpha: 0.5 },
  );
}

interface Row {
  step: number;
  modesCaptured: number;
  highQualityPercent: number;
  wassersteinEstimate: number;
  criticLoss: number;
  generatorLoss: number;
}

async function run(opts: ExampleOptions): Promise<Summary> {
  const cfg = withOptions(CONFIG, opts, CONFIG.quickSteps);
  const evalEvery = opts.quick ? cfg.quickEvalEvery : cfg.evalEvery;
  const started = Date.now();
  manualSeed(cfg.seed);
  const gens = {
    default: defaultGenerator,
    data: new Generator(cfg.seed + STREAMS.data),
    noise: new Generator(cfg.seed + STREAMS.noise),
    interpolate: new Generator(cfg.seed + STREAMS.interpolate),
  };
  const model = new RingWgan(cfg.noise, cfg.hidden, new Generator(cfg.seed));
  const adam = { lr: cfg.lr, betas: cfg.betas };
  const optG = new optim.Adam(model.generator.parameters(), adam);
  const optD = new optim.Adam(model.critic.parameters(), adam);
  const critic = (x: Tensor) => model.score(x);
  const zEval = randn([cfg.evalSamples, cfg.noise], {
    generator: new Generator(cfg.seed + STREAMS.evalNoise),
  });
  const realEval = sampleRing(
    cfg.evalSamples,
    new Generator(cfg.seed + STREAMS.evalReal),
  ).dataSync() as Float32Array;
  const out = opts.out ?? join('runs', 'gan-ring');
  mkdirSync(out, { recursive: true });
  console.log(model.toString());
  console.log(
    `WGAN-GP on 8 Gaussians: ${cfg.epochs} generator steps × ${cfg.criticSteps} critic steps, batch ${cfg.batchSize}`,
  );

  const N = cfg.epochs;
  const snapshotSteps = new Set(
    Array.from({ length: cfg.snapshots + 1 }, (_, k) => Math.round((k * N) / cfg.snapshots)),
  );
  const pictures: string[] = [];
  const rows: Row[] = [];
  let last = { wasserstein: NaN, critic: NaN, generator: NaN };
  let trainSeconds = 0;
  const record = (step: number) => {
    const logged = step % evalEvery === 0 || step === N;
    if (!logged && !snapshotSteps.has(step)) return;
    const { points, metric } = evaluateRing(model, zEval);
    if (logged) {
      rows.push({
        step,
        ...metric,
        wassersteinEstimate: last.wasserstein,
        criticLoss: last.critic,
        generatorLoss: last.generator,
      });
      console.log(
        `step ${step}  W ${last.wasserstein.toFixed(4)}  critic ${last.critic.toFixed(4)}  ` +
          `generator ${last.generator.toFixed(4)}  modes ${metric.modesCaptured}/8  ` +
          `high quality ${metric.highQualityPercent.toFixed(1)}%` +
          (step > 0 ? `  steps/s ${(step / trainSeconds).toFixed(2)}` : ''),
      );
    }
    if (snapshotSteps.has(step)) {
      const path = join(out, `samples-step-${String(step).padStart(5, '0')}.png`);
      const title = `step ${step}: ${metric.modesCaptured}/8 modes, ${metric.highQualityPercent.toFixed(1)}% high quality`;
      writePng(path, snapshotPlot(realEval, points, title));
      pictures.push(path);
    }
  };

  record(0);
  for (let step = 1; step <= N; step++) {
    const t0 = performance.now();
    for (let c = 0; c < cfg.criticSteps; c++) {
      const real = sampleRing(cfg.batchSize, gens.data);
      const fake = noGrad(() => model.forward(randn([cfg.batchSize, cfg.noise], { generator: gens.noise })));
      const dReal = critic(real).mean();
      const dFake = critic(fake).mean();
      const gp = gradientPenalty(critic, real, fake, cfg.lambda, gens.interpolate);
      const loss = dFake.sub(dReal).add(gp);
      optD.zeroGrad();
      loss.backward();
      optD.step();
      last.critic = loss.item() as number;
      last.wasserstein = (dReal.item() as number) - (dFake.item() as number);
    }
    // The generator's step also fills the critic's gradients; the next critic step zeroes them.
    const z = randn([cfg.batchSize, cfg.noise], { generator: gens.noise });
    const lossG = critic(model.forward(z)).mean().neg();
    optG.zeroGrad();
    lossG.backward();
    optG.step();
    last = { ...last, generator: lossG.item() as number };
    trainSeconds += (performance.now() - t0) / 1000;
    record(step);
    // Back to the event loop now and then, as fit() does, so that dead tensors can be freed.
    if (step % 16 === 0) await Promise.resolve();
  }

  const metricsCsv = join(out, 'metrics.csv');
  const header = 'step,modesCaptured,highQualityPercent,wassersteinEstimate,criticLoss,generatorLoss';
  const fmt = (v: number) => (Number.isFinite(v) ? String(round(v, 5)) : '');
  const lines = rows.map((r) =>
    [
      r.step,
      r.modesCaptured,
      fmt(r.highQualityPercent),
      fmt(r.wassersteinEstimate),
      fmt(r.criticLoss),
      fmt(r.generatorLoss),
    ].join(','),
  );
  writeFileSync(metricsCsv, [header, ...lines].join('\n') + '\n');
  const curve = join(out, 'metrics.png');
  writePng(
    curve,
    linePlot(
      [
        { name: 'high-quality %', x: rows.map((r) => r.step), y: rows.map((r) => r.highQualityPercent) },
        {
          name: 'modes captured (x10)',
          x: rows.map((r) => r.step),
          y: rows.map((r) => 10 * r.modesCaptured),
        },
      ],
      { title: 'gan-ring: mode metric over training', xLabel: 'generator step', yRange: [0, 100] },
    ),
  );
  pictures.push(curve);
  const checkpoint = join(out, 'checkpoint.safetensors');
  // Both optimizers' states do not fit the one-optimizer checkpoint: it holds the weights for eval.
  saveCheckpoint(checkpoint, {
    model,
    epoch: N,
    generators: gens,
    extra: { example: 'gan-ring', config: cfg },
  });
  const final = rows[rows.length - 1];
  return {
    example: 'gan-ring',
    modesCaptured: final.modesCaptured,
    highQualityPercent: round(final.highQualityPercent, 2),
    generatorSteps: N,
    criticSteps: cfg.criticSteps,
    noiseDim: cfg.noise,
    seconds: round((Date.now() - started) / 1000, 1),
    stepsPerSecond: round(N / Math.max(trainSeconds, 1e-9), 2),
    history: rows.map((r) => ({
      step: r.step,
      modesCaptured: r.modesCaptured,
      highQualityPercent: round(r.highQualityPercent, 2),
    })),
    metricsCsv,
    checkpoint,
    pictures,
  };
}

/** `chainrule eval <checkpoint>`: the saved generator's mode metric on the run's evaluation noise. */
function evaluate(path: string): Summary {
  const cfg = (readCheckpoint(path).extra as { config?: Config } | undefined)?.config;
  if (!cfg) throw new Error(`${path} holds no gan-ring configuration`);
  const model = new RingWgan(cfg.noise, cfg.hidden);
  loadCheckpoint(path, { model, generators: {} });
  const zEval = randn([cfg.evalSamples, cfg.noise], {
    generator: new Generator(cfg.seed + STREAMS.evalNoise),
  });
  const { metric } = evaluateRing(model, zEval);
  return {
    example: 'gan-ring',
    checkpoint: path,
    modesCaptured: metric.modesCaptured,
    highQualityPercent: round(metric.highQualityPercent, 2),
  };
}

export const example: Example = {
  name: 'gan-ring',
  description: 'WGAN-GP on a ring of 8 Gaussians: modes captured and sample quality',
  run,
  evaluate,
};
