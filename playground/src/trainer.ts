/**
 * The training engine: data, network and optimizer of one configuration, one optimizer step at a
 * time, and the reports the page draws. It runs in a Web Worker, or on the page's main thread where
 * workers are unavailable (runner.ts drives it in small slices either way). Reports read values
 * with `await t.data()`, which every backend allows (WebGPU allows nothing else).
 */
import { Generator, data, getBackend, manualSeed, nn, noGrad, optim, setBackend, tensor } from 'chainrule';
import type { Tensor } from 'chainrule';
import { makeDataset } from './datasets.js';
import type { Split } from './datasets.js';
import { buildNetwork, makeOptimizer } from './model.js';
import type { Network } from './model.js';
import type { Config, LiveSettings, Matrix, Points, Progress, StepDetail } from './protocol.js';
import { samplePass } from './sample-pass.js';

const F = nn.functional;
export const GRID_SIZE = 50;

type Batch = [Tensor, Tensor];

function inputs(p: Points): Tensor {
  return tensor(p.x).reshape([p.y.length, 2]);
}

function targets(p: Points): Tensor {
  return tensor(Float32Array.from(p.y)).reshape([p.y.length, 1]);
}

const list = async (t: Tensor): Promise<number[]> => Array.from((await t.data()) as Float32Array);

async function matrix(t: Tensor): Promise<Matrix> {
  const [rows, cols] = t.shape;
  return { rows, cols, values: await list(t) };
}

/** The data set, made on the js backend where the chosen one cannot read synchronously. */
function dataset(config: Config): Split {
  const chosen = getBackend();
  if (chosen.canReadSync) return makeDataset(config);
  setBackend('js');
  try {
    return makeDataset(config);
  } finally {
    setBackend(chosen.name);
  }
}

/** The lattice of the heat map: cell centres, row 0 at the top (largest y). */
function lattice(extent: number, n: number): Tensor {
  const xy = new Float32Array(2 * n * n);
  const at = (k: number) => -extent + ((k + 0.5) * 2 * extent) / n;
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      xy[2 * (r * n + c)] = at(c);
      xy[2 * (r * n + c) + 1] = at(n - 1 - r);
    }
  }
  return tensor(xy).reshape([n * n, 2]);
}

export class Trainer {
  readonly config: Config;
  readonly split: Split;
  readonly net: Network;
  private readonly optimizer: optim.Optimizer;
  private readonly trainX: Tensor;
  private readonly trainY: Tensor;
  private readonly testX: Tensor;
  private readonly testY: Tensor;
  private readonly grid: Tensor;
  private readonly shuffle: Generator;
  private loader!: data.DataLoader<Tensor[], Tensor[]>;
  private batches!: Iterator<Tensor[]>;
  private live: LiveSettings;
  steps = 0;
  epoch = 0;
  /** The training sample that the step view follows. */
  sample = 0;
  /** Per layer: the sum of ‖∂L/∂W‖ since the last report, on the host or (WebGPU) on the device. */
  private normSums: number[];
  private deviceNorms: (Tensor | null)[];
  private normCount = 0;

  constructor(config: Config) {
    this.config = config;
    this.live = {
      lr: config.lr,
      batchSize: config.batchSize,
      l1: config.l1,
      l2: config.l2,
      speed: config.speed,
    };
    this.split = dataset(config);
    manualSeed(config.seed);
    this.net = buildNetwork(config);
    this.optimizer = makeOptimizer(config, this.net.model.parameters());
    this.shuffle = new Generator(config.seed + 1);
    this.trainX = inputs(this.split.train);
    this.trainY = targets(this.split.train);
    this.testX = inputs(this.split.test);
    this.testY = targets(this.split.test);
    this.grid = lattice(this.split.extent, GRID_SIZE);
    this.normSums = this.net.linears.map(() => 0);
    this.deviceNorms = this.net.linears.map(() => null);
    this.makeLoader();
  }

  get backend(): string {
    return getBackend().name;
  }

  /** Whether values must be awaited (WebGPU): the runner then waits on the device now and then. */
  get readsAsync(): boolean {
    return !getBackend().canReadSync;
  }

  get speed(): number {
    return this.live.speed;
  }

  private makeLoader(): void {
    const dataset = new data.TensorDataset(this.trainX, this.trainY);
    const batchSize = Math.min(this.live.batchSize, this.split.train.y.length);
    this.loader = new data.DataLoader(dataset, { batchSize, shuffle: true, generator: this.shuffle });
    this.batches = this.loader[Symbol.iterator]();
  }

  setLive(settings: LiveSettings): void {
    const batchChanged = settings.batchSize !== this.live.batchSize;
    this.live = settings;
    for (const group of this.optimizer.paramGroups) group.lr = settings.lr;
    if (batchChanged) this.makeLoader();
  }

