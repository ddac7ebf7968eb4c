import { AnomalyError } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';

let enabled = false;

/**
 * Anomaly mode: every op checks that it did not turn finite inputs into NaN or Inf, in its forward
 * and in its backward, and throws an AnomalyError naming the op (with the forward's stack for a
 * backward failure). `detectAnomaly(true)` switches it on, `detectAnomaly(fn)` for the scope of fn.
 */
export function detectAnomaly(on: boolean): void;
export function detectAnomaly<T>(fn: () => T): T;
export function detectAnomaly<T>(arg: boolean | (() => T)): T | void {
  if (typeof arg === 'boolean') {
    enabled = arg;
    return;
  }
  const prev = enabled;
  enabled = true;
  try {
    return arg();
  } finally {
    enabled = prev;
  }
}

export function isAnomalyEnabled(): boolean {
  return enabled;
}

let backwardDepth = 0;

/**
 * Runs a node's backward function. The ops inside skip their own forward checks: a bad value there
 * is reported by the node's backward check, which names the op the user called and its forward
 * stack, and intermediate Inf/NaN that a mask removes again is no anomaly at all.
 */
export function runBackwardFn<T>(fn: () => T): T {
  backwardDepth++;
  try {
    return fn();
  } finally {
    backwardDepth--;
  }
}

function firstBad(t: Tensor): string | null {
  if (t.dtype !== 'float32' && t.dtype !== 'float64') return null;
  if (!t.storage.backend.canReadSync) return null;
  const v = t.storage.backend.readSync(t.storage);
  for (let i = 0; i < v.length; i++) {
    if (Number.isNaN(v[i])) return 'NaN';
    if (v[i] === Infinity || v[i] === -Infinity) return 'Inf';
  }
  return null;
}

/** Throws when some output is NaN/Inf although every input was finite. */
export function checkAnomaly(
  phase: 'forward' | 'backward',
  op: string,
  inputs: readonly (Tensor | null | undefined)[],
  outputs: readonly (Tensor | null | undefined)[],
  forwardStack?: string,
): void {
  if (phase === 'forward' && backwardDepth > 0) return;
  for (const t of inputs) if (t && firstBad(t)) return;
  for (let i = 0; i < outputs.length; i++) {
    const t = outputs[i];
    const bad = t ? firstBad(t) : null;
    if (!bad) continue;
    const what = phase === 'forward' ? `output ${i}` : `the gradient for input ${i}`;
    let msg = `anomaly: the ${phase} of '${op}' produced ${bad} in ${what} (shape [${t!.shape.join(',')}]) from finite inputs`;
    if (forwardStack) msg += `\nThe forward call of '${op}' was:\n${forwardStack}`;
    throw new AnomalyError(msg);
  }
}
