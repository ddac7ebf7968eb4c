/**
 * The messages between the page (main.ts) and the training engine (worker.ts, or runner.ts on the
 * main thread where workers are unavailable). Everything is structured-cloneable.
 */

import type { BackendChoice } from './backends.js';

export type DatasetName = 'xor' | 'circles' | 'moons' | 'spirals' | 'blobs';
export type ActivationName = 'relu' | 'tanh' | 'sigmoid' | 'leakyRelu' | 'gelu' | 'linear';
export type OptimizerName = 'sgd' | 'momentum' | 'nesterov' | 'rmsprop' | 'adagrad' | 'adam';

export interface Config {
  dataset: DatasetName;
  /** Points in all (train + test). */
  points: number;
  /** Standard deviation of the data set's noise (see datasets.ts for what it perturbs). */
  noise: number;
  /** Share of the points used for training; the rest is the test set. */
  trainFraction: number;
  /** Units of each hidden layer (empty: logistic regression). */
  hidden: number[];
  activation: ActivationName;
  optimizer: OptimizerName;
  lr: number;
  batchSize: number;
  /** Coefficients of Σ|w| and Σw² added to the loss (weights only, not biases). */
  l1: number;
  l2: number;
  /** Dropout probability after each hidden activation (0: none). */
  dropout: number;
  batchNorm: boolean;
  seed: number;
  /** 1 (one step per tick) to 5 (as fast as the machine goes). */
  speed: number;
  /** The library backend to train on (see backends.ts); 'auto' when absent. */
  backend?: BackendChoice;
}

/** The settings that apply to a running network without rebuilding it. */
export type LiveSettings = Pick<Config, 'lr' | 'batchSize' | 'l1' | 'l2' | 'speed'>;

export type Command =
  | { type: 'init'; config: Config }
  | { type: 'start' }
  | { type: 'pause' }
  | { type: 'step' }
  | { type: 'live'; settings: LiveSettings }
  | { type: 'select'; sample: number };

export interface Points {
  /** [n, 2] row-major coordinates, as fed to the network. */
  x: Float32Array;
  /** Labels 0 or 1. */
  y: Int32Array;
}

/** A weight matrix [out, in] row-major, as nn.Linear stores it. */
export interface Matrix {
  rows: number;
  cols: number;
  values: number[];
}

export interface Progress {
  type: 'progress';
  running: boolean;
  /** Optimizer steps so far and epochs (fractional: steps / batches per epoch). */
  steps: number;
  epoch: number;
  trainLoss: number;
  testLoss: number;
  trainAccuracy: number;
  testAccuracy: number;
  /** P(class 1) on a gridSize × gridSize lattice over the domain, row 0 at the top. */
  grid: Float32Array;
  gridSize: number;
  weights: Matrix[];
  biases: number[][];
  /** ‖∂L/∂W‖ of each layer's weights, averaged over the steps since the last report. */
  gradNorms: number[];
}

/** One layer of the step view: the source text's z, a and δ for the chosen sample. */
export interface LayerStep {
  /** 'hidden 1', ..., 'output'. */
  name: string;
  z: number[];
  a: number[];
  delta: number[];
  /** ∂E/∂w_ji = δ_j · a_i (rows j: this layer's units, columns i: the previous layer's a). */
  weightGrad: Matrix;
  biasGrad: number[];
  /** The weights before the step, and the change the optimizer made to them. */
  weight: Matrix;
  update: Matrix;
}

export interface StepDetail {
  type: 'step';
  sample: number;
  /** The sample's input a⁰ and target t. */
  input: number[];
  target: number;
  /** E for this sample: binary cross-entropy of the output. */
  loss: number;
  layers: LayerStep[];
  /** Whether the per-sample pass differs from training (evaluation mode: no dropout, running BN statistics). */
  evalMode: boolean;
  batchSize: number;
  optimizer: OptimizerName;
  lr: number;
  /** The model's state before the step (stateDict: name → shape and values), for checking elsewhere. */
  state: Record<string, { shape: number[]; values: number[] }>;
}

export interface Ready {
  type: 'ready';
  backend: string;
  /** The backend choices that work where the engine runs. */
  backends: BackendChoice[];
  /** 'worker' or 'main thread'. */
  thread: string;
  train: Points;
  test: Points;
  /** Half-width of the square domain [-extent, extent]² that the data and the heat map cover. */
  extent: number;
  /** Units per layer, input and output included. */
  sizes: number[];
}

export type Reply =
  Ready | Progress | StepDetail | { type: 'hello'; backend: string } | { type: 'error'; message: string };
