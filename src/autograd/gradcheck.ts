import { ChainruleError, fmtShape } from '../tensor/errors.js';
import { Tensor } from '../tensor/tensor.js';
import { fromTypedArray } from '../tensor/create.js';
import { autogradGrad } from './engine.js';
import { enableGrad } from './grad-mode.js';

export interface GradcheckOptions {
  /** Step of the central differences (PyTorch's default 1e-6). */
  eps?: number;
  atol?: number;
  rtol?: number;
  /** Throw a GradcheckError on mismatch (default); false returns false instead. */
  raiseException?: boolean;
}

export class GradcheckError extends ChainruleError {}

type Fn = (...inputs: Tensor[]) => Tensor | readonly Tensor[];

function outputsOf(r: Tensor | readonly Tensor[]): Tensor[] {
  return r instanceof Tensor ? [r] : [...r];
}

/**
 * Compares the Jacobian from autodiff with central finite differences in float64, for every input
 * that requires grad: |analytic − numeric| ≤ atol + rtol·|numeric| for each entry.
 */
export function gradcheck(fn: Fn, inputs: readonly Tensor[], opts: GradcheckOptions = {}): boolean {
  const eps = opts.eps ?? 1e-6;
  const atol = opts.atol ?? 1e-5;
  const rtol = opts.rtol ?? 1e-3;
  const xs = inputs.map((t) => {
    if (!(t instanceof Tensor)) throw new GradcheckError('gradcheck: inputs must be tensors');
    if (t.requiresGrad && t.dtype !== 'float64') {
      throw new GradcheckError(
        `gradcheck: input of shape ${fmtShape(t.shape)} is ${t.dtype}; finite differences need float64 inputs`,
      );
    }
    return t;
  });
  const wrt = xs.map((t, i) => [t, i] as const).filter(([t]) => t.requiresGrad);
  if (wrt.length === 0) throw new GradcheckError('gradcheck: no input requires grad');

  const outs = outputsOf(fn(...xs));
  const outSizes = outs.map((o) => o.numel());
  const totalOut = outSizes.reduce((a, b) => a + b, 0);

  // Numerical Jacobian, column by column: one input element perturbed at a time.
  const numeric = wrt.map(([t, i]) => {
    const base = t.dataSync() as Float64Array;
    const jac = new Float64Array(base.length * totalOut);
    for (let k = 0; k < base.length; k++) {
      const evalAt = (delta: number) => {
        const v = base.slice();
        v[k] += delta;
        const args = [...xs];
        // Perturbed inputs keep requiresGrad: gradgradcheck's function differentiates inside.
        args[i] = fromTypedArray(v, t.shape).requiresGrad_(true);
        return outputsOf(fn(...args)).flatMap((o) => Array.from(o.to('float64').dataSync()));
      };
      const plus = evalAt(eps);
      const minus = evalAt(-eps);
      for (let r = 0; r < totalOut; r++) jac[r * base.length + k] = (plus[r] - minus[r]) / (2 * eps);
    }
    return jac;
  });

  // Analytical Jacobian, row by row: one backward per output element.
  const analytic = wrt.map(([t]) => new Float64Array(t.numel() * totalOut));
  let row = 0;
  outs.forEach((o, oi) => {
    for (let e = 0; e < outSizes[oi]; e++, row++) {
      if (!o.requiresGrad) continue;
      const seed = new Float64Array(outSizes[oi]);
      seed[e] = 1;
      const g = fromTypedArray(seed, o.shape).to(o.dtype);
      const grads = autogradGrad(
        [o],
        wrt.map(([t]) => t),
        { gradOutputs: [g], retainGraph: true, allowUnused: true },
      );
      grads.forEach((gi, w) => {
        if (!gi) return;
        const v = gi.to('float64').dataSync();
        analytic[w].set(v, row * v.length);
      });
    }
  });

  for (let w = 0; w < wrt.length; w++) {
    const n = wrt[w][0].numel();
    for (let j = 0; j < numeric[w].length; j++) {
      const a = analytic[w][j];
      const b = numeric[w][j];
      if (!(Math.abs(a - b) <= atol + rtol * Math.abs(b))) {
        if (opts.raiseException === false) return false;
        const r = Math.floor(j / n);
        throw new GradcheckError(
          `gradcheck: Jacobian mismatch for input ${wrt[w][1]} (shape ${fmtShape(wrt[w][0].shape)}) at ` +
            `output element ${r}, input element ${j % n}: analytical ${a} vs numerical ${b}`,
        );
      }
    }
  }
  return true;
}

/** gradcheck of the gradients themselves: checks second derivatives through createGraph. */
export function gradgradcheck(fn: Fn, inputs: readonly Tensor[], opts: GradcheckOptions = {}): boolean {
  const wrtIdx = inputs.map((t, i) => (t.requiresGrad ? i : -1)).filter((i) => i >= 0);
  const firstOrder = (...xs: Tensor[]): Tensor[] =>
    enableGrad(() => {
      const outs = outputsOf(fn(...xs)).filter((o) => o.requiresGrad);
      // A fixed, non-trivial cotangent makes the check cover the whole Jacobian's derivative.
      const cts = outs.map((o) =>
        fromTypedArray(
          Float64Array.from({ length: o.numel() }, (_, k) => 1 + 0.1 * k),
          o.shape,
        ).to(o.dtype),
      );
      const grads = autogradGrad(
        outs,
        wrtIdx.map((i) => xs[i]),
        { gradOutputs: cts, createGraph: true, allowUnused: true },
      );
      return grads.filter((g): g is Tensor => g !== null);
    });
  return gradcheck(firstOrder, inputs, opts);
}
