/**
 * "Classifier agreement", a cheap stand-in for the Inception score: a Fashion-MNIST classifier (the
 * `fashion-cnn` example's checkpoint) looks at generated images. Good samples are recognized with
 * confidence (confidentShare: the share whose largest softmax probability exceeds 0.9) and a generator
 * without mode collapse produces every class (classEntropy: the entropy in nats of the histogram of
 * predicted classes, ln 10 ≈ 2.303 when all ten come out equally often).
 */
import { existsSync } from 'node:fs';
import type { Tensor } from '../../src/index.js';
import { Generator, nn, noGrad, softmax } from '../../src/index.js';
import { loadCheckpoint, readCheckpoint } from '../../src/node/index.js';
import { buildModel } from '../fashion-cnn/main.js';
import { CLASSES, MEAN, STD } from '../vision-common.js';

/** A sample counts as confident above this largest class probability. */
export const CONFIDENCE = 0.9;

/** Where the classifier is looked for when CHAINRULE_CLASSIFIER is not set. */
export const DEFAULT_CLASSIFIER = 'runs/fashion-cnn/checkpoint.safetensors';

export interface AgreementScore {
  confidentShare: number;
  /** Entropy (nats) of the predicted-class histogram. */
  classEntropy: number;
  /** Samples predicted as each class, by class name. */
  classHistogram: Record<string, number>;
}

/** The entropy in nats of a histogram of counts (empty bins add nothing). */
export function histogramEntropy(counts: readonly number[]): number {
  const n = counts.reduce((a, b) => a + b, 0);
  let h = 0;
  for (const c of counts) if (c > 0) h -= (c / n) * Math.log(c / n);
  return h;
}

/**
 * The agreement score of images [N, 1, 28, 28] in [−1, 1] (the generator's tanh range), mapped to
 * the classifier's input: pixels in [0, 1], then normalized with the training set's mean and std.
 */
export function agreementScore(classifier: nn.Module, images: Tensor, batchSize = 500): AgreementScore {
  const n = images.shape[0];
  const counts = new Array<number>(CLASSES.length).fill(0);
  let confident = 0;
  const wasTraining = classifier.training;
  classifier.eval();
  noGrad(() => {
    for (let i = 0; i < n; i += batchSize) {
      const len = Math.min(batchSize, n - i);
      const x = images.narrow(0, i, len).add(1).div(2).sub(MEAN).div(STD);
      const probs = softmax(classifier.forward(x) as Tensor, 1).dataSync() as Float32Array;
      const k = CLASSES.length;
      for (let r = 0; r < len; r++) {
        let best = 0;
        for (let c = 1; c < k; c++) if (probs[r * k + c] > probs[r * k + best]) best = c;
        counts[best]++;
        if (probs[r * k + best] > CONFIDENCE) confident++;
      }
    }
  });
  classifier.train(wasTraining);
  return {
    confidentShare: confident / n,
    classEntropy: histogramEntropy(counts),
    classHistogram: Object.fromEntries(CLASSES.map((c, i) => [c, counts[i]])),
  };
}

/** A loaded classifier, or why there is none. */
export type ClassifierLookup =
  | { classifier: nn.Module; path: string; reason?: undefined }
  | { classifier: null; path: string; reason: string };

/**
 * The `fashion-cnn` classifier saved at path (default: $CHAINRULE_CLASSIFIER, else
 * runs/fashion-cnn/checkpoint.safetensors). A missing or foreign file is not an error: the score is
 * then left out, with the reason.
 */
export function findClassifier(path?: string): ClassifierLookup {
  const where = path ?? process.env.CHAINRULE_CLASSIFIER ?? DEFAULT_CLASSIFIER;
  if (!existsSync(where)) {
    return {
      classifier: null,
      path: where,
      reason:
        `no classifier at ${where} (train one with \`chainrule train fashion-cnn\` ` +
        'or set CHAINRULE_CLASSIFIER to its checkpoint)',
    };
  }
  try {
    const extra = readCheckpoint(where).extra as { example?: unknown } | undefined;
    if (extra?.example !== 'fashion-cnn') {
      const name = typeof extra?.example === 'string' ? `'${extra.example}'` : 'no example';
      return { classifier: null, path: where, reason: `${where} was saved by ${name}, not fashion-cnn` };
    }
    const classifier = buildModel(new Generator(0));
    loadCheckpoint(where, { model: classifier, generators: {} });
    return { classifier, path: where };
  } catch (e) {
    return { classifier: null, path: where, reason: `${where} cannot be loaded: ${(e as Error).message}` };
  }
}
