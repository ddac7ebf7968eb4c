/** Activation modules: thin wrappers over the functional forms, printed like PyTorch's. */
import { IndexError } from '../../tensor/errors.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { GeluApproximate } from '../functional/layers.js';
import {
  elu,
  gelu,
  leakyRelu,
  logSigmoid,
  logSoftmax,
  relu,
  sigmoid,
  silu,
  softmax,
  softplus,
  tanh,
} from '../functional/layers.js';
import { Module } from '../module.js';

export class ReLU extends Module {
  forward(input: Tensor): Tensor {
    return relu(input);
  }
}

/** x for x > 0, negativeSlope·x otherwise. */
export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) {
    super();
  }

  forward(input: Tensor): Tensor {
    return leakyRelu(input, this.negativeSlope);
  }

  override extraRepr(): string {
    return `negative_slope=${this.negativeSlope}`;
  }
}

/** x for x > 0, alpha·(eˣ − 1) otherwise. */
export class ELU extends Module {
  constructor(readonly alpha = 1) {
    super();
  }

  forward(input: Tensor): Tensor {
    return elu(input, this.alpha);
  }

  override extraRepr(): string {
    return `alpha=${this.alpha}`;
  }
}

/** x·Φ(x), exact ('none') or with the tanh approximation: new GELU('tanh') or new GELU({ approximate: 'tanh' }). */
export class GELU extends Module {
  readonly approximate: GeluApproximate;

  constructor(approximate: GeluApproximate | { approximate?: GeluApproximate } = 'none') {
    super();
    const mode = typeof approximate === 'object' ? (approximate.approximate ?? 'none') : approximate;
    if (mode !== 'none' && mode !== 'tanh') {
      throw new IndexError(`GELU: approximate must be 'none' or 'tanh', got '${String(mode)}'`);
    }
    this.approximate = mode;
  }

  forward(input: Tensor): Tensor {
    return gelu(input, this.approximate);
  }

  override extraRepr(): string {
    return `approximate='${this.approximate}'`;
  }
}

/** x·sigmoid(x). */
export class SiLU extends Module {
  forward(input: Tensor): Tensor {
    return silu(input);
  }
}

export class Sigmoid extends Module {
  forward(input: Tensor): Tensor {
    return sigmoid(input);
  }
}

export class Tanh extends Module {
  forward(input: Tensor): Tensor {
    return tanh(input);
  }
}

/** ln(1 + e^(beta·x))/beta, linear where beta·x > threshold. */
export class Softplus extends Module {
  constructor(
    readonly beta = 1,
    readonly threshold = 20,
  ) {
    super();
  }

  forward(input: Tensor): Tensor {
    return softplus(input, this.beta, this.threshold);
  }

  override extraRepr(): string {
    return `beta=${this.beta}, threshold=${this.threshold}`;
  }
}

export class LogSigmoid extends Module {
  forward(input: Tensor): Tensor {
    return logSigmoid(input);
  }
}

function checkDim(op: string, dim: unknown): number {
  // PyTorch's implicit dim choice is deprecated; require it.
  if (typeof dim !== 'number' || !Number.isInteger(dim)) {
    throw new IndexError(`${op}: dim must be an integer, got ${String(dim)}`);
  }
  return dim;
}

/** Softmax along dim: non-negative values that sum to 1. */
export class Softmax extends Module {
  readonly dim: number;

  constructor(dim: number) {
    super();
    this.dim = checkDim('Softmax', dim);
  }

  forward(input: Tensor): Tensor {
    return softmax(input, this.dim);
  }

  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

/** log(softmax(x)) along dim, computed stably. */
export class LogSoftmax extends Module {
  readonly dim: number;

  constructor(dim: number) {
    super();
    this.dim = checkDim('LogSoftmax', dim);
  }

  forward(input: Tensor): Tensor {
    return logSoftmax(input, this.dim);
  }

  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}
