/**
 * The step view's numbers for one sample, the way the source text writes backprop: on the way
 * forward each unit's z = Σ_i w_ji a_i + b_j and a = f(z); on the way back δ_j = ∂E/∂z_j; and each
 * weight's gradient ∂E/∂w_ji = δ_j a_i. The library computes all of them: δ is the gradient of the
 * sample's error E with respect to the Linear outputs z, taken with autograd.grad.
 */
import { autograd, nn, noGrad, tensor } from 'chainrule';
import type { Tensor } from 'chainrule';
import type { Network } from './model.js';
import type { Matrix } from './protocol.js';

export interface SampleLayer {
  z: number[];
  a: number[];
  delta: number[];
  weightGrad: Matrix;
  biasGrad: number[];
}

export interface SamplePass {
  loss: number;
  layers: SampleLayer[];
}

const list = (t: Tensor): number[] => Array.from(t.dataSync() as Float32Array);

function matrix(t: Tensor): Matrix {
  const [rows, cols] = t.shape;
  return { rows, cols, values: list(t) };
}

/**
 * Forward and backward for the single sample x with target t, in evaluation mode (one sample is no
 * batch for batch norm's statistics; dropout is off), without touching the parameters' .grad.
 */
export function samplePass(net: Network, x: readonly number[], t: number): SamplePass {
  const { model, linears, norms, activations } = net;
  const wasTraining = model.training;
  model.eval();
  try {
    const zs: Tensor[] = [];
    const as: Tensor[] = [];
    let a = tensor([[...x]]);
    for (let l = 0; l < linears.length - 1; l++) {
      const z = linears[l].forward(a);
      const norm = norms[l];
      a = activations[l].forward(norm ? norm.forward(z) : z);
      zs.push(z);
      as.push(a);
    }
    const zOut = linears[linears.length - 1].forward(a);
    zs.push(zOut);
    as.push(noGrad(() => zOut.sigmoid()));
    const loss = nn.functional.binaryCrossEntropyWithLogits(zOut, tensor([[t]]));
    const params = linears.flatMap((l) => [l.weight, l.bias!]);
    const grads = autograd.grad(loss, [...zs, ...params]) as Tensor[];
    const n = zs.length;
    return {
      loss: Number(loss.item()),
      layers: zs.map((z, l) => ({
        z: list(z),
        a: list(as[l]),
        delta: list(grads[l]),
        weightGrad: matrix(grads[n + 2 * l]),
        biasGrad: list(grads[n + 2 * l + 1]),
      })),
    };
  } finally {
    if (wasTraining) model.train();
  }
}
