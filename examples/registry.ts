import type { Example } from './common.js';

/** Every example the CLI can run, by name. */
export const EXAMPLES: Record<string, Example> = {};

export function register(e: Example): void {
  EXAMPLES[e.name] = e;
}
