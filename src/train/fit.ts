import { noGrad } from '../autograd/grad-mode.js';
import type { Module } from '../nn/module.js';
import { ChainruleError } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Callback, EpochLogs, History, TrainState } from './callbacks.js';
import { accuracy, accuracyAsync, topKAccuracy, topKAccuracyAsync } from './metrics.js';

/** What fit() needs of an optimizer. */
export interface OptimizerLike {
  step(): void;
  zeroGrad(setToNone?: boolean): void;
  paramGroups?: { lr: number }[];
}

export type LossFn =
  ((output: Tensor, target: Tensor) => Tensor) | { forward(output: Tensor, target: Tensor): Tensor };

/**
 * A metric: a name and a function of (outputs, targets) giving a number averaged over samples. On a
 * backend that reads only asynchronously (WebGPU) the function returns a promise (`await t.data()`).
 */
export type Metric =
  | 'accuracy'
  | `top${number}`
  | { name: string; fn: (output: Tensor, target: Tensor) => number | Promise<number> };

export interface FitOptions {
  epochs: number;
  optimizer: OptimizerLike;
  lossFn: LossFn;
  /** Validation batches, evaluated after every epoch (logged with a 'val' prefix). */
  valData?: Iterable<readonly Tensor[]>;
  metrics?: Metric[];
  callbacks?: Callback[];
  /** Epochs already done (for resuming): training runs epochs initialEpoch … epochs−1. */
  initialEpoch?: number;
}

function metricName(m: Metric): string {
  if (typeof m === 'object') return m.name;
  return m === 'accuracy' ? 'accuracy' : `${m}Accuracy`;
}

/** The metric's function; the built-in ones read asynchronously when `readAsync` is set. */
function metricFn(m: Metric, readAsync = false): (o: Tensor, t: Tensor) => number | Promise<number> {
  if (typeof m === 'object') return m.fn;
  if (m === 'accuracy') return readAsync ? accuracyAsync : accuracy;
  const k = Number(m.slice(3));
  if (!Number.isInteger(k) || k < 1) throw new ChainruleError(`fit: unknown metric '${m}'`);
  return readAsync ? (o, t) => topKAccuracyAsync(o, t, k) : (o, t) => topKAccuracy(o, t, k);
}

/** Whether a tensor's backend can only read asynchronously (WebGPU): fit then awaits its reads. */
function readsAsync(t: Tensor): boolean {
  return !t.storage.backend.canReadSync;
}

function callLoss(lossFn: LossFn, out: Tensor, target: Tensor): Tensor {
  return typeof lossFn === 'function' ? lossFn(out, target) : lossFn.forward(out, target);
}

function batchSize(t: Tensor): number {
  return t.ndim === 0 ? 1 : t.shape[0];
}

/**
 * Loss and metrics of a model over batches, in eval mode and without recording gradients. Reads
 * synchronously: on a backend that cannot (WebGPU) use evaluateAsync.
 */
export function evaluate(
  model: Module,
  data: Iterable<readonly Tensor[]>,
  opts: { lossFn: LossFn; metrics?: Metric[] },
): EpochLogs {
  const wasTraining = model.training;
  model.eval();
  try {
    const metrics = opts.metrics ?? [];
    const sums: EpochLogs = { loss: 0 };
    for (const m of metrics) sums[metricName(m)] = 0;
    let n = 0;
    noGrad(() => {
      for (const [x, y] of data) {
        const out = model.forward(x) as Tensor;
        const loss = callLoss(opts.lossFn, out, y);
        if (readsAsync(loss)) {
          throw new ChainruleError(
            `evaluate: the '${loss.backendName}' backend cannot read synchronously; use 'await evaluateAsync(...)' instead`,
          );
        }
        const b = batchSize(x);
        sums.loss += (loss.item() as number) * b;
        for (const m of metrics) {
          const v = metricFn(m)(out, y);
          if (typeof v !== 'number') {
            throw new ChainruleError(
              `evaluate: metric '${metricName(m)}' returned a promise; use 'await evaluateAsync(...)' instead`,
            );
          }
          sums[metricName(m)] += v * b;
        }
        n += b;
      }
    });
    if (n === 0) throw new ChainruleError('evaluate: the data yielded no batches');
    return averages(sums, n);
  } finally {
    model.train(wasTraining);
  }
}

/** evaluate, reading the values asynchronously: works on every backend, WebGPU included. */
export async function evaluateAsync(
  model: Module,
  data: Iterable<readonly Tensor[]>,
  opts: { lossFn: LossFn; metrics?: Metric[] },
): Promise<EpochLogs> {
  const wasTraining = model.training;
  model.eval();
  try {
    const metrics = opts.metrics ?? [];
    const sums: EpochLogs = { loss: 0 };
    for (const m of metrics) sums[metricName(m)] = 0;
    let n = 0;
    for (const [x, y] of data) {
      // The graph is built and the reads queued without gradients; only the waiting is outside noGrad.
      const pending = noGrad(() => {
        const out = model.forward(x) as Tensor;
        const loss = callLoss(opts.lossFn, out, y).itemAsync();
        return [loss, ...metrics.map((m) => metricFn(m, true)(out, y))];
      });
      const [loss, ...values] = await Promise.all(pending);
      const b = batchSize(x);
      sums.loss += (loss as number) * b;
      metrics.forEach((m, i) => (sums[metricName(m)] += (values[i] as number) * b));
      n += b;
    }
    if (n === 0) throw new ChainruleError('evaluateAsync: the data yielded no batches');
    return averages(sums, n);
  } finally {
    model.train(wasTraining);
  }
}

