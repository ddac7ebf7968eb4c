/** A fit() callback that saves checkpoints after epochs (like Keras' ModelCheckpoint). */
import { ChainruleError, IndexError } from '../tensor/errors.js';
import type { Generator } from '../tensor/random.js';
import type { Callback, EpochLogs, MonitorOptions, TrainState } from '../train/callbacks.js';
import { monitorMode } from '../train/callbacks.js';
import type { CheckpointOptimizer, CheckpointScheduler } from './checkpoint.js';
import { saveCheckpoint } from './checkpoint.js';

export interface ModelCheckpointOptions extends MonitorOptions {
  /** Where to save; `{epoch}` (or zero-padded `{epoch:03d}`) becomes the number of epochs completed. */
  path: string;
  /** Save only when the monitored value improves on the best so far (default false: every epoch). */
  saveBestOnly?: boolean;
  optimizer?: CheckpointOptimizer;
  scheduler?: CheckpointScheduler;
  /** Generators saved with each checkpoint (default: the default generator). */
  generators?: Record<string, Generator>;
  /** The value to beat at first, e.g. the best of an earlier run being resumed. */
  initialValueThreshold?: number;
}

/**
 * Saves a checkpoint (see saveCheckpoint) at the end of each epoch, with epoch = epochs completed,
 * so that `loadCheckpoint` + `fit(..., { initialEpoch: epoch })` resumes exactly. The checkpoint's
 * extra holds `{ logs, monitor, best }`.
 *
 * List it after SchedulerStep (and any other callback that changes state at the end of an epoch):
 * callbacks run in order, and the checkpoint should capture the state the next epoch starts from.
 */
export class ModelCheckpoint implements Callback {
  readonly path: string;
  readonly monitor: string;
  readonly mode: 'min' | 'max';
  readonly saveBestOnly: boolean;
  /** The best monitored value so far (kept across fit() calls). */
  best: number;
  bestEpoch = -1;
  /** The path of the last checkpoint written, or null. */
  lastSaved: string | null = null;
  private readonly opts: ModelCheckpointOptions;

  constructor(opts: ModelCheckpointOptions) {
    if (!opts || typeof opts.path !== 'string' || opts.path === '') {
      throw new IndexError('ModelCheckpoint: expected { path, ... } with a non-empty path');
    }
    this.opts = opts;
    this.path = opts.path;
    this.monitor = opts.monitor ?? 'valLoss';
    this.mode = monitorMode(this.monitor, opts.mode);
    this.saveBestOnly = opts.saveBestOnly ?? false;
    this.best = opts.initialValueThreshold ?? (this.mode === 'min' ? Infinity : -Infinity);
  }

  /** The path for a checkpoint after `epochsDone` epochs. */
  formatPath(epochsDone: number): string {
    return this.path.replace(/\{epoch(?::0(\d+)d)?\}/g, (_m, width: string | undefined) =>
      String(epochsDone).padStart(width ? Number(width) : 0, '0'),
    );
  }

  private improved(v: number): boolean {
    return this.mode === 'min' ? v < this.best : v > this.best;
  }

  onEpochEnd(epoch: number, logs: EpochLogs, state: TrainState): void {
    const v = logs[this.monitor];
    if (v === undefined && this.saveBestOnly) {
      throw new ChainruleError(
        `ModelCheckpoint: the monitored value '${this.monitor}' is not logged (available: ${Object.keys(logs).join(', ')})`,
      );
    }
    const better = v !== undefined && this.improved(v);
    if (this.saveBestOnly && !better) return;
    if (better) {
      this.best = v;
      this.bestEpoch = epoch;
    }
    const path = this.formatPath(epoch + 1);
    saveCheckpoint(path, {
      model: state.model,
      optimizer: this.opts.optimizer,
      scheduler: this.opts.scheduler,
      generators: this.opts.generators,
      epoch: epoch + 1,
      extra: { logs, monitor: this.monitor, best: this.best },
    });
    this.lastSaved = path;
  }
}
