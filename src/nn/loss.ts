/**
 * Loss modules (PyTorch's nn.*Loss): each holds its options and runs with
 * `lossFn.forward(input, target)`. Class weights are buffers named as in PyTorch (`weight`,
 * `pos_weight`), so they follow `to(dtype)` and appear in the state dict.
 */
import type { Tensor } from '../tensor/tensor.js';
import type {
  BCEOptions,
  BCEWithLogitsOptions,
  CrossEntropyOptions,
  KLDivOptions,
  NLLLossOptions,
  Reduction,
  ReductionOptions,
} from './functional/loss.js';
import {
  binaryCrossEntropy,
  binaryCrossEntropyWithLogits,
  crossEntropy,
  huberLoss,
  klDiv,
  l1Loss,
  mseLoss,
  nllLoss,
  smoothL1Loss,
} from './functional/loss.js';
import { checkReduction } from './functional/loss-util.js';
import { Module } from './module.js';

/** Base of the loss modules: a reduction and a forward(input, target). */
export abstract class Loss<R extends string = Reduction> extends Module {
  readonly reduction: R;

  constructor(reduction: R, extra: readonly string[] = []) {
    super();
    checkReduction(new.target.name, reduction, extra);
    this.reduction = reduction;
  }

  abstract override forward(input: Tensor, target: Tensor): Tensor;

  override extraRepr(): string {
    return this.reduction === 'mean' ? '' : `reduction='${this.reduction}'`;
  }
}

/** A loss whose optional class weight is a buffer. */
abstract class WeightedLoss extends Loss {
  constructor(reduction: Reduction, weight: Tensor | null | undefined) {
    super(reduction);
    this.registerBuffer('weight', weight ?? null);
  }

  get weight(): Tensor | null {
    return this.getBuffer('weight');
  }
}

export class MSELoss extends Loss {
  constructor(opts: ReductionOptions = {}) {
    super(opts.reduction ?? 'mean');
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return mseLoss(input, target, { reduction: this.reduction });
  }
}

export class L1Loss extends Loss {
  constructor(opts: ReductionOptions = {}) {
    super(opts.reduction ?? 'mean');
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return l1Loss(input, target, { reduction: this.reduction });
  }
}

export class SmoothL1Loss extends Loss {
  readonly beta: number;

  constructor(opts: ReductionOptions & { beta?: number } = {}) {
    super(opts.reduction ?? 'mean');
    this.beta = opts.beta ?? 1;
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return smoothL1Loss(input, target, { reduction: this.reduction, beta: this.beta });
  }
}

export class HuberLoss extends Loss {
  readonly delta: number;

  constructor(opts: ReductionOptions & { delta?: number } = {}) {
    super(opts.reduction ?? 'mean');
    this.delta = opts.delta ?? 1;
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return huberLoss(input, target, { reduction: this.reduction, delta: this.delta });
  }
}

export class BCELoss extends WeightedLoss {
  constructor(opts: BCEOptions = {}) {
    super(opts.reduction ?? 'mean', opts.weight);
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropy(input, target, { weight: this.weight, reduction: this.reduction });
  }
}

export class BCEWithLogitsLoss extends WeightedLoss {
  constructor(opts: BCEWithLogitsOptions = {}) {
    super(opts.reduction ?? 'mean', opts.weight);
    this.registerBuffer('pos_weight', opts.posWeight ?? null);
  }

  get posWeight(): Tensor | null {
    return this.getBuffer('pos_weight');
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropyWithLogits(input, target, {
      weight: this.weight,
      posWeight: this.posWeight,
      reduction: this.reduction,
    });
  }
}

export class NLLLoss extends WeightedLoss {
  readonly ignoreIndex: number;

  constructor(opts: NLLLossOptions = {}) {
    super(opts.reduction ?? 'mean', opts.weight);
    this.ignoreIndex = opts.ignoreIndex ?? -100;
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return nllLoss(input, target, {
      weight: this.weight,
      ignoreIndex: this.ignoreIndex,
      reduction: this.reduction,
    });
  }
}

/** Softmax + negative log-likelihood on raw scores; targets are int32 class indices or class probabilities. */
export class CrossEntropyLoss extends WeightedLoss {
  readonly ignoreIndex: number;
  readonly labelSmoothing: number;

  constructor(opts: CrossEntropyOptions = {}) {
    super(opts.reduction ?? 'mean', opts.weight);
    this.ignoreIndex = opts.ignoreIndex ?? -100;
    this.labelSmoothing = opts.labelSmoothing ?? 0;
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return crossEntropy(input, target, {
      weight: this.weight,
      ignoreIndex: this.ignoreIndex,
      reduction: this.reduction,
      labelSmoothing: this.labelSmoothing,
    });
  }
}

export class KLDivLoss extends Loss<Reduction | 'batchmean'> {
  readonly logTarget: boolean;

  constructor(opts: KLDivOptions = {}) {
    super(opts.reduction ?? 'mean', ['batchmean']);
    this.logTarget = opts.logTarget ?? false;
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return klDiv(input, target, { reduction: this.reduction, logTarget: this.logTarget });
  }
}
