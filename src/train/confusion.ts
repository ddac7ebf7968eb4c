/** Confusion matrices and per-class accuracy for classifiers (sklearn's layout). */
import { BackendError, IndexError, ShapeError, fmtShape } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';

function isTensor(x: unknown): x is Tensor {
  return typeof x === 'object' && x !== null && 'storage' in x && 'shape' in x;
}

/** A tensor's values on the host; a backend that reads only asynchronously gets a clear error. */
function hostValues(op: string, what: string, t: Tensor, hint: string): ArrayLike<number> {
  if (!t.storage.backend.canReadSync) {
    throw new BackendError(
      `${op}: the '${t.backendName}' backend cannot read ${what} synchronously; pass '${hint}' instead`,
    );
  }
  return t.dataSync();
}

/** Class indices from predictions [N] or scores [N, C] (the highest score wins, first on ties). */
function predictedClasses(op: string, p: Tensor | ArrayLike<number>): number[] {
  if (!isTensor(p)) return Array.from(p, Number);
  if (p.ndim === 1) return Array.from(hostValues(op, 'predictions', p, 'await predictions.data()'), Number);
  if (p.ndim !== 2) {
    throw new ShapeError(`${op}: expected predictions [N] or scores [N, C], got ${fmtShape(p.shape)}`);
  }
  const [n, c] = p.shape;
  if (c === 0) throw new ShapeError(`${op}: scores ${fmtShape(p.shape)} have no classes`);
  const v = hostValues(op, 'scores', p, 'await scores.argmax(1).data()');
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < c; j++) if (v[i * c + j] > v[i * c + best]) best = j;
    out[i] = best;
  }
  return out;
}

/**
 * Counts of (true class, predicted class) pairs: entry [i][j] is the number of samples of class i
 * predicted as class j (rows are true classes, columns predicted ones, as sklearn's
 * confusion_matrix). Predictions are class indices [N] or scores/logits [N, C].
 */
export function confusionMatrix(
  predictions: Tensor | ArrayLike<number>,
  targets: Tensor | ArrayLike<number>,
  numClasses: number,
): number[][] {
  const op = 'confusionMatrix';
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new IndexError(`${op}: numClasses must be a positive integer, got ${numClasses}`);
  }
  if (isTensor(targets) && targets.ndim !== 1) {
    throw new ShapeError(`${op}: expected targets [N], got ${fmtShape(targets.shape)}`);
  }
  if (isTensor(predictions) && predictions.ndim === 2 && predictions.shape[1] !== numClasses) {
    throw new ShapeError(
      `${op}: scores ${fmtShape(predictions.shape)} do not have numClasses = ${numClasses} columns`,
    );
  }
  const pred = predictedClasses(op, predictions);
  const truth = Array.from(
    isTensor(targets) ? hostValues(op, 'targets', targets, 'await targets.data()') : targets,
    Number,
  );
  if (pred.length !== truth.length) {
    throw new ShapeError(`${op}: got ${pred.length} predictions and ${truth.length} targets`);
  }
  const m = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < pred.length; i++) {
    for (const [what, k] of [
      ['target', truth[i]],
      ['prediction', pred[i]],
    ] as const) {
      if (!Number.isInteger(k) || k < 0 || k >= numClasses) {
        throw new IndexError(
          `${op}: ${what} ${k} at position ${i} is not a class index in [0, ${numClasses})`,
        );
      }
    }
    m[truth[i]][pred[i]]++;
  }
  return m;
}

/**
 * Share of each true class that was predicted correctly (the diagonal over the row sums: recall per
 * class). A class with no samples gets NaN, as sklearn's 0/0.
 */
export function perClassAccuracy(matrix: readonly (readonly number[])[]): number[] {
  const n = matrix.length;
  matrix.forEach((row, i) => {
    if (row.length !== n) {
      throw new ShapeError(
        `perClassAccuracy: expected a square matrix, row ${i} has ${row.length} values for ${n} rows`,
      );
    }
  });
  return matrix.map((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    return total === 0 ? NaN : row[i] / total;
  });
}
