/**
 * Experience replay (Lin 1992; Mnih et al. 2015): a ring buffer of transitions (s, a, r, s′, done)
 * from which off-policy learners draw uniform minibatches, breaking the correlation between
 * consecutive steps. Stored as flat typed arrays, so that pushing and sampling allocate nothing
 * per transition.
 */
import { fromTypedArray } from '../tensor/create.js';
import { IndexError, ShapeError } from '../tensor/errors.js';
import type { Generator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';

/** A minibatch as row-major typed arrays: observations are [batchSize × observationSize]. */
export interface TransitionBatch {
  batchSize: number;
  observations: Float32Array;
  actions: Int32Array;
  rewards: Float32Array;
  nextObservations: Float32Array;
  /** 1 where the episode terminated after the transition (the next state has no value), else 0. */
  terminated: Float32Array;
}

/** The same minibatch as tensors: observations [B, obs], actions [B, 1] (int32), rewards and terminated [B]. */
export interface TransitionTensors {
  observations: Tensor;
  actions: Tensor;
  rewards: Tensor;
  nextObservations: Tensor;
  terminated: Tensor;
}

export class ReplayMemory {
  readonly capacity: number;
  readonly observationSize: number;
  private readonly obs: Float32Array;
  private readonly nextObs: Float32Array;
  private readonly actions: Int32Array;
  private readonly rewards: Float32Array;
  private readonly done: Float32Array;
  /** A permutation of the filled slots; partial Fisher–Yates over it samples without replacement. */
  private readonly order: Int32Array;
  private size = 0;
  private next = 0;

  constructor(capacity: number, observationSize: number) {
    for (const [name, v] of [
      ['capacity', capacity],
      ['observationSize', observationSize],
    ] as const) {
      if (!Number.isInteger(v) || v < 1) {
        throw new IndexError(`ReplayMemory: ${name} must be a positive integer, got ${String(v)}`);
      }
    }
    this.capacity = capacity;
    this.observationSize = observationSize;
    this.obs = new Float32Array(capacity * observationSize);
    this.nextObs = new Float32Array(capacity * observationSize);
    this.actions = new Int32Array(capacity);
    this.rewards = new Float32Array(capacity);
    this.done = new Float32Array(capacity);
    this.order = new Int32Array(capacity);
  }

  /** Transitions stored (at most the capacity). */
  get length(): number {
    return this.size;
  }

  /** Stores one transition, overwriting the oldest once full. */
  push(
    observation: ArrayLike<number>,
    action: number,
    reward: number,
    nextObservation: ArrayLike<number>,
    terminated: boolean,
  ): void {
    const n = this.observationSize;
    if (observation.length !== n || nextObservation.length !== n) {
      throw new ShapeError(
        `ReplayMemory.push: observations must have ${n} values, got ${observation.length} and ${nextObservation.length}`,
      );
    }
    if (!Number.isInteger(action)) {
      throw new IndexError(`ReplayMemory.push: action must be an integer, got ${String(action)}`);
    }
    const i = this.next;
    this.obs.set(observation, i * n);
    this.nextObs.set(nextObservation, i * n);
    this.actions[i] = action;
    this.rewards[i] = reward;
    this.done[i] = terminated ? 1 : 0;
    if (this.size < this.capacity) {
      this.order[this.size] = this.size;
      this.size++;
    }
    this.next = (i + 1) % this.capacity;
  }

  /**
   * batchSize distinct transitions drawn uniformly with the generator (like Python's random.sample);
   * the same pushes, samples and generator states give the same batches.
   */
  sample(batchSize: number, generator: Generator): TransitionBatch {
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > this.size) {
      throw new IndexError(
        `ReplayMemory.sample: batchSize must be an integer in [1, ${this.size}] (the transitions stored), got ${String(batchSize)}`,
      );
    }
    const n = this.observationSize;
    const batch: TransitionBatch = {
      batchSize,
      observations: new Float32Array(batchSize * n),
      actions: new Int32Array(batchSize),
      rewards: new Float32Array(batchSize),
      nextObservations: new Float32Array(batchSize * n),
      terminated: new Float32Array(batchSize),
    };
    const order = this.order;
    for (let b = 0; b < batchSize; b++) {
      const j = b + generator.nextInt(0, this.size - b);
      const slot = order[j];
      order[j] = order[b];
      order[b] = slot;
      batch.observations.set(this.obs.subarray(slot * n, slot * n + n), b * n);
      batch.nextObservations.set(this.nextObs.subarray(slot * n, slot * n + n), b * n);
      batch.actions[b] = this.actions[slot];
      batch.rewards[b] = this.rewards[slot];
      batch.terminated[b] = this.done[slot];
    }
    return batch;
  }
}

/** Uploads a minibatch as tensors on the current backend (the typed arrays are taken over). */
export function batchToTensors(batch: TransitionBatch): TransitionTensors {
  const b = batch.batchSize;
  const n = batch.observations.length / b;
  return {
    observations: fromTypedArray(batch.observations, [b, n]),
    actions: fromTypedArray(batch.actions, [b, 1]),
    rewards: fromTypedArray(batch.rewards, [b]),
    nextObservations: fromTypedArray(batch.nextObservations, [b, n]),
    terminated: fromTypedArray(batch.terminated, [b]),
  };
}