  private nextBatch(): Batch {
    let next = this.batches.next();
    if (next.done) {
      this.batches = this.loader[Symbol.iterator]();
      next = this.batches.next();
    }
    return next.value as Batch;
  }

  /** One optimizer step on the next mini-batch: mean cross-entropy plus the L1/L2 penalties. */
  trainStep(): Tensor {
    const { model, linears } = this.net;
    model.train();
    const [x, y] = this.nextBatch();
    this.optimizer.zeroGrad();
    let loss = F.binaryCrossEntropyWithLogits(model.forward(x), y);
    const weights = linears.map((l) => l.weight);
    if (this.live.l1 > 0) loss = loss.add(optim.l1Penalty(weights).mul(this.live.l1));
    if (this.live.l2 > 0) loss = loss.add(optim.l2Penalty(weights).mul(this.live.l2));
    loss.backward();
    if (this.readsAsync) {
      // Summed on the device and read with the next report: no wait per step.
      noGrad(() =>
        linears.forEach((l, i) => {
          const n = l.weight.grad!.norm();
          const sum = this.deviceNorms[i];
          this.deviceNorms[i] = sum ? sum.add(n) : n;
        }),
      );
    } else {
      linears.forEach((l, i) => {
        const g = l.weight.grad!.dataSync();
        let s = 0;
        for (let k = 0; k < g.length; k++) s += g[k] * g[k];
        this.normSums[i] += Math.sqrt(s);
      });
    }
    this.normCount++;
    this.optimizer.step();
    this.steps++;
    this.epoch += 1 / this.loader.length;
    return loss;
  }

  /** Loss and accuracy on a whole set, as tensors (read by the caller). */
  private evaluate(x: Tensor, y: Tensor): Tensor[] {
    const logits = this.net.model.forward(x);
    const loss = F.binaryCrossEntropyWithLogits(logits, y);
    return [loss, logits.gt(0).float().eq(y).float().mean()];
  }

  /** What the page draws; `running` is filled in by the runner when it posts the report. */
  async progress(): Promise<Progress> {
    const { model, linears } = this.net;
    model.eval();
    const tensors = noGrad(() => [
      ...this.evaluate(this.trainX, this.trainY),
      ...this.evaluate(this.testX, this.testY),
      model.forward(this.grid).sigmoid(),
    ]);
    model.train();
    const count = this.normCount;
    const sums = this.deviceNorms;
    const host = this.normSums;
    this.deviceNorms = linears.map(() => null);
    this.normSums = linears.map(() => 0);
    this.normCount = 0;
    const [values, weights, biases, norms] = await Promise.all([
      Promise.all(tensors.map((t) => t.data())),
      Promise.all(linears.map((l) => matrix(l.weight))),
      Promise.all(linears.map((l) => list(l.bias!))),
      Promise.all(sums.map(async (t, i) => (t ? Number((await t.data())[0]) : host[i]))),
    ]);
    const [trainLoss, trainAccuracy, testLoss, testAccuracy] = values.slice(0, 4).map((v) => Number(v[0]));
    return {
      type: 'progress',
      running: false,
      steps: this.steps,
      epoch: this.epoch,
      trainLoss,
      testLoss,
      trainAccuracy,
      testAccuracy,
      grid: Float32Array.from(values[4] as Float32Array),
      gridSize: GRID_SIZE,
      weights,
      biases,
      gradNorms: norms.map((s) => (count ? s / count : NaN)),
    };
  }

  /** One step with its detail: the chosen sample's forward and backward pass, then the update. */
  async oneStep(): Promise<StepDetail> {
    const { model, linears } = this.net;
    const entries = Object.entries(model.stateDict());
    const stateValues = await Promise.all(entries.map(([, t]) => t.data()));
    const state: StepDetail['state'] = {};
    entries.forEach(([name, t], i) => {
      state[name] = { shape: [...t.shape], values: Array.from(stateValues[i] as ArrayLike<number>) };
    });
    const before = await Promise.all(linears.map((l) => matrix(l.weight)));
    const { train } = this.split;
    const sample = Math.min(this.sample, train.y.length - 1);
    const input = [train.x[2 * sample], train.x[2 * sample + 1]];
    const target = train.y[sample];
    const pass = await samplePass(this.net, input, target);
    this.trainStep();
    const after = await Promise.all(linears.map((l) => l.weight.data()));
    const layers = pass.layers.map((layer, l) => {
      const w = before[l];
      const update = { ...w, values: w.values.map((v, k) => after[l][k] - v) };
      const name = l === linears.length - 1 ? 'output' : `hidden ${l + 1}`;
      return { name, ...layer, weight: w, update };
    });
    return {
      type: 'step',
      sample,
      input,
      target,
      loss: pass.loss,
      layers,
      evalMode: this.config.batchNorm || this.config.dropout > 0,
      batchSize: this.loader.batchSize,
      optimizer: this.config.optimizer,
      lr: this.live.lr,
      state,
    };
  }
}
