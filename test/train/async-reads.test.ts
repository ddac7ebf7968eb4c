/**
 * fit() and the library code a training run reaches, on a backend that reads only asynchronously
 * (as WebGPU does). Node has no WebGPU here, so the reference kernels stand in behind
 * canReadSync = false: every number must then equal the synchronous run's exactly, and every
 * synchronous reader must refuse with an error naming its async variant.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Backend, Tensor } from '../../src/index.js';
import {
  Generator,
  accuracy,
  accuracyAsync,
  confusionMatrix,
  data,
  evaluate,
  evaluateAsync,
  fit,
  getBackend,
  manualSeed,
  nn,
  optim,
  registerBackend,
  setBackend,
  tensor,
  topKAccuracy,
  topKAccuracyAsync,
  vision,
} from '../../src/index.js';

/** The js backend's kernels, but only `await read()` gets values back. */
function asyncOnly(base: Backend): Backend {
  const b = Object.create(base) as Backend;
  Object.defineProperty(b, 'name', { value: 'js-async' });
  Object.defineProperty(b, 'canReadSync', { value: false });
  Object.defineProperty(b, 'readSync', {
    value: () => {
      throw new Error('readSync reached on a backend that reads only asynchronously');
    },
  });
  return b;
}

function problem(seed = 0) {
  manualSeed(seed);
  const { x, y } = data.moons(96, { noise: 0.1, generator: new Generator(seed) });
  const loader = new data.DataLoader(new data.TensorDataset(x, y), {
    batchSize: 32,
    shuffle: true,
    generator: new Generator(seed + 1),
  });
  const model = new nn.Sequential(new nn.Linear(2, 16), new nn.Tanh(), new nn.Linear(16, 2));
  return { loader, model, optimizer: new optim.Adam(model.parameters(), { lr: 0.05 }) };
}

/** A training run's history, without the timings (which differ between runs). */
async function history(backend: string, epochs = 4) {
  setBackend(backend);
  const { loader, model, optimizer } = problem();
  const h = await fit(model, loader, {
    epochs,
    optimizer,
    lossFn: new nn.CrossEntropyLoss(),
    valData: loader,
    metrics: ['accuracy', 'top2'],
  });
  delete h.seconds;
  delete h.samplesPerSecond;
  return h;
}

