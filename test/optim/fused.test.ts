import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Tensor } from '../../src/index.js';
import { getBackend, optim, tensor } from '../../src/index.js';
import { forEachBackend } from '../helpers.js';

/** Five Adam/AdamW steps on fixed data; `fused` false hides the backend's fused kernel. */
function run(kind: 'Adam' | 'AdamW', dtype: 'float32' | 'float64', fused: boolean, extra = {}): number[] {
  const be = getBackend() as { adamStep?: unknown };
  const saved = be.adamStep;
  if (!fused) be.adamStep = undefined;
  try {
    // Seven: a vector kernel's four-wide body and its tail.
    const p = tensor([0.5, -1.5, 2, 0.25, 1, -0.75, 3], { dtype, requiresGrad: true });
    const Opt = kind === 'Adam' ? optim.Adam : optim.AdamW;
    const opt = new Opt([p], { lr: 0.1, weightDecay: 0.05, ...extra });
    for (let i = 0; i < 5; i++) {
      opt.zeroGrad();
      (p.mul(p).mul(p).sum() as Tensor).backward();
      opt.step();
    }
    return Array.from(p.dataSync());
  } finally {
    be.adamStep = saved;
  }
}

forEachBackend('fused Adam step', (name) => {
  it('has a fused kernel on this backend', () => {
    assert.equal(typeof (getBackend() as { adamStep?: unknown }).adamStep, 'function', name);
  });

  it('equals the composed ops exactly in float64, and to rounding in float32', () => {
    for (const kind of ['Adam', 'AdamW'] as const) {
      for (const extra of [{}, { maximize: true }, { amsgrad: true }, { amsgrad: true, maximize: true }]) {
        assert.deepEqual(
          run(kind, 'float64', true, extra),
          run(kind, 'float64', false, extra),
          `${kind} ${JSON.stringify(extra)}`,
        );
        const a = run(kind, 'float32', true, extra);
        const b = run(kind, 'float32', false, extra);
        a.forEach((x, i) =>
          assert.ok(Math.abs(x - b[i]) <= 1e-6 * Math.max(1, Math.abs(b[i])), `${x} vs ${b[i]}`),
        );
      }
    }
  });

  it('bumps the version counters of what it writes in place', () => {
    const p = tensor([1, 2], { requiresGrad: true });
    const opt = new optim.Adam([p], { lr: 0.1 });
    p.sum().backward();
    const before = p.version;
    opt.step();
    assert.equal(p.version, before + 1);
  });
});
