import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Tensor } from '../../src/index.js';
import {
  EarlyStopping,
  SchedulerStep,
  accuracy,
  evaluate,
  fit,
  nn,
  optim,
  tensor,
  topKAccuracy,
} from '../../src/index.js';
import { forEachBackend } from '../helpers.js';
import { problem } from './fit-problem.js';

forEachBackend('fit', () => {
  it('trains, validates and returns the history with stable keys', async () => {
    const { loader, model, optimizer } = problem();
    const lossFn = new nn.CrossEntropyLoss();
    const before = evaluate(model, loader, { lossFn, metrics: ['accuracy'] });
    const history = await fit(model, loader, {
      epochs: 8,
      optimizer,
      lossFn,
      valData: loader,
      metrics: ['accuracy', 'top2'],
    });
    for (const key of [
      'epoch',
      'loss',
      'accuracy',
      'top2Accuracy',
      'valLoss',
      'valAccuracy',
      'lr',
      'seconds',
      'samplesPerSecond',
    ]) {
      assert.equal(history[key]?.length, 8, key);
    }
    assert.deepEqual(history.epoch, [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.ok(history.valLoss[7] < before.loss / 2, `valLoss ${history.valLoss[7]} vs ${before.loss}`);
    assert.ok(history.valAccuracy[7] > 0.85);
    assert.ok(
      history.top2Accuracy.every((a) => a === 1),
      'two classes: top-2 is always right',
    );
    assert.equal(model.training, true);
  });

  it('computes accuracy and top-k accuracy', () => {
    const logits = tensor([
      [0.1, 0.7, 0.2],
      [0.5, 0.1, 0.4],
      [0.2, 0.3, 0.5],
      [0.6, 0.3, 0.1],
    ]);
    const targets = tensor([1, 2, 2, 1], { dtype: 'int32' });
    assert.equal(accuracy(logits, targets), 0.5);
    assert.equal(topKAccuracy(logits, targets, 2), 1);
    assert.throws(() => accuracy(logits, tensor([1, 2], { dtype: 'int32' })), /accuracy: expected scores/);
  });

  it('stops early after `patience` epochs without improvement and restores the best weights', async () => {
    const { loader, model, optimizer } = problem(1);
    // A learning rate this large makes the loss rise after the first epochs.
    optimizer.paramGroups[0].lr = 5;
    const stop = new EarlyStopping({ monitor: 'valLoss', patience: 2, restoreBestWeights: true });
    const history = await fit(model, loader, {
      epochs: 50,
      optimizer,
      lossFn: new nn.CrossEntropyLoss(),
      valData: loader,
      callbacks: [stop],
    });
    const n = history.epoch.length;
    assert.ok(n < 50, 'stopped early');
    assert.equal(stop.stoppedEpoch, n - 1);
    assert.equal(n - 1 - stop.bestEpoch, 3, 'patience 2: stops on the third epoch without improvement');
    assert.equal(stop.best, Math.min(...history.valLoss));
    const restored = evaluate(model, loader, { lossFn: new nn.CrossEntropyLoss() });
    assert.ok(Math.abs(restored.loss - stop.best) < 1e-6, `restored ${restored.loss} vs best ${stop.best}`);
  });

  it('minDelta decides what counts as an improvement', () => {
    const stop = new EarlyStopping({ monitor: 'valLoss', patience: 0, minDelta: 0.1 });
    const state = { model: new nn.Linear(1, 1), epoch: 0, stopTraining: false, history: {} };
    stop.onTrainBegin();
    stop.onEpochEnd(0, { valLoss: 1 }, state);
    stop.onEpochEnd(1, { valLoss: 0.95 }, state); // better by less than minDelta: no improvement
    assert.equal(state.stopTraining, true);
    assert.throws(() => stop.onEpochEnd(2, { loss: 1 }, state), /'valLoss' is not logged/);
    assert.equal(new EarlyStopping({ monitor: 'valAccuracy' }).mode, 'max');
  });

  it('steps schedulers per epoch, or with the monitored value for ReduceLROnPlateau', async () => {
    const { loader, model, optimizer } = problem();
    const scheduler = new optim.StepLR(optimizer, 2, { gamma: 0.5 });
    const history = await fit(model, loader, {
      epochs: 5,
      optimizer,
      lossFn: new nn.CrossEntropyLoss(),
      callbacks: [new SchedulerStep(scheduler)],
    });
    assert.deepEqual(history.lr, [0.05, 0.05, 0.025, 0.025, 0.0125]);
    const seen: number[] = [];
    const plateau = { step: (m?: number) => seen.push(m!) };
    await fit(model, loader, {
      epochs: 2,
      optimizer,
      lossFn: new nn.CrossEntropyLoss(),
      callbacks: [new SchedulerStep(plateau, { monitor: 'loss' })],
    });
    assert.equal(seen.length, 2);
    assert.ok(seen.every((m) => Number.isFinite(m)));
  });

  it('reports a loss that turned NaN with the epoch and batch', async () => {
    const { loader, model, optimizer } = problem();
    const nanLoss = (out: Tensor) => out.sum().mul(NaN);
    await assert.rejects(
      fit(model, loader, { epochs: 1, optimizer, lossFn: nanLoss }),
      /fit: the loss became NaN at epoch 0, batch 0.*detectAnomaly/,
    );
  });
});
