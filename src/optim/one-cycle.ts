import { IndexError } from '../tensor/errors.js';
import type { Optimizer } from './optimizer.js';
import { LRScheduler } from './lr-scheduler.js';
import { checkOption } from './validate.js';

export interface OneCycleOptions {
  /** Total number of steps; or give epochs and stepsPerEpoch. */
  totalSteps?: number;
  epochs?: number;
  stepsPerEpoch?: number;
  /** Share of the cycle spent increasing the lr (default 0.3). */
  pctStart?: number;
  annealStrategy?: 'cos' | 'linear';
  /** Cycle momentum (or Adam's beta1) inversely to the lr, between baseMomentum and maxMomentum. */
  cycleMomentum?: boolean;
  baseMomentum?: number | number[];
  maxMomentum?: number | number[];
  /** initial lr = maxLr / divFactor (default 25). */
  divFactor?: number;
  /** final lr = initial lr / finalDivFactor (default 1e4). */
  finalDivFactor?: number;
  /** Three phases (up, down to the initial lr, then annihilation) instead of two. */
  threePhase?: boolean;
  lastEpoch?: number;
}

interface Phase {
  endStep: number;
  startLr: 'initialLr' | 'maxLr';
  endLr: 'initialLr' | 'maxLr' | 'minLr';
  startMomentum: 'maxMomentum' | 'baseMomentum';
  endMomentum: 'maxMomentum' | 'baseMomentum';
}

function perGroup(name: string, n: number, v: number | readonly number[]): number[] {
  if (!Array.isArray(v)) return Array<number>(n).fill(v as number);
  if (v.length !== n) throw new IndexError(`OneCycleLR: expected ${n} values for ${name}, got ${v.length}`);
  return [...v];
}

/**
 * The 1cycle policy (Smith & Topor): the lr rises from maxLr/divFactor to maxLr over pctStart of the
 * steps, then anneals to the initial lr / finalDivFactor; momentum moves the opposite way. Stepped
 * once per batch, totalSteps times at most.
 */
export class OneCycleLR extends LRScheduler {
  totalSteps: number;
  schedulePhases: Phase[];
  annealStrategy: 'cos' | 'linear';
  cycleMomentum: boolean;
  useBeta1: boolean;

  constructor(optimizer: Optimizer<any>, maxLr: number | readonly number[], opts: OneCycleOptions = {}) {
    super(optimizer, opts.lastEpoch);
    const cls = 'OneCycleLR';
    if (opts.totalSteps !== undefined) {
      checkOption(cls, 'totalSteps', opts.totalSteps, { min: 1 });
      this.totalSteps = opts.totalSteps;
    } else if (opts.epochs !== undefined && opts.stepsPerEpoch !== undefined) {
      checkOption(cls, 'epochs', opts.epochs, { min: 1 });
      checkOption(cls, 'stepsPerEpoch', opts.stepsPerEpoch, { min: 1 });
      this.totalSteps = opts.epochs * opts.stepsPerEpoch;
    } else {
      throw new IndexError(`${cls}: give either totalSteps or (epochs and stepsPerEpoch)`);
    }
    const pct = opts.pctStart ?? 0.3;
    checkOption(cls, 'pctStart', pct, { maxInclusive: 1 });
    const n = this.totalSteps;
    // Each phase anneals from its start to its end values (names of group entries) up to endStep.
    const phase = (
      endStep: number,
      lr: Phase['startLr'],
      toLr: Phase['endLr'],
      m: Phase['startMomentum'],
      toM: Phase['endMomentum'],
    ): Phase => ({
      endStep,
      startLr: lr,
      endLr: toLr,
      startMomentum: m,
      endMomentum: toM,
    });
    this.schedulePhases = opts.threePhase
      ? [
          phase(pct * n - 1, 'initialLr', 'maxLr', 'maxMomentum', 'baseMomentum'),
          phase(2 * pct * n - 2, 'maxLr', 'initialLr', 'baseMomentum', 'maxMomentum'),
          phase(n - 1, 'initialLr', 'minLr', 'maxMomentum', 'maxMomentum'),
        ]
      : [
          phase(pct * n - 1, 'initialLr', 'maxLr', 'maxMomentum', 'baseMomentum'),
          phase(n - 1, 'maxLr', 'minLr', 'baseMomentum', 'maxMomentum'),
        ];
    const strategy = opts.annealStrategy ?? 'cos';
    if (strategy !== 'cos' && strategy !== 'linear') {
      throw new IndexError(`${cls}: annealStrategy must be 'cos' or 'linear', got '${String(strategy)}'`);
    }
    this.annealStrategy = strategy;
    const groups = this.groups;
    const maxLrs = perGroup('maxLr', groups.length, maxLr);
    const divFactor = opts.divFactor ?? 25;
    const finalDivFactor = opts.finalDivFactor ?? 1e4;
    if (this.lastEpoch === -1) {
      groups.forEach((g, i) => {
        g.initialLr = maxLrs[i] / divFactor;
        g.maxLr = maxLrs[i];
        g.minLr = g.initialLr / finalDivFactor;
      });
    }
    this.cycleMomentum = opts.cycleMomentum ?? true;
    this.useBeta1 = 'betas' in optimizer.defaults;
    if (this.cycleMomentum) {
      if (!('momentum' in optimizer.defaults) && !this.useBeta1) {
        throw new IndexError(`${cls}: the optimizer must have momentum or betas when cycleMomentum is on`);
      }
      const maxM = perGroup('maxMomentum', groups.length, opts.maxMomentum ?? 0.95);
      const baseM = perGroup('baseMomentum', groups.length, opts.baseMomentum ?? 0.85);
      if (this.lastEpoch === -1) {
        groups.forEach((g, i) => {
          this.setMomentum(g, maxM[i]);
          g.maxMomentum = maxM[i];
          g.baseMomentum = baseM[i];
        });
      }
    }
    this.baseLrs = groups.map((g) => g.initialLr!);
    this.initialStep();
  }

  private setMomentum(group: object, m: number): void {
    const g = group as Record<string, unknown>;
    if (this.useBeta1) g.betas = [m, ...(g.betas as number[]).slice(1)];
    else g.momentum = m;
  }

  private anneal(start: number, end: number, pct: number): number {
    if (this.annealStrategy === 'cos') return end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1);
    return (end - start) * pct + start;
  }

  protected getLr(): number[] {
    const stepNum = this.lastEpoch;
    if (stepNum > this.totalSteps) {
      throw new IndexError(
        `OneCycleLR: tried to step ${stepNum + 1} times; the specified number of total steps is ${this.totalSteps}`,
      );
    }
    return this.groups.map((g) => {
      const fields = g as unknown as Record<string, number>;
      let start = 0;
      const phases = this.schedulePhases;
      for (let i = 0; i < phases.length; i++) {
        const ph = phases[i];
        if (stepNum <= ph.endStep || i === phases.length - 1) {
          const pct = (stepNum - start) / (ph.endStep - start);
          if (this.cycleMomentum) {
            this.setMomentum(g, this.anneal(fields[ph.startMomentum], fields[ph.endMomentum], pct));
          }
          return this.anneal(fields[ph.startLr], fields[ph.endLr], pct);
        }
        start = ph.endStep;
      }
      return g.lr; // not reached: the last phase always matches
    });
  }
}
