/**
 * The interface every reinforcement-learning environment implements (the shape of Gymnasium's
 * `Env`): `reset` starts an episode and returns the first observation, `step` applies one action.
 *
 * To plug in your own environment, implement `Env<Obs, Action>` with plain numbers and typed
 * arrays (environments need no tensors), describe its spaces, and keep every random draw on a
 * seeded Generator:
 *
 *   class Corridor implements Env<Float32Array, number> {
 *     readonly observationSpace = boxSpace([1], [0], [10]);
 *     readonly actionSpace = discreteSpace(2);
 *     private pos = 0;
 *     reset(): Float32Array { this.pos = 0; return Float32Array.of(this.pos); }
 *     step(action: number) {
 *       this.pos += action === 1 ? 1 : -1;
 *       const terminated = this.pos >= 10;
 *       return { observation: Float32Array.of(this.pos), reward: terminated ? 1 : 0, terminated, truncated: false };
 *     }
 *   }
 *
 * Any agent written against this interface (the DQN example, for one) then trains on it.
 */
import { IndexError } from '../tensor/errors.js';
import type { Generator } from '../tensor/random.js';

/** What one step returns (Gymnasium's tuple without `info`). */
export interface StepResult<Obs> {
  observation: Obs;
  reward: number;
  /** The episode ended inside the task (the pole fell, the goal was reached): no future reward. */
  terminated: boolean;
  /** The episode was cut off from outside (a time limit): the state still has a future value. */
  truncated: boolean;
}

/** A finite set of actions {0, 1, …, n − 1} (Gymnasium's Discrete). */
export interface DiscreteSpace {
  readonly kind: 'discrete';
  readonly n: number;
}

/** Real vectors of a fixed shape within [low, high] per element (Gymnasium's Box). */
export interface BoxSpace {
  readonly kind: 'box';
  readonly shape: readonly number[];
  /** Per-element bounds, flattened in row-major order; ±Infinity where unbounded. */
  readonly low: readonly number[];
  readonly high: readonly number[];
}

export type Space = DiscreteSpace | BoxSpace;

export interface Env<Obs, Action> {
  readonly observationSpace: Space;
  readonly actionSpace: Space;
  /**
   * Starts a new episode and returns its first observation. A seed reseeds the environment's
   * generator (the following episodes continue from it); without one it continues its sequence.
   */
  reset(seed?: number): Obs;
  step(action: Action): StepResult<Obs>;
}

export function discreteSpace(n: number): DiscreteSpace {
  if (!Number.isInteger(n) || n < 1) {
    throw new IndexError(`discreteSpace: n must be a positive integer, got ${String(n)}`);
  }
  return { kind: 'discrete', n };
}

export function boxSpace(
  shape: readonly number[],
  low: readonly number[],
  high: readonly number[],
): BoxSpace {
  const size = boxSize('boxSpace', shape);
  if (low.length !== size || high.length !== size) {
    throw new IndexError(
      `boxSpace: low and high need ${size} elements for shape [${shape.join(', ')}], got ${low.length} and ${high.length}`,
    );
  }
  return { kind: 'box', shape: [...shape], low: [...low], high: [...high] };
}

/** The number of values in an observation (box) or of actions (discrete). */
export function spaceSize(space: Space): number {
  return space.kind === 'discrete' ? space.n : boxSize('spaceSize', space.shape);
}

function boxSize(op: string, shape: readonly number[]): number {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new IndexError(`${op}: box dimensions must be non-negative integers, got [${shape.join(', ')}]`);
    }
  }
  return shape.reduce((a, b) => a * b, 1);
}

/** A uniformly random action of a discrete space (for exploration). */
export function sampleDiscrete(space: DiscreteSpace, generator: Generator): number {
  return generator.nextInt(0, space.n);
}
