/**
 * The training engine: data, network and optimizer of one configuration, one optimizer step at a
 * time, and the reports the page draws. It runs in a Web Worker, or on the page's main thread where
 * workers are unavailable (runner.ts drives it in small slices either way).
 */
import { Generator, data, getBackend, manualSeed, nn, noGrad, optim, tensor } from 'chainrule';
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

function matrix(t: Tensor): Matrix {
  const [rows, cols] = t.shape;
  return { rows, cols, values: Array.from(t.dataSync() as Float32Array) };
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
  private normSums: number[];
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
    this.split = makeDataset(config);
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
    this.makeLoader();
  }

  get backend(): string {
    return getBackend().name;
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
  trainStep(): void {
    const { model, linears } = this.net;
    model.train();
    const [x, y] = this.nextBatch();
    this.optimizer.zeroGrad();
    let loss = F.binaryCrossEntropyWithLogits(model.forward(x), y);
    const weights = linears.map((l) => l.weight);
    if (this.live.l1 > 0) loss = loss.add(optim.l1Penalty(weights).mul(this.live.l1));
    if (this.live.l2 > 0) loss = loss.add(optim.l2Penalty(weights).mul(this.live.l2));
    loss.backward();
    linears.forEach((l, i) => {
      const g = l.weight.grad!.dataSync();
      let s = 0;
      for (let k = 0; k < g.length; k++) s += g[k] * g[k];
      this.normSums[i] += Math.sqrt(s);
    });
    this.normCount++;
    this.optimizer.step();
    this.steps++;
    this.epoch += 1 / this.loader.length;
  }

  /** Loss and accuracy on a whole set, in evaluation mode. */
  private evaluate(x: Tensor, y: Tensor): { loss: number; accuracy: number } {
    const logits = this.net.model.forward(x);
    const loss = Number(F.binaryCrossEntropyWithLogits(logits, y).item());
    const accuracy = Number(logits.gt(0).float().eq(y).float().mean().item());
    return { loss, accuracy };
  }

  progress(running: boolean): Progress {
    const { model, linears } = this.net;
    model.eval();
    const result = noGrad(() => {
      const train = this.evaluate(this.trainX, this.trainY);
      const test = this.evaluate(this.testX, this.testY);
      const grid = model.forward(this.grid).sigmoid().dataSync() as Float32Array;
      return { train, test, grid: Float32Array.from(grid) };
    });
    model.train();
    const gradNorms = this.normSums.map((s) => (this.normCount ? s / this.normCount : NaN));
    this.normSums.fill(0);
    this.normCount = 0;
    return {
      type: 'progress',
      running,
      steps: this.steps,
      epoch: this.epoch,
      trainLoss: result.train.loss,
      testLoss: result.test.loss,
      trainAccuracy: result.train.accuracy,
      testAccuracy: result.test.accuracy,
      grid: result.grid,
      gridSize: GRID_SIZE,
      weights: linears.map((l) => matrix(l.weight)),
      biases: linears.map((l) => Array.from(l.bias!.dataSync() as Float32Array)),
      gradNorms,
    };
  }

  /** One step with its detail: the chosen sample's forward and backward pass, then the update. */
  oneStep(): StepDetail {
    const { model, linears } = this.net;
    const state: StepDetail['state'] = {};
    for (const [name, t] of Object.entries(model.stateDict())) {
      state[name] = { shape: [...t.shape], values: Array.from(t.dataSync() as ArrayLike<number>) };
    }
    const before = linears.map((l) => matrix(l.weight));
    const { train } = this.split;
    const sample = Math.min(this.sample, train.y.length - 1);
    const input = [train.x[2 * sample], train.x[2 * sample + 1]];
    const target = train.y[sample];
    const pass = samplePass(this.net, input, target);
    this.trainStep();
    const layers = pass.layers.map((layer, l) => {
      const after = linears[l].weight.dataSync();
      const w = before[l];
      const update = { ...w, values: w.values.map((v, k) => after[k] - v) };
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
