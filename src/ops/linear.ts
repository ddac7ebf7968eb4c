/**
 * The fully connected layer's op, act(x·wᵀ + b) over the last dim of x: one recorded op on a
 * backend's fused kernel (product, bias and activation in one call), or the composed ops where the
 * backend has none. Shapes and dtypes are checked by the caller (nn.functional.linear).
 */
import { record } from '../autograd/record.js';
import type { LinearActivation } from '../backend/backend.js';
import { sizeOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { add } from './arith.js';
import { mm } from './matmul.js';
import { sum } from './reduce.js';
import { reshape } from './shape.js';
import { relu, reluBackward } from './unary.js';

export type { LinearActivation } from '../backend/backend.js';

/** x [*, K] (at least 1-D), w [N, K], b [N] or null → act(x·wᵀ + b) of shape [*, N]. */
export function linearAct(x: Tensor, w: Tensor, b: Tensor | null, activation: LinearActivation): Tensor {
  const K = w.shape[1];
  // Explicit row count: with K = 0, -1 could not be inferred.
  const rows = x.ndim === 2 ? x : reshape(x, [sizeOf(x.shape.slice(0, -1)), K]);
  const fused = fusedLinear(rows, w, b, activation);
  let out: Tensor;
  if (fused) out = fused;
  else {
    out = mm(rows, w, false, true);
    if (b) out = add(out, b);
    if (activation === 'relu') out = relu(out);
  }
  return x.ndim === 2 ? out : reshape(out, [...x.shape.slice(0, -1), w.shape[0]]);
}

/** The op on the backend's kernel, when x, w and b share a backend that has one for their dtype. */
function fusedLinear(x: Tensor, w: Tensor, b: Tensor | null, activation: LinearActivation): Tensor | null {
  const be = x.storage.backend;
  if (!be.linear || x.dtype !== 'float32' || w.dtype !== x.dtype || w.storage.backend !== be) return null;
  if (b && (b.dtype !== x.dtype || b.storage.backend !== be)) return null;
  const ys = be.linear(x.storage, x.shape, w.storage, w.shape, b?.storage ?? null, activation);
  if (!ys) return null;
  const y = new Tensor(ys, [x.shape[0], w.shape[0]]);
  const inputs = b ? [x, w, b] : [x, w];
  return record(
    'linear',
    inputs,
    y,
    (g) => {
      const gz = activation === 'relu' ? reluBackward(g, y) : g;
      return [
        x.requiresGrad ? mm(gz, w) : null,
        w.requiresGrad ? mm(gz, x, true, false) : null,
        b?.requiresGrad ? sum(gz, 0) : null,
      ];
    },
    activation === 'relu' ? [x, w, y] : [x, w],
  );
}
