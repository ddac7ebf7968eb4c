import type { DType, Tensor } from '../../src/index.js';
import { tensor } from '../../src/index.js';
import { assertClose } from '../helpers.js';
import { loadFixture } from '../nn/layers-fixture.js';

/** fixtures/conv.json, written by fixtures/conv.py with PyTorch. */
export const fx = loadFixture('conv');

/** float64 against PyTorch's float64; float32 within 1e-5 (relative, and absolute near zero). */
export const TOL64 = { atol: 1e-10, rtol: 1e-10 };
export const TOL32 = { atol: 1e-5, rtol: 1e-5 };

const gradName = (n: string): string => `grad${n[0].toUpperCase()}${n.slice(1)}`;

/**
 * Runs one fixture case: builds the named inputs (absent or null ones stay null), compares the
 * output, then backpropagates sum(out ⊙ r) and compares each input's gradient with PyTorch's.
 */
export function checkCase(
  c: any,
  names: readonly string[],
  fn: (...ts: (Tensor | null)[]) => Tensor,
  dtype: DType = 'float64',
): void {
  const inputs = names.map((n) =>
    c[n] === undefined || c[n] === null ? null : tensor(c[n], { dtype, requiresGrad: true }),
  );
  const tol = dtype === 'float64' ? TOL64 : TOL32;
  const out = fn(...inputs);
  assertClose(out, c.out, tol);
  out.mul(tensor(c.r, { dtype })).sum().backward();
  names.forEach((n, i) => {
    const t = inputs[i];
    if (t) assertClose(t.grad!, c[gradName(n)], tol);
  });
}
