import { IndexError } from '../tensor/errors.js';

/**
 * Checks one optimizer or scheduler option: a number >= min (and below max, or at most maxInclusive). The
 * message names the class and the option, e.g. `Adam: invalid betas[0] 1 (must be in [0, 1))`.
 */
export function checkOption(
  cls: string,
  name: string,
  v: unknown,
  o: { min?: number; max?: number; maxInclusive?: number; optional?: boolean } = {},
): void {
  if (v === undefined && o.optional) return;
  const min = o.min ?? 0;
  const max = o.max ?? Infinity;
  const top = o.maxInclusive ?? Infinity;
  if (typeof v !== 'number' || Number.isNaN(v) || v < min || v >= max || v > top) {
    const range =
      o.maxInclusive !== undefined
        ? `in [${min}, ${top}]`
        : max === Infinity
          ? `>= ${min}`
          : `in [${min}, ${max})`;
    throw new IndexError(`${cls}: invalid ${name} ${String(v)} (must be ${range})`);
  }
}
