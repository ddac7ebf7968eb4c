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

const list = async (t: Tensor): Promise<number[]> => Array.from((await t.data()) as Float32Array);

async function matrix(t: Tensor): Promise<Matrix> {
  const [rows, cols] = t.shape;
  return { rows, cols, values: await list(t) };
}

/**
 * Forward and backward for the single sample x with target t, in evaluation mode (one sample is no
 * batch for batch norm's statistics; dropout is off), without touching the parameters' .grad.
 */
export async function samplePass(net: Network, x: readonly number[], t: number): Promise<SamplePass> {
  const { model, linears, norms, activations } = net;
  const wasTraining = model.training;
  model.eval();
  // The tensors are made in evaluation mode; their values are awaited after it is restored.
  let zs: Tensor[];
  let as: Tensor[];
  let loss: Tensor;
  let grads: Tensor[];
  try {
    zs = [];
    as = [];
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
    loss = nn.functional.binaryCrossEntropyWithLogits(zOut, tensor([[t]]));
    const params = linears.flatMap((l) => [l.weight, l.bias!]);
    grads = autograd.grad(loss, [...zs, ...params]) as Tensor[];
  } finally {
    if (wasTraining) model.train();
  }
  const n = zs.length;
  const layers = await Promise.all(
    zs.map(async (z, l) => ({
      z: await list(z),
      a: await list(as[l]),
      delta: await list(grads[l]),
      weightGrad: await matrix(grads[n + 2 * l]),
      biasGrad: await list(grads[n + 2 * l + 1]),
    })),
  );
  return { loss: Number((await loss.data())[0]), layers };
}
