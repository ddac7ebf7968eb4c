import { readFileSync } from 'node:fs';
import type { Tensor } from '../../src/index.js';
import { tensor } from '../../src/index.js';

type Nested = number | Nested[];

/** Reads fixtures/<name>.json (written by fixtures/<name>.py with PyTorch); compiled tests live in build/test/nn. */
export function loadFixture(name: string): any {
  return JSON.parse(readFileSync(new URL(`../../../fixtures/${name}.json`, import.meta.url), 'utf8'));
}

/** A float64 tensor of fixture values, optionally requiring grad. */
export function t64(values: Nested, requiresGrad = false): Tensor {
  return tensor(values as never, { dtype: 'float64', requiresGrad });
}

/** PyTorch comparisons in float64: to 1e-6, as the fixtures promise. */
export const TOL = { atol: 1e-6, rtol: 1e-6 };
