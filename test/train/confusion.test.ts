import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IndexError, ShapeError, tensor } from '../../src/index.js';
import { confusionMatrix, perClassAccuracy } from '../../src/train/confusion.js';
import { assertThrowsMatch, forEachBackend } from '../helpers.js';

forEachBackend('confusion matrix', () => {
  // sklearn's documented example: confusion_matrix([2, 0, 2, 2, 0, 1], [0, 0, 2, 2, 0, 2]).
  const yTrue = [2, 0, 2, 2, 0, 1];
  const yPred = [0, 0, 2, 2, 0, 2];
  const expected = [
    [2, 0, 0],
    [0, 0, 1],
    [1, 0, 2],
  ];

  test('rows are true classes, columns predicted ones (sklearn layout)', () => {
    assert.deepEqual(confusionMatrix(yPred, yTrue, 3), expected);
    const m = confusionMatrix(tensor(yPred, { dtype: 'int32' }), tensor(yTrue, { dtype: 'int32' }), 3);
    assert.deepEqual(m, expected);
    // More classes than appear: empty rows and columns.
    assert.deepEqual(confusionMatrix([1], [0], 3), [
      [0, 1, 0],
      [0, 0, 0],
      [0, 0, 0],
    ]);
  });

  test('logits [N, C] are turned into predictions by their highest score', () => {
    const logits = tensor(
      yPred.map((p) => [0, 1, 2].map((c) => (c === p ? 2.5 : -0.5 * c))),
      { dtype: 'float32' },
    );
    assert.deepEqual(confusionMatrix(logits, tensor(yTrue, { dtype: 'int32' }), 3), expected);
  });

  test('per-class accuracy is the diagonal over the row sums; empty classes give NaN', () => {
    const acc = perClassAccuracy(expected);
    assert.deepEqual(acc, [1, 0, 2 / 3]);
    const withEmpty = perClassAccuracy([
      [3, 1],
      [0, 0],
    ]);
    assert.equal(withEmpty[0], 0.75);
    assert.ok(Number.isNaN(withEmpty[1]));
  });

  test('bad input throws clear errors', () => {
    assertThrowsMatch(
      () => confusionMatrix([0, 1], [0], 2),
      ShapeError,
      /^confusionMatrix: got 2 predictions and 1 targets/,
    );
    assertThrowsMatch(
      () => confusionMatrix([0, 3], [0, 1], 3),
      IndexError,
      /^confusionMatrix: prediction 3 at position 1 is not a class index in \[0, 3\)/,
    );
    assertThrowsMatch(
      () => confusionMatrix([0], [-1], 3),
      IndexError,
      /^confusionMatrix: target -1 at position 0/,
    );
    assertThrowsMatch(
      () => confusionMatrix(tensor([[0.1, 0.9]]), [1], 3),
      ShapeError,
      /^confusionMatrix: scores \[1,2\] do not have numClasses = 3 columns/,
    );
    assertThrowsMatch(
      () => confusionMatrix(tensor([[[1]]]), [0], 1),
      ShapeError,
      /^confusionMatrix: expected predictions \[N\] or scores \[N, C\], got \[1,1,1\]/,
    );
    assertThrowsMatch(
      () => confusionMatrix([0], [0], 0),
      IndexError,
      /^confusionMatrix: numClasses must be a positive integer/,
    );
    assertThrowsMatch(
      () => perClassAccuracy([[1, 2]]),
      ShapeError,
      /^perClassAccuracy: expected a square matrix/,
    );
  });
});
