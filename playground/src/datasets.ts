/**
 * The data sets: the library's synthetic problems (data.xor, circles, moons), TensorFlow
 * Playground's two-armed spiral and two Gaussian blobs, all with two classes, scaled into [-1, 1]²
 * and split into train and test sets.
 */
import { data, Generator, randperm } from 'chainrule';
import type { Config, Points } from './protocol.js';

export interface Split {
  train: Points;
  test: Points;
  /** The square [-extent, extent]² holds every point with a margin. */
  extent: number;
}

/** What `noise` perturbs, shown beside the slider. */
export const NOISE_MEANING: Record<Config['dataset'], string> = {
  xor: 'std of the points around the corners',
  circles: 'std of the points around the circles',
  moons: 'std of the points around the half circles',
  spirals: 'std of the points around the arms (outer radius 1)',
  blobs: 'std of each blob beyond 0.3',
};

function blobs(n: number, noise: number, g: Generator): { x: Float32Array; y: Int32Array } {
  const x = new Float32Array(2 * n);
  const y = new Int32Array(n);
  const std = 0.3 + noise;
  for (let i = 0; i < n; i++) {
    const label = i % 2;
    const centre = label ? 1 : -1;
    x[2 * i] = centre + std * g.nextNormal();
    x[2 * i + 1] = centre + std * g.nextNormal();
    y[i] = label;
  }
  return { x, y };
}

/**
 * Two interleaved arms of 1.75 turns each (TensorFlow Playground's spiral, harder than the library's
 * data.spirals with two classes): radius r from 0 to 1, angle 3.5πr, the second arm turned by π.
 */
function spiral(n: number, noise: number, g: Generator): { x: Float32Array; y: Int32Array } {
  const x = new Float32Array(2 * n);
  const y = new Int32Array(n);
  // Shuffled, so that a prefix is a fair training set.
  const order = randperm(n, { generator: g }).dataSync();
  for (let k = 0; k < n; k++) {
    const i = order[k];
    const label = i % 2;
    const r = Math.floor(i / 2) / Math.ceil(n / 2);
    const t = 3.5 * Math.PI * r + label * Math.PI;
    x[2 * k] = r * Math.sin(t) + noise * g.nextNormal();
    x[2 * k + 1] = r * Math.cos(t) + noise * g.nextNormal();
    y[k] = label;
  }
  return { x, y };
}

function generate(config: Config, g: Generator): { x: Float32Array; y: Int32Array } {
  const n = config.points;
  const opts = { noise: config.noise, generator: g };
  switch (config.dataset) {
    case 'blobs':
      return blobs(n, config.noise, g);
    case 'xor': {
      const { x, y } = data.xor(n, { ...opts, shuffle: true });
      return { x: x.dataSync() as Float32Array, y: y.dataSync() as Int32Array };
    }
    case 'circles': {
      const { x, y } = data.circles(n, { ...opts, factor: 0.5 });
      return { x: x.dataSync() as Float32Array, y: y.dataSync() as Int32Array };
    }
    case 'moons': {
      const { x, y } = data.moons(n, opts);
      return { x: x.dataSync() as Float32Array, y: y.dataSync() as Int32Array };
    }
    case 'spirals':
      return spiral(n, config.noise, g);
  }
}

/** Centres the points' bounding box on the origin and scales its longer side to [-1, 1]. */
function normalize(x: Float32Array): void {
  let [minX, maxX, minY, maxY] = [Infinity, -Infinity, Infinity, -Infinity];
  for (let i = 0; i < x.length; i += 2) {
    minX = Math.min(minX, x[i]);
    maxX = Math.max(maxX, x[i]);
    minY = Math.min(minY, x[i + 1]);
    maxY = Math.max(maxY, x[i + 1]);
  }
  const cx = (minX + maxX) / 2;
  const cy = (minY + maxY) / 2;
  const half = Math.max(maxX - minX, maxY - minY, 1e-6) / 2;
  for (let i = 0; i < x.length; i += 2) {
    x[i] = (x[i] - cx) / half;
    x[i + 1] = (x[i + 1] - cy) / half;
  }
}

function take(x: Float32Array, y: Int32Array, from: number, to: number): Points {
  return { x: x.slice(2 * from, 2 * to), y: y.slice(from, to) };
}

/** Draws the data set of `config` (seeded by config.seed) and splits it, train first. */
export function makeDataset(config: Config): Split {
  const g = new Generator(config.seed);
  const { x, y } = generate(config, g);
  normalize(x);
  // The generators shuffle their points (blobs alternate classes), so a prefix is a fair sample.
  const nTrain = Math.min(config.points - 1, Math.max(1, Math.round(config.points * config.trainFraction)));
  return { train: take(x, y, 0, nTrain), test: take(x, y, nTrain, config.points), extent: 1.2 };
}
