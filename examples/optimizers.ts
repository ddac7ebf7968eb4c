import type { Tensor } from '../src/index.js';
import { optim } from '../src/index.js';

export const OPTIMIZER_NAMES = [
  'sgd',
  'momentum',
  'nesterov',
  'rmsprop',
  'adagrad',
  'adam',
  'adamw',
] as const;
export type OptimizerName = (typeof OPTIMIZER_NAMES)[number];

/** The optimizer behind the CLI's --optimizer flag. */
export function makeOptimizer(name: string, params: Tensor[], lr: number, weightDecay = 0): optim.Optimizer {
  switch (name) {
    case 'sgd':
      return new optim.SGD(params, { lr, weightDecay });
    case 'momentum':
      return new optim.SGD(params, { lr, momentum: 0.9, weightDecay });
    case 'nesterov':
      return new optim.SGD(params, { lr, momentum: 0.9, nesterov: true, weightDecay });
    case 'rmsprop':
      return new optim.RMSprop(params, { lr, weightDecay });
    case 'adagrad':
      return new optim.Adagrad(params, { lr, weightDecay });
    case 'adam':
      return new optim.Adam(params, { lr, weightDecay });
    case 'adamw':
      return new optim.AdamW(params, { lr, weightDecay: weightDecay || 0.01 });
    default:
      throw new Error(`unknown optimizer '${name}' (known: ${OPTIMIZER_NAMES.join(', ')})`);
  }
}
