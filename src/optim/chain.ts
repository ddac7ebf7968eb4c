import { IndexError } from '../tensor/errors.js';
import type { Optimizer } from './optimizer.js';
import type { LRScheduler, Scheduler } from './lr-scheduler.js';
import { checkOptimizer, ownState } from './lr-scheduler.js';

function checkSameOptimizer(
  cls: string,
  schedulers: readonly LRScheduler[],
  optimizer: Optimizer<any>,
): void {
  if (!Array.isArray(schedulers) || schedulers.length === 0) {
    throw new IndexError(`${cls}: expected a non-empty array of schedulers`);
  }
  schedulers.forEach((s, i) => {
    if (s.optimizer !== optimizer) {
      throw new IndexError(
        `${cls}: all schedulers must belong to the same optimizer, scheduler ${i} does not`,
      );
    }
  });
}

/**
 * Runs schedulers one after another: schedulers[i] from epoch milestones[i − 1] on (PyTorch's
 * SequentialLR; at each milestone the next scheduler restarts from its epoch 0).
 */
/** What SequentialLR and ChainedScheduler share: the last rates and a state holding each scheduler's. */
abstract class SchedulerOfSchedulers implements Scheduler {
  abstract readonly optimizer: Optimizer<any>;
  abstract readonly schedulers: LRScheduler[];
  protected abstract lastLr: number[];

  abstract step(): void;

  getLastLr(): number[] {
    return [...this.lastLr];
  }

  stateDict(): Record<string, unknown> {
    return { ...ownState(this, ['schedulers']), schedulers: this.schedulers.map((s) => s.stateDict()) };
  }

  loadStateDict(sd: Record<string, unknown>): void {
    const { schedulers, ...rest } = sd;
    Object.assign(this, structuredClone(rest));
    (schedulers as Record<string, unknown>[]).forEach((s, i) => this.schedulers[i].loadStateDict(s));
  }
}

export class SequentialLR extends SchedulerOfSchedulers {
  readonly optimizer: Optimizer<any>;
  readonly schedulers: LRScheduler[];
  milestones: number[];
  lastEpoch: number;
  protected lastLr: number[];

  constructor(
    optimizer: Optimizer<any>,
    schedulers: readonly LRScheduler[],
    milestones: readonly number[],
    opts: { lastEpoch?: number } = {},
  ) {
    super();
    this.optimizer = checkOptimizer('SequentialLR', optimizer);
    checkSameOptimizer('SequentialLR', schedulers, optimizer);
    if (!Array.isArray(milestones) || milestones.length !== schedulers.length - 1) {
      throw new IndexError(
        `SequentialLR: expected ${schedulers.length - 1} milestones for ${schedulers.length} schedulers, ` +
          `got ${Array.isArray(milestones) ? milestones.length : String(milestones)}`,
      );
    }
    this.schedulers = [...schedulers];
    this.milestones = [...milestones];
    this.lastEpoch = (opts.lastEpoch ?? -1) + 1;
    // Undo the first steps the schedulers took when they were created, then start the first one.
    for (const g of optimizer.paramGroups) g.lr = g.initialLr!;
    for (const s of this.schedulers) s.lastEpoch -= 1;
    this.schedulers[0].initialStep();
    this.lastLr = this.schedulers[0].getLastLr();
  }

  step(): void {
    this.lastEpoch += 1;
    const idx = this.milestones.filter((m) => m <= this.lastEpoch).length;
    const s = this.schedulers[idx];
    if (idx > 0 && this.milestones[idx - 1] === this.lastEpoch) s.step(0);
    else s.step();
    this.lastLr = s.getLastLr();
  }
}

/** Steps several schedulers together, so that their factors multiply (PyTorch's ChainedScheduler). */
export class ChainedScheduler extends SchedulerOfSchedulers {
  readonly optimizer: Optimizer<any>;
  readonly schedulers: LRScheduler[];
  protected lastLr: number[];

  constructor(schedulers: readonly LRScheduler[]) {
    super();
    checkSameOptimizer('ChainedScheduler', schedulers, schedulers?.[0]?.optimizer);
    this.schedulers = [...schedulers];
    this.optimizer = schedulers[0].optimizer;
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  step(): void {
    for (const s of this.schedulers) s.step();
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }
}
