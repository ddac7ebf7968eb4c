import { Tensor } from '../tensor/tensor.js';

/** A tensor that a Module trains: it requires grad and is found by parameters(). */
export class Parameter extends Tensor {
  constructor(data: Tensor, requiresGrad = true) {
    super(data.storage, data.shape);
    if (requiresGrad) this.requiresGrad = true;
  }
}
