/**
 * The time steps of the recurrent cells (PyTorch's gate layouts), shared by RNNCell/LSTMCell/GRUCell
 * and the multi-step RNN/LSTM/GRU layers. A step takes the input projection `gi` = x·W_ihᵀ + b_ih
 * already computed (the layers compute it for every time step in one product) and adds the hidden
 * projection h·W_hhᵀ + b_hh.
 */
import { noGrad } from '../../autograd/grad-mode.js';
import { recordMulti } from '../../autograd/record.js';
import type { Tensor } from '../../tensor/tensor.js';
import { add, mul, sub } from '../../ops/arith.js';
import { stack } from '../../ops/join.js';
import { mm } from '../../ops/matmul.js';
import { reshape } from '../../ops/shape.js';
import { select } from '../../ops/slice.js';
import { relu, sigmoid, tanh } from '../../ops/unary.js';
import { normalizeDim } from '../../tensor/shape.js';

export type RNNNonlinearity = 'tanh' | 'relu';

/**
 * Splits x along dim into its slices (PyTorch's unbind). Unlike one select per slice, whose backward
 * would scatter each slice's gradient into a zero tensor of x's full size (quadratic over a long
 * sequence), the backward here is one stack of all the slices' gradients.
 */
export function unbind(x: Tensor, dim = 0): Tensor[] {
  const d = normalizeDim('unbind', dim, x.ndim, x.shape);
  const parts = noGrad(() => Array.from({ length: x.shape[d] }, (_, i) => select(x, d, i)));
  return recordMulti('unbind', [x], parts, (grads) => [stack(grads, d)]);
}

/** h·W_hhᵀ (+ b_hh). */
function hiddenProjection(h: Tensor, wHh: Tensor, bHh: Tensor | null): Tensor {
  const gh = mm(h, wHh, false, true);
  return bHh ? add(gh, bHh) : gh;
}

/** The gates of a [B, k·H] tensor as k tensors [B, H] (one node, so the backward is one concatenation). */
function gates(g: Tensor, k: number): Tensor[] {
  const [b, n] = g.shape;
  return unbind(reshape(g, [b, k, n / k]), 1);
}

/** h' = act(gi + h·W_hhᵀ + b_hh). */
export function rnnStep(
  gi: Tensor,
  h: Tensor,
  wHh: Tensor,
  bHh: Tensor | null,
  nonlinearity: RNNNonlinearity,
): Tensor {
  const pre = add(gi, hiddenProjection(h, wHh, bHh));
  return nonlinearity === 'relu' ? relu(pre) : tanh(pre);
}

/**
 * i, f, g, o = σ, σ, tanh, σ of the four gate pre-activations (PyTorch's order);
 * c' = f ⊙ c + i ⊙ g and h' = o ⊙ tanh(c').
 */
export function lstmStep(
  gi: Tensor,
  h: Tensor,
  c: Tensor,
  wHh: Tensor,
  bHh: Tensor | null,
): [Tensor, Tensor] {
  const [i, f, g, o] = gates(add(gi, hiddenProjection(h, wHh, bHh)), 4);
  const c2 = add(mul(sigmoid(f), c), mul(sigmoid(i), tanh(g)));
  return [mul(sigmoid(o), tanh(c2)), c2];
}

/**
 * r, z = σ(gi_r + gh_r), σ(gi_z + gh_z); n = tanh(gi_n + r ⊙ gh_n), where gh includes b_hh (so b_hn
 * sits inside the reset gate, as in PyTorch); h' = (1 − z) ⊙ n + z ⊙ h = n + z ⊙ (h − n).
 */
export function gruStep(gi: Tensor, h: Tensor, wHh: Tensor, bHh: Tensor | null): Tensor {
  const [ir, iz, inn] = gates(gi, 3);
  const [hr, hz, hn] = gates(hiddenProjection(h, wHh, bHh), 3);
  const r = sigmoid(add(ir, hr));
  const z = sigmoid(add(iz, hz));
  const n = tanh(add(inn, mul(r, hn)));
  return add(n, mul(z, sub(h, n)));
}
