import { ChainruleError } from '../tensor/errors.js';
import type { Module } from '../nn/module.js';
import type { Tensor } from '../tensor/tensor.js';

/** What fit() reports after each epoch: loss, metrics, and their validation counterparts. */
export type EpochLogs = Record<string, number>;

/** The state fit() shares with callbacks. */
export interface TrainState {
  model: Module;
  epoch: number;
  /** Set by a callback to end training after the current epoch. */
  stopTraining: boolean;
  history: History;
}

export type History = Record<string, number[]>;

/** Hooks into fit(); every method is optional. */
export interface Callback {
  onTrainBegin?(state: TrainState): void;
  onEpochBegin?(epoch: number, state: TrainState): void;
  onBatchEnd?(batch: number, logs: { loss: number; size: number }, state: TrainState): void;
  onEpochEnd?(epoch: number, logs: EpochLogs, state: TrainState): void;
  onTrainEnd?(state: TrainState): void;
}

export interface MonitorOptions {
  /** The logged value to watch (default 'valLoss'). */
  monitor?: string;
  /** 'min' for losses, 'max' for accuracies; 'auto' picks by name. */
  mode?: 'min' | 'max' | 'auto';
}

export function monitorMode(monitor: string, mode: 'min' | 'max' | 'auto' = 'auto'): 'min' | 'max' {
  if (mode !== 'auto') return mode;
  return /acc|accuracy|auc|f1|precision|recall/i.test(monitor) ? 'max' : 'min';
}

/**
 * Stops training when the monitored value has not improved by more than minDelta for `patience`
 * epochs; optionally restores the best weights seen.
 */
export class EarlyStopping implements Callback {
  readonly monitor: string;
  readonly mode: 'min' | 'max';
  readonly patience: number;
  readonly minDelta: number;
  readonly restoreBestWeights: boolean;
  best = NaN;
  bestEpoch = -1;
  stoppedEpoch = -1;
  private wait = 0;
  private bestState: Record<string, Tensor> | null = null;

  constructor(
    opts: MonitorOptions & { patience?: number; minDelta?: number; restoreBestWeights?: boolean } = {},
  ) {
    this.monitor = opts.monitor ?? 'valLoss';
    this.mode = monitorMode(this.monitor, opts.mode);
    this.patience = opts.patience ?? 0;
    this.minDelta = Math.abs(opts.minDelta ?? 0);
    this.restoreBestWeights = opts.restoreBestWeights ?? false;
  }

  onTrainBegin(): void {
    this.best = NaN;
    this.bestEpoch = -1;
    this.wait = 0;
    this.bestState = null;
  }

  private improved(v: number): boolean {
    if (Number.isNaN(this.best)) return true;
    return this.mode === 'min' ? v < this.best - this.minDelta : v > this.best + this.minDelta;
  }

  onEpochEnd(epoch: number, logs: EpochLogs, state: TrainState): void {
    const v = logs[this.monitor];
    if (v === undefined) {
      throw new ChainruleError(
        `EarlyStopping: the monitored value '${this.monitor}' is not logged (available: ${Object.keys(logs).join(', ')})`,
      );
    }
    if (this.improved(v)) {
      this.best = v;
      this.bestEpoch = epoch;
      this.wait = 0;
      if (this.restoreBestWeights) {
        const sd = state.model.stateDict();
        this.bestState = Object.fromEntries(Object.entries(sd).map(([k, t]) => [k, t.clone()]));
      }
      return;
    }
    this.wait++;
    if (this.wait > this.patience) {
      state.stopTraining = true;
      this.stoppedEpoch = epoch;
    }
  }

  onTrainEnd(state: TrainState): void {
    if (this.restoreBestWeights && this.bestState) state.model.loadStateDict(this.bestState);
  }
}

/** The scheduler interface fit() needs: ReduceLROnPlateau takes the monitored value. */
export interface SchedulerLike {
  step(metric?: number): void;
}

/** Steps a learning-rate scheduler after every epoch (or batch), passing the monitored value if asked. */
export class SchedulerStep implements Callback {
  constructor(
    readonly scheduler: SchedulerLike,
    readonly opts: { interval?: 'epoch' | 'batch'; monitor?: string } = {},
  ) {}

  onBatchEnd(): void {
    if (this.opts.interval === 'batch') this.scheduler.step();
  }

  onEpochEnd(_epoch: number, logs: EpochLogs): void {
    if (this.opts.interval === 'batch') return;
    if (this.opts.monitor) {
      const v = logs[this.opts.monitor];
      if (v === undefined) throw new ChainruleError(`SchedulerStep: '${this.opts.monitor}' is not logged`);
      this.scheduler.step(v);
    } else this.scheduler.step();
  }
}
