/**
 * Learning-rate schedulers, as in PyTorch 1.13's torch.optim.lr_scheduler. Each one is created after
 * its optimizer (which sets every group's lr for step 0) and stepped once per epoch (or per batch)
 * after optimizer.step(). step() uses PyTorch's recursive ("chainable") form, which multiplies the
 * group's current lr, so schedulers compose; step(epoch) uses the closed form where there is one.
 */
import { DTypeError, IndexError } from '../tensor/errors.js';
import type { OptimizerOptions, ParamGroup } from './optimizer.js';
import { Optimizer } from './optimizer.js';
import { checkOption } from './validate.js';

/** What every scheduler offers (ReduceLROnPlateau's step takes the metric). */
export interface Scheduler {
  readonly optimizer: Optimizer<any>;
  getLastLr(): number[];
  stateDict(): Record<string, unknown>;
  loadStateDict(sd: Record<string, unknown>): void;
}

export function checkOptimizer(cls: string, optimizer: unknown): Optimizer<any> {
  if (!(optimizer instanceof Optimizer)) {
    throw new DTypeError(
      `${cls}: expected an Optimizer, got ${optimizer === null ? 'null' : typeof optimizer}`,
    );
  }
  return optimizer;
}

/** Plain-data copy of a scheduler's own fields, leaving out the optimizer and the given keys. */
export function ownState(obj: object, skip: readonly string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (k !== 'optimizer' && !skip.includes(k) && typeof v !== 'function') out[k] = structuredClone(v);
  }
  return out;
}

/** Base class: PyTorch's _LRScheduler (base learning rates, lastEpoch, getLastLr, state). */
export abstract class LRScheduler implements Scheduler {
  readonly optimizer: Optimizer<any>;
  baseLrs: number[];
  lastEpoch: number;
  /** Calls of step() so far (PyTorch's _step_count). */
  protected stepCount = 0;
  protected lastLr: number[] = [];

  constructor(optimizer: Optimizer<any>, lastEpoch = -1) {
    const cls = new.target.name;
    this.optimizer = checkOptimizer(cls, optimizer);
    const groups = this.groups;
    if (lastEpoch === -1) {
      for (const g of groups) if (g.initialLr === undefined) g.initialLr = g.lr;
    } else {
      groups.forEach((g, i) => {
        if (g.initialLr === undefined) {
          throw new IndexError(
            `${cls}: paramGroups[${i}] has no initialLr, needed to resume at lastEpoch ${lastEpoch}`,
          );
        }
      });
    }
    this.baseLrs = groups.map((g) => g.initialLr!);
    this.lastEpoch = lastEpoch;
  }

  protected get groups(): ParamGroup<OptimizerOptions>[] {
    return this.optimizer.paramGroups;
  }

  /** The learning rates for the new lastEpoch, from the current ones (the chainable form). */
  protected abstract getLr(): number[];

  /** The learning rates as a function of lastEpoch alone, where PyTorch has such a form. */
  protected closedFormLr(): number[] | null {
    return null;
  }

  /** Resets the step count and takes the first step (PyTorch's _initial_step); run by each constructor. */
  initialStep(): void {
    this.stepCount = 0;
    this.step();
  }

  /** Advances one epoch; with an epoch number, jumps there using the closed form (deprecated in PyTorch). */
  step(epoch?: number): void {
    this.stepCount++;
    let values: number[];
    if (epoch === undefined) {
      this.lastEpoch++;
      values = this.getLr();
    } else {
      this.lastEpoch = epoch;
      values = this.closedFormLr() ?? this.getLr();
    }
    this.groups.forEach((g, i) => (g.lr = values[i]));
    this.lastLr = this.groups.map((g) => g.lr);
  }

  /** The learning rates set by the last step, one per parameter group. */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  stateDict(): Record<string, unknown> {
    return ownState(this);
  }

  loadStateDict(sd: Record<string, unknown>): void {
    Object.assign(this, structuredClone(sd));
  }

  protected currentLrs(): number[] {
    return this.groups.map((g) => g.lr);
  }
}

/** lr × gamma every stepSize epochs. */
export class StepLR extends LRScheduler {
  stepSize: number;
  gamma: number;

  constructor(
    optimizer: Optimizer<any>,
    stepSize: number,
    opts: { gamma?: number; lastEpoch?: number } = {},
  ) {
    super(optimizer, opts.lastEpoch);
    checkOption('StepLR', 'stepSize', stepSize, { min: 1 });
    this.stepSize = stepSize;
    this.gamma = opts.gamma ?? 0.1;
    this.initialStep();
  }

