/**
 * Training through fit() on WebGPU, in the page: the loop awaits its reads there, since the
 * backend cannot read synchronously. Also the library code such a run reaches (evaluation,
 * clipping, BatchNorm's cumulative average, sampling) against the reference backend.
 */
import type { Tensor } from '../../src/index.js';
import {
  EarlyStopping,
  Generator,
  data,
  evaluate,
  evaluateAsync,
  fit,
  manualSeed,
  nn,
  optim,
  setBackend,
  tensor,
} from '../../src/index.js';
import { expectThrow, mismatch, record, rings } from './harness.js';

function loaderOf(n: number, seed: number, shuffle: boolean) {
  const { x, y } = rings(n, seed);
  const ds = new data.TensorDataset(tensor(x, { shape: [n, 2] }), tensor(y));
  return new data.DataLoader(ds, { batchSize: 32, shuffle, generator: new Generator(seed) });
}

/** fit() on a backend; the history without timings. */
async function fitOn(backend: string, epochs: number) {
  setBackend(backend);
  manualSeed(3);
  const model = new nn.Sequential(
    new nn.Linear(2, 32),
    new nn.Tanh(),
    new nn.Dropout(0.05),
    new nn.Linear(32, 32),
    new nn.ReLU(),
    new nn.Linear(32, 2),
  );
  const optimizer = new optim.Adam(model.parameters(), { lr: 0.02 });
  const stop = new EarlyStopping({ monitor: 'valAccuracy', patience: epochs });
  const history = await fit(model, loaderOf(256, 11, true), {
    epochs,
    optimizer,
    lossFn: new nn.CrossEntropyLoss(),
    valData: loaderOf(128, 12, false),
    metrics: ['accuracy', 'top2'],
    callbacks: [stop],
  });
  return { history, model, stop };
}

async function datas(ts: (Tensor | null)[]): Promise<Float32Array[]> {
  return (await Promise.all(ts.map((t) => (t as Tensor).data()))) as Float32Array[];
}

export async function trainSuite(): Promise<void> {
  const epochs = 12;
  const ref = await fitOn('js', 1);
  const { history, model, stop } = await fitOn('webgpu', epochs);
  const keys = ['epoch', 'loss', 'accuracy', 'top2Accuracy', 'valLoss', 'valAccuracy', 'lr', 'seconds'];
  const missing = keys.filter((k) => history[k]?.length !== epochs);
  record('fit: the history has every key for every epoch', missing.length === 0, missing.join(', '));
  const l0 = history.loss[0];
  record(
    `fit: the first epoch's loss ${l0.toFixed(5)} equals the reference's ${ref.history.loss[0].toFixed(5)} (1e-3)`,
    Math.abs(l0 - ref.history.loss[0]) < 1e-3,
  );
  const last = history.valLoss[epochs - 1];
  const acc = history.valAccuracy[epochs - 1];
  record(
    `training: fit on webgpu, valLoss ${history.valLoss[0].toFixed(3)} -> ${last.toFixed(3)}, valAccuracy ${acc.toFixed(3)}`,
    last < history.valLoss[0] / 3 && acc >= 0.95,
    JSON.stringify(history),
  );
  record(
    'fit: callbacks saw the logs (EarlyStopping tracked the best epoch)',
    stop.best === Math.max(...history.valAccuracy),
  );
  record(
    'fit: top-2 accuracy of two classes is 1',
    history.top2Accuracy.every((a) => a === 1),
  );

  // Evaluation outside fit: the sync one names the async one, which agrees with fit's last epoch.
  const val = loaderOf(128, 12, false);
  const lossFn = new nn.CrossEntropyLoss();
  await expectThrow(
    'evaluate names evaluateAsync',
    () => evaluate(model, val, { lossFn }),
    /await evaluateAsync/,
  );
  const logs = await evaluateAsync(model, val, { lossFn, metrics: ['accuracy'] });
  record(
    `evaluateAsync agrees with fit's last validation (${logs.accuracy})`,
    Math.abs(logs.loss - last) < 1e-5 && logs.accuracy === acc,
  );

  // BatchNorm with momentum null (a cumulative average) against the reference.
  const bnRuns: Float32Array[][] = [];
  for (const name of ['js', 'webgpu']) {
    setBackend(name);
    const bn = new nn.BatchNorm1d(3, { momentum: null });
    const outs: Tensor[] = [];
    for (let i = 1; i <= 3; i++) {
      const x = Float32Array.from({ length: 24 }, (_, k) => i * Math.sin(k * i) + i);
      outs.push(bn.forward(tensor(x, { shape: [8, 3] })));
    }
    bnRuns.push(await datas([...outs, bn.runningMean, bn.runningVar, bn.numBatchesTracked]));
  }
  const bnBad = bnRuns[0].map((r, i) => mismatch(r, bnRuns[1][i], { atol: 1e-5, rtol: 1e-5 })).find((m) => m);
  record(
    'BatchNorm momentum null: outputs and running stats equal the reference',
    !bnBad,
    bnBad ?? undefined,
  );

  // Gradient clipping that checks for non-finite norms, and sampling, through their async variants.
  setBackend('webgpu');
  const p = tensor([3, 4], { requiresGrad: true });
  p.mul(p).sum().backward();
  await expectThrow(
    'clipGradNorm with errorIfNonfinite names clipGradNormAsync',
    () => optim.clipGradNorm([p], 1, 2, { errorIfNonfinite: true }),
    /await clipGradNormAsync/,
  );
  const total = await optim.clipGradNormAsync([p], 1, 2, { errorIfNonfinite: true });
  const g = await (p.grad as Tensor).data();
  record(
    `clipGradNormAsync: norm ${await total.itemAsync()}, clipped gradient [${Array.from(g)}]`,
    (await total.itemAsync()) === 10 && mismatch(Float32Array.from([0.6, 0.8]), g as Float32Array) === null,
  );
  const probs = [
    [0.1, 0.5, 0.4],
    [0.7, 0.2, 0.1],
  ];
  await expectThrow(
    'multinomial names multinomialAsync',
    () => nn.multinomial(tensor(probs), 2),
    /multinomialAsync/,
  );
  const drawn = await nn.multinomialAsync(tensor(probs), 2, false, { generator: new Generator(9) });
  setBackend('js');
  const want = nn.multinomial(tensor(probs), 2, false, { generator: new Generator(9) });
  record(
    'multinomialAsync draws the reference tokens',
    mismatch(want.dataSync(), await drawn.data()) === null,
  );
  setBackend('js');
}
