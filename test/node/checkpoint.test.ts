import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { Tensor } from '../../src/index.js';
import {
  Generator,
  SchedulerStep,
  data,
  defaultGenerator,
  fit,
  manualSeed,
  nn,
  optim,
  randint,
  randn,
  tensor,
} from '../../src/index.js';
import {
  FormatError,
  ModelCheckpoint,
  loadCheckpoint,
  readCheckpoint,
  saveCheckpoint,
  saveSafetensors,
} from '../../src/node/index.js';
import { assertThrowsMatch, forEachBackend } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'chainrule-checkpoint-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const fixture = (name: string): URL => new URL(`../../../fixtures/${name}`, import.meta.url);

function mlp(): nn.Sequential {
  return new nn.Sequential(new nn.Linear(4, 16), new nn.ReLU(), new nn.Dropout(0.2), new nn.Linear(16, 3));
}

function values(model: nn.Module): Record<string, number[]> {
  return Object.fromEntries(Object.entries(model.stateDict()).map(([k, t]) => [k, Array.from(t.dataSync())]));
}

/** Asserts that two models hold exactly the same numbers (strict equality, not closeness). */
function assertSameParameters(a: nn.Module, b: nn.Module): void {
  const va = values(a);
  const vb = values(b);
  assert.deepEqual(Object.keys(va), Object.keys(vb));
  for (const k of Object.keys(va)) {
    assert.equal(va[k].length, vb[k].length);
    va[k].forEach((x, i) => assert.ok(Object.is(x, vb[k][i]), `${k}[${i}]: ${x} vs ${vb[k][i]}`));
  }
}

/** A training run's objects, built from a fixed seed so that two builds are identical. */
function setup() {
  manualSeed(7);
  const x = randn([48, 4]);
  const y = randint(0, 3, [48]);
  const train = new data.TensorDataset(x.narrow(0, 0, 40), y.narrow(0, 0, 40));
  const val = new data.TensorDataset(x.narrow(0, 40, 8), y.narrow(0, 40, 8));
  const loaderGen = new Generator(11);
  const loader = new data.DataLoader(train, { batchSize: 8, shuffle: true, generator: loaderGen });
  const valLoader = new data.DataLoader(val, { batchSize: 8 });
  const model = mlp();
  const optimizer = new optim.Adam(model.parameters(), { lr: 0.01 });
  const scheduler = new optim.StepLR(optimizer, 2, { gamma: 0.5 });
  return { loader, valLoader, loaderGen, model, optimizer, scheduler };
}

type Run = ReturnType<typeof setup>;

function train(r: Run, epochs: number, initialEpoch = 0) {
  return fit(r.model, r.loader as Iterable<[Tensor, Tensor]>, {
    epochs,
    initialEpoch,
    optimizer: r.optimizer,
    lossFn: new nn.CrossEntropyLoss(),
    valData: r.valLoader as Iterable<[Tensor, Tensor]>,
    callbacks: [new SchedulerStep(r.scheduler)],
  });
}