  protected getLr(): number[] {
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return this.currentLrs();
    return this.currentLrs().map((lr) => lr * this.gamma);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** Math.floor(this.lastEpoch / this.stepSize));
  }
}

/** lr × gamma at each milestone epoch (a milestone listed twice applies gamma twice). */
export class MultiStepLR extends LRScheduler {
  milestones: number[];
  gamma: number;

  constructor(
    optimizer: Optimizer<any>,
    milestones: readonly number[],
    opts: { gamma?: number; lastEpoch?: number } = {},
  ) {
    super(optimizer, opts.lastEpoch);
    if (!Array.isArray(milestones))
      throw new IndexError('MultiStepLR: milestones must be an array of epochs');
    this.milestones = [...milestones].sort((a, b) => a - b);
    this.gamma = opts.gamma ?? 0.1;
    this.initialStep();
  }

  protected getLr(): number[] {
    const hits = this.milestones.filter((m) => m === this.lastEpoch).length;
    if (hits === 0) return this.currentLrs();
    return this.currentLrs().map((lr) => lr * this.gamma ** hits);
  }

  protected override closedFormLr(): number[] {
    const passed = this.milestones.filter((m) => m <= this.lastEpoch).length;
    return this.baseLrs.map((b) => b * this.gamma ** passed);
  }
}

/** lr × factor until epoch totalIters, then lr. */
export class ConstantLR extends LRScheduler {
  factor: number;
  totalIters: number;

  constructor(
    optimizer: Optimizer<any>,
    opts: { factor?: number; totalIters?: number; lastEpoch?: number } = {},
  ) {
    super(optimizer, opts.lastEpoch);
    this.factor = opts.factor ?? 1 / 3;
    this.totalIters = opts.totalIters ?? 5;
    checkOption('ConstantLR', 'factor', this.factor, { maxInclusive: 1 });
    this.initialStep();
  }

  protected getLr(): number[] {
    if (this.lastEpoch === 0) return this.currentLrs().map((lr) => lr * this.factor);
    if (this.lastEpoch !== this.totalIters) return this.currentLrs();
    return this.currentLrs().map((lr) => lr * (1 / this.factor));
  }

  protected override closedFormLr(): number[] {
    const done = this.lastEpoch >= this.totalIters ? 1 : 0;
    return this.baseLrs.map((b) => b * (this.factor + done * (1 - this.factor)));
  }
}

/** Linear change of the factor from startFactor to endFactor over totalIters epochs (warm-up). */
export class LinearLR extends LRScheduler {
  startFactor: number;
  endFactor: number;
  totalIters: number;

  constructor(
    optimizer: Optimizer<any>,
    opts: { startFactor?: number; endFactor?: number; totalIters?: number; lastEpoch?: number } = {},
  ) {
    super(optimizer, opts.lastEpoch);
    this.startFactor = opts.startFactor ?? 1 / 3;
    this.endFactor = opts.endFactor ?? 1;
    this.totalIters = opts.totalIters ?? 5;
    checkOption('LinearLR', 'startFactor', this.startFactor, { maxInclusive: 1 });
    checkOption('LinearLR', 'endFactor', this.endFactor, { maxInclusive: 1 });
    this.initialStep();
  }

  protected getLr(): number[] {
    const { startFactor: s, endFactor: e, totalIters: n } = this;
    if (this.lastEpoch === 0) return this.currentLrs().map((lr) => lr * s);
    if (this.lastEpoch > n) return this.currentLrs();
    const f = 1 + (e - s) / (n * s + (this.lastEpoch - 1) * (e - s));
    return this.currentLrs().map((lr) => lr * f);
  }

  protected override closedFormLr(): number[] {
    const { startFactor: s, endFactor: e, totalIters: n } = this;
    return this.baseLrs.map((b) => b * (s + ((e - s) * Math.min(n, this.lastEpoch)) / n));
  }
}

/** lr × gamma every epoch. */
export class ExponentialLR extends LRScheduler {
  gamma: number;

  constructor(optimizer: Optimizer<any>, gamma: number, opts: { lastEpoch?: number } = {}) {
    super(optimizer, opts.lastEpoch);
    checkOption('ExponentialLR', 'gamma', gamma);
    this.gamma = gamma;
    this.initialStep();
  }

