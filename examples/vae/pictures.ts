/**
 * The VAE examples' pictures: test images over their reconstructions, samples from the prior, the
 * loss curves and, for a 2-D latent space, the decoder over a grid of codes and the test set's codes.
 */
import { join } from 'node:path';
import type { Tensor } from '../../src/index.js';
import { cat, Generator, noGrad, randn, tensor } from '../../src/index.js';
import { imageGrid, linePlot, scatterPlot, writePng } from '../../src/node/index.js';
import { CLASSES } from '../vision-common.js';
import type { VaeModel } from './train.js';

export interface VaePictureInputs {
  out: string;
  name: string;
  test: Tensor;
  testLabels: Tensor;
  trainLossPerEpoch: number[];
  testLossPerEpoch: number[];
  /** Seeds the draws from the prior. */
  sampleSeed: number;
}

/** Images per row of the reconstruction picture (originals above, reconstructions below). */
const RECON_COLUMNS = 16;
/** Points per side of the 2-D latent traversal, and its extent: z ∈ [−3, 3]², evenly spaced. */
const TRAVERSAL_SIDE = 20;
const TRAVERSAL_EXTENT = 3;

/**
 * The decoder over a TRAVERSAL_SIDE² grid of codes spaced evenly (linearly) in [−3, 3]²: z₁ grows to
 * the right, z₂ grows upwards. Returns the images row by row, top row first.
 */
export function latentTraversal(model: VaeModel, side = TRAVERSAL_SIDE, extent = TRAVERSAL_EXTENT): Tensor {
  const z = new Float32Array(side * side * 2);
  const at = (k: number) => (side === 1 ? 0 : -extent + (2 * extent * k) / (side - 1));
  for (let row = 0; row < side; row++) {
    for (let col = 0; col < side; col++) {
      const i = row * side + col;
      z[2 * i] = at(col);
      z[2 * i + 1] = at(side - 1 - row);
    }
  }
  return noGrad(() => model.decode(tensor(z, { shape: [side * side, 2] })));
}

/** Writes the pictures into `out` and returns their paths. */
export function writeVaePictures(model: VaeModel, p: VaePictureInputs): string[] {
  const wasTraining = model.training;
  model.eval();
  const paths: string[] = [];
  const save = (file: string, image: Parameters<typeof writePng>[1]) => {
    const path = join(p.out, file);
    writePng(path, image);
    paths.push(path);
  };
  noGrad(() => {
    // The decoder's mean at z = μ: the reconstruction without sampling noise.
    const count = Math.min(RECON_COLUMNS, p.test.shape[0]);
    const originals = p.test.narrow(0, 0, count);
    const recon = model.decode(model.encode(originals)[0]);
    save(
      'reconstructions.png',
      imageGrid(cat([originals, recon], 0), {
        nrow: count,
        scale: 3,
        title: `${p.name}: test images (top) and reconstructions`,
      }),
    );
    const z = randn([64, model.latent], { generator: new Generator(p.sampleSeed) });
    save(
      'samples.png',
      imageGrid(model.decode(z), { nrow: 8, scale: 3, title: `${p.name}: samples from the prior N(0, I)` }),
    );
    if (model.latent === 2) {
      save(
        'latent-traversal.png',
        imageGrid(latentTraversal(model), {
          nrow: TRAVERSAL_SIDE,
          padding: 1,
          title: `${p.name}: decoder over z in [-3, 3]^2 (linear grid)`,
        }),
      );
      save('latent-space.png', latentScatter(model, p));
    }
  });
  if (p.testLossPerEpoch.length > 0) {
    save(
      'loss-curve.png',
      linePlot(
        [
          { name: 'train', x: p.trainLossPerEpoch.map((_, i) => i + 1), y: p.trainLossPerEpoch },
          { name: 'test', x: p.testLossPerEpoch.map((_, i) => i + 1), y: p.testLossPerEpoch },
        ],
        { title: `${p.name}: negative ELBO`, xLabel: 'epoch', yLabel: 'nats per image' },
      ),
    );
  }
  model.train(wasTraining);
  return paths;
}

/** The test images' codes μ(x) in the plane, one colour per class. */
function latentScatter(model: VaeModel, p: VaePictureInputs): ReturnType<typeof scatterPlot> {
  const n = p.test.shape[0];
  const mu = new Float32Array(n * 2);
  for (let i = 0; i < n; i += 500) {
    const len = Math.min(500, n - i);
    mu.set(model.encode(p.test.narrow(0, i, len))[0].dataSync() as Float32Array, 2 * i);
  }
  const labels = p.testLabels.dataSync() as Int32Array;
  const groups = CLASSES.map((name, c) => {
    const x: number[] = [];
    const y: number[] = [];
    for (let i = 0; i < n; i++) {
      if (labels[i] === c) {
        x.push(mu[2 * i]);
        y.push(mu[2 * i + 1]);
      }
    }
    return { name, x, y };
  }).filter((g) => g.x.length > 0);
  return scatterPlot(groups, {
    title: `${p.name}: test images' latent means`,
    xLabel: 'z1',
    yLabel: 'z2',
    radius: 1,
    alpha: 0.5,
    width: 720,
    height: 560,
  });
}
