/**
 * The network the page trains: hidden layers of Linear → (BatchNorm1d) → activation → (Dropout),
 * then one output unit whose logit goes through a sigmoid (binary cross-entropy with logits).
 */
import { nn, optim } from 'chainrule';
import type { Tensor } from 'chainrule';
import type { ActivationName, Config } from './protocol.js';

export interface Network {
  model: nn.Sequential;
  /** Every Linear in order, the output layer last. */
  linears: nn.Linear[];
  /** After each hidden Linear: its batch norm (or null) and its activation. */
  norms: (nn.BatchNorm1d | null)[];
  activations: nn.Module[];
}

function activation(name: ActivationName): nn.Module {
  switch (name) {
    case 'relu':
      return new nn.ReLU();
    case 'tanh':
      return new nn.Tanh();
    case 'sigmoid':
      return new nn.Sigmoid();
    case 'leakyRelu':
      return new nn.LeakyReLU(0.01);
    case 'gelu':
      return new nn.GELU();
    case 'linear':
      return new nn.Identity();
  }
}

/** Builds the network of `config` (its initial weights come from the default generator). */
export function buildNetwork(config: Config): Network {
  const layers: nn.Module[] = [];
  const linears: nn.Linear[] = [];
  const norms: (nn.BatchNorm1d | null)[] = [];
  const activations: nn.Module[] = [];
  let width = 2;
  for (const units of config.hidden) {
    const linear = new nn.Linear(width, units);
    const norm = config.batchNorm ? new nn.BatchNorm1d(units) : null;
    const act = activation(config.activation);
    layers.push(linear, ...(norm ? [norm] : []), act);
    if (config.dropout > 0) layers.push(new nn.Dropout(config.dropout));
    linears.push(linear);
    norms.push(norm);
    activations.push(act);
    width = units;
  }
  const out = new nn.Linear(width, 1);
  layers.push(out);
  linears.push(out);
  return { model: new nn.Sequential(...layers), linears, norms, activations };
}

export function makeOptimizer(config: Config, params: Tensor[]): optim.Optimizer {
  const lr = config.lr;
  switch (config.optimizer) {
    case 'sgd':
      return new optim.SGD(params, { lr });
    case 'momentum':
      return new optim.SGD(params, { lr, momentum: 0.9 });
    case 'nesterov':
      return new optim.SGD(params, { lr, momentum: 0.9, nesterov: true });
    case 'rmsprop':
      return new optim.RMSprop(params, { lr });
    case 'adagrad':
      return new optim.Adagrad(params, { lr });
    case 'adam':
      return new optim.Adam(params, { lr });
  }
}