function averages(sums: EpochLogs, n: number): EpochLogs {
  return Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / n]));
}

function checkFinite(lv: number, epoch: number, batch: number): void {
  if (!Number.isFinite(lv)) {
    throw new ChainruleError(
      `fit: the loss became ${lv} at epoch ${epoch}, batch ${batch}; lower the learning rate or run with detectAnomaly(true) to find the op`,
    );
  }
}

/**
 * The training loop of the source text, packaged: for each epoch, forward, loss, backward and an
 * optimizer step per mini-batch, then validation; callbacks see each epoch's logs and may stop early.
 * Returns the history: one array per logged name (loss, metrics, valLoss, ..., lr, seconds). On a
 * backend that reads only asynchronously (WebGPU) the losses and metrics are awaited, one wait per batch.
 */
export async function fit(
  model: Module,
  trainData: Iterable<readonly Tensor[]>,
  opts: FitOptions,
): Promise<History> {
  const callbacks = opts.callbacks ?? [];
  const metrics = opts.metrics ?? [];
  const state: TrainState = {
    model,
    epoch: opts.initialEpoch ?? 0,
    stopTraining: false,
    history: { epoch: [] },
  };
  // Set once a batch's loss lives on a backend that reads only asynchronously (WebGPU).
  let deviceReads = false;
  for (const c of callbacks) c.onTrainBegin?.(state);
  for (let epoch = opts.initialEpoch ?? 0; epoch < opts.epochs && !state.stopTraining; epoch++) {
    state.epoch = epoch;
    for (const c of callbacks) c.onEpochBegin?.(epoch, state);
    model.train();
    const start = Date.now();
    const sums: EpochLogs = { loss: 0 };
    for (const m of metrics) sums[metricName(m)] = 0;
    let n = 0;
    let batch = 0;
    for (const [x, y] of trainData) {
      opts.optimizer.zeroGrad();
      const out = model.forward(x) as Tensor;
      const loss = callLoss(opts.lossFn, out, y);
      let lv: number;
      let values: (number | Promise<number>)[];
      if (!readsAsync(loss)) {
        lv = loss.item() as number;
        // Checked before the step, so that the weights are still those that gave a finite loss.
        checkFinite(lv, epoch, batch);
        loss.backward();
        opts.optimizer.step();
        values = metrics.map((m) => noGrad(() => metricFn(m)(out, y)));
      } else {
        deviceReads = true;
        // The reads are queued before backward, so the device computes the gradients while the
        // host waits for them; the loss is still checked before the step.
        const pending = noGrad(() => [loss.itemAsync(), ...metrics.map((m) => metricFn(m, true)(out, y))]);
        const reads = Promise.all(pending);
        reads.catch(() => {}); // awaited below; this only keeps a throwing backward from orphaning it
        loss.backward();
        const [l, ...rest] = await reads;
        lv = l as number;
        checkFinite(lv, epoch, batch);
        opts.optimizer.step();
        values = rest as number[];
      }
      const b = batchSize(x);
      sums.loss += lv * b;
      for (let i = 0; i < metrics.length; i++) {
        const v = values[i];
        sums[metricName(metrics[i])] += (typeof v === 'number' ? v : await v) * b;
      }
      n += b;
      for (const c of callbacks) c.onBatchEnd?.(batch, { loss: lv, size: b }, state);
      batch++;
      // Yield to the event loop between batches, so that a page or a progress display stays live.
      if (batch % 16 === 0) await Promise.resolve();
    }
    if (n === 0) throw new ChainruleError('fit: the training data yielded no batches');
    const logs = averages(sums, n);
    if (opts.valData) {
      const evalOpts = { lossFn: opts.lossFn, metrics };
      const val = deviceReads
        ? await evaluateAsync(model, opts.valData, evalOpts)
        : evaluate(model, opts.valData, evalOpts);
      for (const [k, v] of Object.entries(val)) logs[`val${k[0].toUpperCase()}${k.slice(1)}`] = v;
    }
    const seconds = (Date.now() - start) / 1000;
    logs.seconds = seconds;
    logs.samplesPerSecond = seconds > 0 ? n / seconds : n;
    if (opts.optimizer.paramGroups?.length) logs.lr = opts.optimizer.paramGroups[0].lr;
    state.history.epoch.push(epoch);
    for (const [k, v] of Object.entries(logs)) (state.history[k] ??= []).push(v);
    for (const c of callbacks) c.onEpochEnd?.(epoch, logs, state);
  }
  for (const c of callbacks) c.onTrainEnd?.(state);
  return state.history;
}