describe('training on a backend that reads only asynchronously', () => {
  before(() => {
    const b = asyncOnly(setBackend('js'));
    registerBackend('js-async', () => b, -2);
  });
  after(() => setBackend('js'));

  it('fit awaits its reads and gives exactly the synchronous history', async () => {
    const ref = await history('js');
    const got = await history('js-async');
    assert.deepEqual(got, ref);
    assert.ok(got.valAccuracy[3] > 0.8, `valAccuracy ${got.valAccuracy[3]}`);
  });

  it('fit stops at a non-finite loss before the step changes the weights', async () => {
    setBackend('js-async');
    const { loader, model, optimizer } = problem();
    const w = await model.parameters()[0].data();
    await assert.rejects(
      fit(model, loader, { epochs: 1, optimizer, lossFn: (out: Tensor) => out.sum().mul(NaN) }),
      /fit: the loss became NaN at epoch 0, batch 0/,
    );
    assert.deepEqual(await model.parameters()[0].data(), w);
  });

  it('evaluate names evaluateAsync; evaluateAsync and the async metrics equal the sync ones', async () => {
    setBackend('js');
    const ref = problem(3);
    const opts = { lossFn: new nn.CrossEntropyLoss(), metrics: ['accuracy' as const, 'top1' as const] };
    const want = evaluate(ref.model, ref.loader, opts);
    assert.deepEqual(await evaluateAsync(ref.model, ref.loader, opts), want);
    setBackend('js-async');
    const { loader, model } = problem(3);
    assert.throws(() => evaluate(model, loader, opts), /'js-async' backend .*await evaluateAsync/);
    assert.deepEqual(await evaluateAsync(model, loader, opts), want);
    const logits = tensor([
      [0.1, 0.7, 0.2],
      [0.5, 0.1, 0.4],
      [0.2, 0.3, 0.5],
    ]);
    const targets = tensor([1, 2, 0], { dtype: 'int32' });
    assert.equal(await accuracyAsync(logits, targets), 1 / 3);
    assert.equal(await topKAccuracyAsync(logits, targets, 2), 2 / 3);
    assert.throws(() => accuracy(logits, targets), /await tensor\.data\(\)/);
    assert.throws(() => topKAccuracy(logits, targets, 2), /await tensor\.data\(\)/);
    assert.throws(
      () => confusionMatrix(logits, targets, 3),
      /confusionMatrix: .*await scores\.argmax\(1\)\.data\(\)/,
    );
  });

  it('clipGradNorm with errorIfNonfinite names clipGradNormAsync, which checks and clips', async () => {
    setBackend('js');
    const ref = tensor([3, 4], { requiresGrad: true });
    ref.mul(ref).sum().backward();
    optim.clipGradNorm([ref], 1, 2, { errorIfNonfinite: true });
    setBackend('js-async');
    const p = tensor([3, 4], { requiresGrad: true });
    p.mul(p).sum().backward();
    assert.throws(
      () => optim.clipGradNorm([p], 1, 2, { errorIfNonfinite: true }),
      /clipGradNorm: .*'js-async' backend .*await clipGradNormAsync/,
    );
    const total = await optim.clipGradNormAsync([p], 1, 2, { errorIfNonfinite: true });
    assert.equal(await total.itemAsync(), 10);
    assert.deepEqual(await (p.grad as Tensor).data(), await (ref.grad as Tensor).data());
    const bad = tensor([1, 2], { requiresGrad: true });
    bad.mul(NaN).sum().backward();
    await assert.rejects(
      optim.clipGradNormAsync([bad], 1, 2, { errorIfNonfinite: true }),
      /total norm of order 2 of the gradients is non-finite \(NaN\)/,
    );
  });

  it('ReduceLROnPlateau given a tensor names itemAsync', () => {
    setBackend('js-async');
    const opt = new optim.SGD([tensor([1], { requiresGrad: true })], { lr: 0.1 });
    const plateau = new optim.ReduceLROnPlateau(opt);
    assert.throws(
      () => plateau.step(tensor(1)),
      /ReduceLROnPlateau\.step: .*step\(await metric\.itemAsync\(\)\)/,
    );
    plateau.step(1);
    assert.equal(plateau.best, 1);
  });

  it('BatchNorm with momentum null keeps the cumulative average on the device', async () => {
    const runs: Float32Array[][] = [];
    for (const name of ['js', 'js-async']) {
      setBackend(name);
      manualSeed(5);
      const bn = new nn.BatchNorm1d(3, { momentum: null });
      const outs: Float32Array[] = [];
      for (let i = 1; i <= 3; i++) {
        const x = Float32Array.from({ length: 24 }, (_, k) => i * Math.sin(k * i) + i);
        outs.push((await bn.forward(tensor(x, { shape: [8, 3] })).data()) as Float32Array);
      }
      runs.push([
        ...outs,
        (await (bn.runningMean as Tensor).data()) as Float32Array,
        (await (bn.runningVar as Tensor).data()) as Float32Array,
      ]);
      assert.equal(await (bn.numBatchesTracked as Tensor).itemAsync(), 3);
    }
    runs[0].forEach((ref, i) =>
      ref.forEach((v, j) =>
        assert.ok(Math.abs(v - runs[1][i][j]) < 1e-5, `${i}[${j}]: ${runs[1][i][j]} vs ${v}`),
      ),
    );
  });

  it('multinomial and sampleNext name their async variants, which draw the same tokens', async () => {
    setBackend('js');
    const probs = tensor([
      [0.1, 0.5, 0.4],
      [0.7, 0.2, 0.1],
    ]);
    const want = nn.multinomial(probs, 2, false, { generator: new Generator(9) });
    const wantNext = nn.sampleNext(probs.log(), { topK: 2, generator: new Generator(9) });
    setBackend('js-async');
    const p = tensor([
      [0.1, 0.5, 0.4],
      [0.7, 0.2, 0.1],
    ]);
    assert.throws(() => nn.multinomial(p, 2), /multinomial: .*await multinomialAsync/);
    assert.throws(() => nn.sampleNext(p.log()), /sampleNext: .*await sampleNextAsync/);
    const got = await nn.multinomialAsync(p, 2, false, { generator: new Generator(9) });
    const gotNext = await nn.sampleNextAsync(p.log(), { topK: 2, generator: new Generator(9) });
    assert.equal(got.backendName, getBackend().name);
    assert.deepEqual(await got.data(), await want.data());
    assert.deepEqual(await gotNext.data(), await wantNext.data());
  });

  it('the vision transforms refuse a batch on such a backend, naming the transform', () => {
    setBackend('js-async');
    const x = tensor([[[[0.5, 0.25]]]]);
    assert.throws(
      () => new vision.RandomCrop(1).forward(x),
      /RandomCrop: transforms run on host data, but this batch is on the 'js-async' backend/,
    );
    assert.throws(() => new vision.RandomHorizontalFlip().forward(x), /RandomHorizontalFlip: transforms run/);
    assert.throws(
      () => new vision.Normalize(0.5, 0.25).forward(x),
      /Normalize: .*apply Normalize to the batch/,
    );
  });
});
