/** Reinforcement learning: the environment interface, CartPole and experience replay. */
export type { BoxSpace, DiscreteSpace, Env, Space, StepResult } from './env.js';
export { boxSpace, discreteSpace, sampleDiscrete, spaceSize } from './env.js';
export type { CartPoleOptions } from './cartpole.js';
export { CartPole } from './cartpole.js';
export type { TransitionBatch, TransitionTensors } from './replay.js';
export { batchToTensors, ReplayMemory } from './replay.js';
