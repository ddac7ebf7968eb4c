/**
 * The "8 Gaussians" toy distribution of GAN papers (a ring of modes) and the usual measure of mode
 * collapse on it: how many modes the generator reaches with good samples, and how many of its samples
 * are good.
 */
import type { Generator, Tensor } from '../../src/index.js';
import { tensor } from '../../src/index.js';

export const RING = {
  modes: 8,
  radius: 2,
  std: 0.02,
};

/** The modes' centres: angles 2πk/8 on the circle of radius 2. */
export function ringModes(modes = RING.modes, radius = RING.radius): [number, number][] {
  return Array.from({ length: modes }, (_, k) => {
    const a = (2 * Math.PI * k) / modes;
    return [radius * Math.cos(a), radius * Math.sin(a)];
  });
}

/** n points [n, 2] of the mixture: a uniformly chosen mode plus N(0, std² I) noise. */
export function sampleRing(n: number, generator: Generator): Tensor {
  const centres = ringModes();
  const v = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    const [cx, cy] = centres[generator.nextInt(0, centres.length)];
    v[2 * i] = cx + RING.std * generator.nextNormal();
    v[2 * i + 1] = cy + RING.std * generator.nextNormal();
  }
  return tensor(v, { shape: [n, 2] });
}

export interface RingMetric {
  /** Modes that are the nearest mode of at least one high-quality sample (0 to 8). */
  modesCaptured: number;
  /** Percentage of samples within 3 std (0.06) of their nearest mode. */
  highQualityPercent: number;
}

/** The mode metric of points [n, 2] (a Tensor or interleaved x, y values). */
export function ringMetric(points: Tensor | ArrayLike<number>, std = RING.std): RingMetric {
  const v = 'dataSync' in points ? points.dataSync() : points;
  const n = Math.floor(v.length / 2);
  const centres = ringModes();
  const limit = 3 * std;
  const hit = new Set<number>();
  let good = 0;
  for (let i = 0; i < n; i++) {
    const x = Number(v[2 * i]);
    const y = Number(v[2 * i + 1]);
    let best = -1;
    let bestDist = Infinity;
    centres.forEach(([cx, cy], k) => {
      const d = Math.hypot(x - cx, y - cy);
      if (d < bestDist) {
        bestDist = d;
        best = k;
      }
    });
    if (bestDist <= limit) {
      good++;
      hit.add(best);
    }
  }
  return { modesCaptured: hit.size, highQualityPercent: n === 0 ? 0 : (100 * good) / n };
}
