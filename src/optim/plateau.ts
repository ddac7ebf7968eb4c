import { BackendError, DTypeError, IndexError } from '../tensor/errors.js';
import { Tensor } from '../tensor/tensor.js';
import type { Optimizer } from './optimizer.js';
import type { Scheduler } from './lr-scheduler.js';
import { checkOptimizer, ownState } from './lr-scheduler.js';
import { checkOption } from './validate.js';

export interface ReduceLROnPlateauOptions {
  /** 'min': the metric should go down (a loss); 'max': up (an accuracy). */
  mode?: 'min' | 'max';
  /** lr × factor on a plateau (default 0.1). */
  factor?: number;
  /** Epochs without improvement before reducing (default 10). */
  patience?: number;
  /** What counts as an improvement (default 1e-4), relative or absolute per thresholdMode. */
  threshold?: number;
  thresholdMode?: 'rel' | 'abs';
  /** Epochs to wait after a reduction before counting bad epochs again. */
  cooldown?: number;
  /** Lower bound of the lr: one number or one per group. */
  minLr?: number | number[];
  /** Reductions smaller than eps are skipped. */
  eps?: number;
}

/**
 * Reduces the learning rate when a metric stops improving (PyTorch's ReduceLROnPlateau): call
 * step(metric) once per epoch with, say, the validation loss.
 */
export class ReduceLROnPlateau implements Scheduler {
  readonly optimizer: Optimizer<any>;
  mode: 'min' | 'max';
  factor: number;
  patience: number;
  threshold: number;
  thresholdMode: 'rel' | 'abs';
  cooldown: number;
  minLrs: number[];
  eps: number;
  best: number;
  numBadEpochs = 0;
  cooldownCounter = 0;
  lastEpoch = 0;
  protected lastLr: number[];

  constructor(optimizer: Optimizer<any>, opts: ReduceLROnPlateauOptions = {}) {
    const cls = 'ReduceLROnPlateau';
    this.optimizer = checkOptimizer(cls, optimizer);
    this.factor = opts.factor ?? 0.1;
    checkOption(cls, 'factor', this.factor, { max: 1 });
    const n = optimizer.paramGroups.length;
    const minLr = opts.minLr ?? 0;
    if (Array.isArray(minLr) && minLr.length !== n) {
      throw new IndexError(`${cls}: expected ${n} minLr values (one per group), got ${minLr.length}`);
    }
    this.minLrs = Array.isArray(minLr) ? [...minLr] : Array<number>(n).fill(minLr);
    this.patience = opts.patience ?? 10;
    this.cooldown = opts.cooldown ?? 0;
    this.mode = opts.mode ?? 'min';
    this.threshold = opts.threshold ?? 1e-4;
    this.thresholdMode = opts.thresholdMode ?? 'rel';
    this.eps = opts.eps ?? 1e-8;
    this.checkModes();
    this.best = this.modeWorse;
    this.lastLr = optimizer.paramGroups.map((g) => g.lr);
  }

  private checkModes(): void {
    if (this.mode !== 'min' && this.mode !== 'max') {
      throw new IndexError(`ReduceLROnPlateau: mode must be 'min' or 'max', got '${String(this.mode)}'`);
    }
    if (this.thresholdMode !== 'rel' && this.thresholdMode !== 'abs') {
      throw new IndexError(
        `ReduceLROnPlateau: thresholdMode must be 'rel' or 'abs', got '${String(this.thresholdMode)}'`,
      );
    }
  }

  private get modeWorse(): number {
    return this.mode === 'min' ? Infinity : -Infinity;
  }

  get inCooldown(): boolean {
    return this.cooldownCounter > 0;
  }

  isBetter(a: number, best: number): boolean {
    if (this.mode === 'min' && this.thresholdMode === 'rel') return a < best * (1 - this.threshold);
    if (this.mode === 'min') return a < best - this.threshold;
    if (this.thresholdMode === 'rel') return a > best * (this.threshold + 1);
    return a > best + this.threshold;
  }

  /** Records one epoch's metric (a number or a one-element tensor) and reduces the lr after a plateau. */
  step(metric: number | Tensor): void {
    if (metric instanceof Tensor && !metric.storage.backend.canReadSync) {
      throw new BackendError(
        `ReduceLROnPlateau.step: the '${metric.backendName}' backend cannot read the metric synchronously; ` +
          "pass a number: 'step(await metric.itemAsync())'",
      );
    }
    const current = metric instanceof Tensor ? Number(metric.item()) : metric;
    if (typeof current !== 'number') {
      throw new DTypeError(
        `ReduceLROnPlateau.step: expected the metric as a number or a tensor, got ${typeof metric}`,
      );
    }
    this.lastEpoch += 1;
    if (this.isBetter(current, this.best)) {
      this.best = current;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs += 1;
    }
    if (this.inCooldown) {
      this.cooldownCounter -= 1;
      this.numBadEpochs = 0; // bad epochs in cooldown do not count
    }
    if (this.numBadEpochs > this.patience) {
      this.optimizer.paramGroups.forEach((g, i) => {
        const newLr = Math.max(g.lr * this.factor, this.minLrs[i]);
        if (g.lr - newLr > this.eps) g.lr = newLr;
      });
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  getLastLr(): number[] {
    return [...this.lastLr];
  }

  stateDict(): Record<string, unknown> {
    return ownState(this);
  }

  loadStateDict(sd: Record<string, unknown>): void {
    Object.assign(this, structuredClone(sd));
    // JSON turns the initial ±Infinity into null.
    if (typeof this.best !== 'number') this.best = this.modeWorse;
    this.checkModes();
  }
}