forEachBackend('checkpoints', () => {
  test('round trip: weights, int32 buffers, optimizer, scheduler, generators, epoch and extra', () => {
    manualSeed(3);
    const model = new nn.Sequential(new nn.Linear(3, 4), new nn.BatchNorm1d(4));
    const opt = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
    const sched = new optim.ReduceLROnPlateau(opt, { patience: 1 });
    for (let i = 0; i < 2; i++) {
      opt.zeroGrad();
      model
        .forward(randn([5, 3]))
        .pow(2)
        .sum()
        .backward();
      opt.step();
    }
    sched.step(1.5);
    const gen = new Generator(5);
    gen.nextNormal(); // leaves a spare normal in the state
    const path = join(dir, 'sub', 'round.safetensors');
    saveCheckpoint(path, {
      model,
      optimizer: opt,
      scheduler: sched,
      epoch: 4,
      generators: { default: defaultGenerator, aug: gen },
      extra: { note: 'hi', best: Infinity, low: -0, list: [1, NaN] },
    });
    const expectedDefault = defaultGenerator.getState();
    const expectedAug = gen.getState();

    manualSeed(99);
    const model2 = new nn.Sequential(new nn.Linear(3, 4), new nn.BatchNorm1d(4));
    const opt2 = new optim.SGD(model2.parameters(), { lr: 0.5, momentum: 0.9 });
    const sched2 = new optim.ReduceLROnPlateau(opt2, { patience: 1 });
    const gen2 = new Generator(0);
    const { epoch, extra } = loadCheckpoint(path, {
      model: model2,
      optimizer: opt2,
      scheduler: sched2,
      generators: { default: defaultGenerator, aug: gen2 },
    });
    assert.equal(epoch, 4);
    assert.deepEqual(extra, { note: 'hi', best: Infinity, low: -0, list: [1, NaN] });
    assert.ok(Object.is((extra as { low: number }).low, -0));
    assertSameParameters(model, model2);
    const sd = model2.stateDict();
    assert.equal(sd['1.num_batches_tracked'].dtype, 'int32');
    assert.equal(sd['1.num_batches_tracked'].item(), 2);
    assert.equal(sd['0.weight'].dtype, 'float32');
    // Optimizer: momentum buffers exactly, and the options of each group.
    const [s1, s2] = [opt.stateDict(), opt2.stateDict()];
    assert.deepEqual(s2.paramGroups, s1.paramGroups);
    for (const [i, entry] of Object.entries(s1.state)) {
      const a = entry.momentum_buffer as Tensor;
      const b = s2.state[i].momentum_buffer as Tensor;
      assert.equal(b.dtype, 'float32');
      assert.deepEqual(Array.from(b.dataSync()), Array.from(a.dataSync()));
    }
    assert.deepEqual(sched2.stateDict(), sched.stateDict());
    assert.equal(sched2.stateDict().best, 1.5);
    assert.deepEqual(defaultGenerator.getState(), expectedDefault);
    assert.deepEqual(gen2.getState(), expectedAug);

    const raw = readCheckpoint(path);
    assert.equal(raw.version, 1);
    assert.equal(raw.modelClass, 'Sequential');
    assert.deepEqual(Object.keys(raw.model).sort(), Object.keys(model.stateDict()).sort());
    assert.equal(raw.optimizer?.className, 'SGD');
    assert.equal(raw.scheduler?.className, 'ReduceLROnPlateau');
    assert.deepEqual(Object.keys(raw.generators), ['default', 'aug']);
  });

  test('the write is atomic: no temporary file is left, and a rewrite replaces the file', () => {
    const sub = join(dir, 'atomic');
    const path = join(sub, 'ck.safetensors');
    const model = mlp();
    saveCheckpoint(path, { model, epoch: 1 });
    saveCheckpoint(path, { model, epoch: 2 });
    assert.deepEqual(readdirSync(sub), ['ck.safetensors']);
    assert.equal(readCheckpoint(path).epoch, 2);
  });

  test('a truncated, foreign, non-safetensors or missing file gives a clear error naming the path', () => {
    const path = join(dir, 'whole.safetensors');
    saveCheckpoint(path, { model: mlp(), epoch: 1 });
    const bytes = readFileSync(path);
    const cut = join(dir, 'cut.safetensors');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 10));
    assertThrowsMatch(
      () => loadCheckpoint(cut, { model: mlp() }),
      FormatError,
      /^loadCheckpoint: .*cut\.safetensors: .*the file is truncated/,
    );
    writeFileSync(cut, bytes.subarray(0, 20));
    assertThrowsMatch(
      () => readCheckpoint(cut),
      FormatError,
      /^readCheckpoint: .*cut\.safetensors: header length \d+ is beyond the end .*truncated/,
    );
    const foreign = join(dir, 'torch_state.safetensors');
    copyFileSync(fixture('torch_state.safetensors'), foreign);
    assertThrowsMatch(
      () => loadCheckpoint(foreign, { model: mlp() }),
      FormatError,
      /^loadCheckpoint: .*torch_state\.safetensors: a safetensors file, but not a chainrule checkpoint .*loadSafetensors/,
    );
    const plain = join(dir, 'weights.safetensors');
    saveSafetensors(plain, mlp().stateDict(), { format: 'pt' });
    assertThrowsMatch(
      () => readCheckpoint(plain),
      FormatError,
      /weights\.safetensors: .*not a chainrule checkpoint/,
    );
    const text = join(dir, 'notes.json');
    writeFileSync(text, '{"hello": "world", "padding": "................................"}');
    assertThrowsMatch(
      () => loadCheckpoint(text, { model: mlp() }),
      FormatError,
      /^loadCheckpoint: .*notes\.json: .*not a safetensors file/,
    );
    assertThrowsMatch(
      () => loadCheckpoint(join(dir, 'nope.safetensors'), { model: mlp() }),
      Error,
      /^loadCheckpoint: .*nope\.safetensors does not exist \(expected a checkpoint\)/,
    );
  });

  test('tensor names from a file cannot replace prototypes', () => {
    const path = join(dir, 'hostile.safetensors');
    const t = tensor([1, 2]);
    saveSafetensors(
      path,
      { 'model.__proto__': t, 'optimizer.__proto__.polluted': t },
      { format: 'chainrule-checkpoint', format_version: '1', optimizer: '{"state":{},"paramGroups":[]}' },
    );
    const raw = readCheckpoint(path);
    assert.deepEqual(Object.keys(raw.model), ['__proto__']);
    assert.equal(Object.getPrototypeOf(raw.model), Object.prototype);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.deepEqual(Object.keys(raw.optimizer!.stateDict.state), ['__proto__']);
  });

  test('a checkpoint of another model, optimizer or scheduler is refused, naming what differs', () => {
    const path = join(dir, 'other.safetensors');
    const model = mlp();
    const opt = new optim.Adam(model.parameters());
    saveCheckpoint(path, { model, optimizer: opt, generators: {} });
    const wider = new nn.Sequential(
      new nn.Linear(4, 8),
      new nn.ReLU(),
      new nn.Dropout(0.2),
      new nn.Linear(8, 3),
    );
    assertThrowsMatch(
      () => loadCheckpoint(path, { model: wider }),
      nn.StateDictError,
      /^loadCheckpoint: .*other\.safetensors: the model does not match the checkpoint: .*size mismatch for 0\.weight: .*\[16,4\].*\[8,4\]/s,
    );
    const deeper = mlp().append(new nn.Linear(3, 3));
    assertThrowsMatch(
      () => loadCheckpoint(path, { model: deeper }),
      nn.StateDictError,
      /the model does not match the checkpoint: .*missing keys: "4\.weight", "4\.bias"/s,
    );
    const m2 = mlp();
    assertThrowsMatch(
      () => loadCheckpoint(path, { model: m2, optimizer: new optim.SGD(m2.parameters(), { lr: 0.1 }) }),
      nn.StateDictError,
      /other\.safetensors: the checkpoint holds Adam state, but the optimizer is a SGD/,
    );
    const adam = new optim.Adam(m2.parameters());
    assertThrowsMatch(
      () => loadCheckpoint(path, { model: m2, scheduler: new optim.StepLR(adam, 1) }),
      nn.StateDictError,
      /other\.safetensors: the checkpoint holds no scheduler state/,
    );
    assertThrowsMatch(
      () => loadCheckpoint(path, { model: m2, generators: { loader: new Generator(1) } }),
      nn.StateDictError,
      /no state for generator\(s\) 'loader' \(the checkpoint holds none\)/,
    );
    // Nothing asked for is missing: the default generator is restored only when the file has it.
    assert.deepEqual(loadCheckpoint(path, { model: m2, optimizer: adam }), {
      epoch: undefined,
      extra: undefined,
    });
  });

  test('resuming from a checkpoint continues bit for bit like an uninterrupted run', async () => {
    const full = setup();
    const fullHistory = await train(full, 6);

    const first = setup();
    const firstHistory = await train(first, 3);
    const path = join(dir, 'resume.safetensors');
    saveCheckpoint(path, {
      model: first.model,
      optimizer: first.optimizer,
      scheduler: first.scheduler,
      epoch: 3,
      generators: { default: defaultGenerator, loader: first.loaderGen },
    });

    const second = setup(); // fresh objects; setup's draws move the default generator elsewhere
    const { epoch } = loadCheckpoint(path, {
      model: second.model,
      optimizer: second.optimizer,
      scheduler: second.scheduler,
      generators: { default: defaultGenerator, loader: second.loaderGen },
    });
    assert.equal(epoch, 3);
    const secondHistory = await train(second, 6, epoch);

    assertSameParameters(second.model, full.model);
    assert.deepEqual([...firstHistory.loss, ...secondHistory.loss], fullHistory.loss);
    assert.deepEqual([...firstHistory.valLoss, ...secondHistory.valLoss], fullHistory.valLoss);
    assert.deepEqual([...firstHistory.lr, ...secondHistory.lr], fullHistory.lr);
    assert.deepEqual(secondHistory.epoch, [3, 4, 5]);
    // The check can fail: without the loader's generator the shuffles (and so the result) differ.
    const third = setup();
    loadCheckpoint(path, { model: third.model, optimizer: third.optimizer, scheduler: third.scheduler });
    await train(third, 6, 3);
    assert.notDeepEqual(values(third.model), values(full.model));
  });

  test('ModelCheckpoint saves after each epoch, and its checkpoints resume exactly', async () => {
    const full = setup();
    await train(full, 6);

    const run = setup();
    const ck = new ModelCheckpoint({
      path: join(dir, 'every', 'ck-{epoch:02d}.safetensors'),
      optimizer: run.optimizer,
      scheduler: run.scheduler,
      generators: { default: defaultGenerator, loader: run.loaderGen },
    });
    await fit(run.model, run.loader as Iterable<[Tensor, Tensor]>, {
      epochs: 4,
      optimizer: run.optimizer,
      lossFn: new nn.CrossEntropyLoss(),
      valData: run.valLoader as Iterable<[Tensor, Tensor]>,
      callbacks: [new SchedulerStep(run.scheduler), ck],
    });
    assert.deepEqual(
      readdirSync(join(dir, 'every')).sort(),
      [1, 2, 3, 4].map((e) => `ck-0${e}.safetensors`),
    );
    assert.equal(ck.lastSaved, join(dir, 'every', 'ck-04.safetensors'));

    const resumed = setup();
    const { epoch, extra } = loadCheckpoint(join(dir, 'every', 'ck-02.safetensors'), {
      model: resumed.model,
      optimizer: resumed.optimizer,
      scheduler: resumed.scheduler,
      generators: { default: defaultGenerator, loader: resumed.loaderGen },
    });
    assert.equal(epoch, 2);
    assert.equal((extra as { monitor: string }).monitor, 'valLoss');
    await train(resumed, 6, epoch);
    assertSameParameters(resumed.model, full.model);
  });

  test('ModelCheckpoint with saveBestOnly writes only on improvement', () => {
    const path = join(dir, 'best.safetensors');
    const model = mlp();
    const ck = new ModelCheckpoint({ path, saveBestOnly: true, monitor: 'valAccuracy', generators: {} });
    assert.equal(ck.mode, 'max');
    const state = { model, epoch: 0, stopTraining: false, history: {} };
    const accs = [0.5, 0.7, 0.6, 0.8, 0.8];
    accs.forEach((a, e) => {
      ck.onEpochEnd(e, { loss: 1, valAccuracy: a }, state);
      assert.equal(readCheckpoint(path).epoch, [1, 2, 2, 4, 4][e]);
    });
    assert.equal(ck.best, 0.8);
    assert.equal(ck.bestEpoch, 3);
    assert.deepEqual((readCheckpoint(path).extra as { best: number }).best, 0.8);
    assertThrowsMatch(
      () => ck.onEpochEnd(5, { loss: 1 }, state),
      Error,
      /^ModelCheckpoint: the monitored value 'valAccuracy' is not logged \(available: loss\)/,
    );
  });
});