  protected getLr(): number[] {
    if (this.lastEpoch === 0) return this.currentLrs();
    return this.currentLrs().map((lr) => lr * this.gamma);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** this.lastEpoch);
  }
}

/** Polynomial decay to 0 over totalIters epochs: lr × (1 − t/T)^power. */
export class PolynomialLR extends LRScheduler {
  totalIters: number;
  power: number;

  constructor(
    optimizer: Optimizer<any>,
    opts: { totalIters?: number; power?: number; lastEpoch?: number } = {},
  ) {
    super(optimizer, opts.lastEpoch);
    this.totalIters = opts.totalIters ?? 5;
    this.power = opts.power ?? 1;
    this.initialStep();
  }

  protected getLr(): number[] {
    const n = this.totalIters;
    const t = this.lastEpoch;
    if (t === 0 || t > n) return this.currentLrs();
    const f = ((1 - t / n) / (1 - (t - 1) / n)) ** this.power;
    return this.currentLrs().map((lr) => lr * f);
  }

  protected override closedFormLr(): number[] {
    const t = Math.min(this.totalIters, this.lastEpoch);
    return this.baseLrs.map((b) => b * (1 - t / this.totalIters) ** this.power);
  }
}

/** Cosine annealing from the base lr down to etaMin over tMax epochs (and back up, periodically). */
export class CosineAnnealingLR extends LRScheduler {
  tMax: number;
  etaMin: number;

  constructor(optimizer: Optimizer<any>, tMax: number, opts: { etaMin?: number; lastEpoch?: number } = {}) {
    super(optimizer, opts.lastEpoch);
    checkOption('CosineAnnealingLR', 'tMax', tMax, { min: Number.MIN_VALUE });
    this.tMax = tMax;
    this.etaMin = opts.etaMin ?? 0;
    this.initialStep();
  }

  protected getLr(): number[] {
    const { tMax: T, etaMin: eta, lastEpoch: t } = this;
    if (t === 0) return this.currentLrs();
    if (this.stepCount === 1 && t > 0) {
      return this.baseLrs.map((b) => eta + ((b - eta) * (1 + Math.cos((t * Math.PI) / T))) / 2);
    }
    if ((t - 1 - T) % (2 * T) === 0) {
      return this.groups.map((g, i) => g.lr + ((this.baseLrs[i] - eta) * (1 - Math.cos(Math.PI / T))) / 2);
    }
    const f = (1 + Math.cos((Math.PI * t) / T)) / (1 + Math.cos((Math.PI * (t - 1)) / T));
    return this.currentLrs().map((lr) => f * (lr - eta) + eta);
  }

  protected override closedFormLr(): number[] {
    const { tMax: T, etaMin: eta, lastEpoch: t } = this;
    return this.baseLrs.map((b) => eta + ((b - eta) * (1 + Math.cos((Math.PI * t) / T))) / 2);
  }
}

type LrLambda = (epoch: number) => number;

function lambdas(cls: string, optimizer: Optimizer<any>, f: LrLambda | readonly LrLambda[]): LrLambda[] {
  const n = optimizer.paramGroups.length;
  if (!Array.isArray(f)) return Array<LrLambda>(n).fill(f as LrLambda);
  if (f.length !== n)
    throw new IndexError(`${cls}: expected ${n} lrLambdas (one per group), got ${f.length}`);
  return [...f];
}

/** A scheduler driven by user functions of the epoch, one or one per group (not saved in stateDict()). */
abstract class LambdaScheduler extends LRScheduler {
  lrLambdas: LrLambda[];

  constructor(
    optimizer: Optimizer<any>,
    lrLambda: LrLambda | readonly LrLambda[],
    opts: { lastEpoch?: number } = {},
  ) {
    super(optimizer, opts.lastEpoch);
    this.lrLambdas = lambdas(new.target.name, optimizer, lrLambda);
    this.initialStep();
  }

  override stateDict(): Record<string, unknown> {
    return ownState(this, ['lrLambdas']);
  }
}

/** base lr × lrLambda(epoch). */
export class LambdaLR extends LambdaScheduler {
  protected getLr(): number[] {
    return this.baseLrs.map((b, i) => b * this.lrLambdas[i](this.lastEpoch));
  }
}

/** lr × lrLambda(epoch) every epoch after the first. */
export class MultiplicativeLR extends LambdaScheduler {
  protected getLr(): number[] {
    if (this.lastEpoch === 0) return this.currentLrs();
    return this.currentLrs().map((lr, i) => lr * this.lrLambdas[i](this.lastEpoch));
  }
}
