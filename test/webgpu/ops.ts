/**
 * Op-level checks of the WebGPU backend through the public API, in the page: autograd of a small
 * MLP and Adam steps against the reference backend, a training loop that reads its loss
 * asynchronously, flat buffer counts over many steps, and the errors of what WebGPU cannot do.
 */
import type { Tensor } from '../../src/index.js';
import { manualSeed, nn, optim, setBackend, tensor } from '../../src/index.js';
import type { WebGPUBackend } from '../../src/backend/webgpu/index.js';
import { expectThrow, mismatch, record, rings } from './harness.js';

function mlp(): nn.Sequential {
  manualSeed(7);
  return new nn.Sequential(
    new nn.Linear(2, 32),
    new nn.Tanh(),
    new nn.Linear(32, 32),
    new nn.ReLU(),
    new nn.Linear(32, 2),
  );
}

/** Loss and gradients of one forward/backward pass of a fresh MLP on the given backend. */
async function gradsOn(backend: string, x: Float32Array, y: Int32Array): Promise<Float32Array[]> {
  setBackend(backend);
  const model = mlp();
  const loss = nn.functional.crossEntropy(model.forward(tensor(x).reshape([-1, 2])), tensor(y));
  loss.backward();
  const grads = await Promise.all(model.parameters().map((p) => (p.grad as Tensor).data()));
  return [(await loss.data()) as Float32Array, ...(grads as Float32Array[])];
}

/** Parameters after `steps` Adam steps on the given backend. */
async function adamOn(
  backend: string,
  x: Float32Array,
  y: Int32Array,
  steps: number,
  amsgrad: boolean,
): Promise<Float32Array[]> {
  setBackend(backend);
  const model = mlp();
  const opt = new optim.Adam(model.parameters(), { lr: 0.01, weightDecay: 0.01, amsgrad });
  const input = tensor(x).reshape([-1, 2]);
  const target = tensor(y);
  for (let i = 0; i < steps; i++) {
    opt.zeroGrad();
    nn.functional.crossEntropy(model.forward(input), target).backward();
    opt.step();
  }
  return (await Promise.all(model.parameters().map((p) => p.data()))) as Float32Array[];
}

export async function opsSuite(gpu: WebGPUBackend, gc: (() => void) | undefined): Promise<void> {
  const { x, y } = rings(64, 42);

  const ref = await gradsOn('js', x, y);
  const got = await gradsOn('webgpu', x, y);
  const bad = ref.map((r, i) => mismatch(r, got[i], { atol: 1e-4, rtol: 1e-4 })).find((m) => m !== null);
  record('MLP loss and gradients equal the reference (1e-4)', !bad, bad ?? undefined);

  for (const amsgrad of [false, true]) {
    const pr = await adamOn('js', x, y, 5, amsgrad);
    const pg = await adamOn('webgpu', x, y, 5, amsgrad);
    const m = pr.map((r, i) => mismatch(r, pg[i], { atol: 1e-4, rtol: 1e-4 })).find((v) => v !== null);
    record(`5 Adam${amsgrad ? ' (AMSGrad)' : ''} steps equal the reference (1e-4)`, !m, m ?? undefined);
  }

  // Training: the loss is read with itemAsync each step, as a browser app would.
  setBackend('webgpu');
  const model = mlp();
  const opt = new optim.Adam(model.parameters(), { lr: 0.02 });
  const { x: tx, y: ty } = rings(256, 42);
  const input = tensor(tx).reshape([-1, 2]);
  const target = tensor(ty);
  const losses: number[] = [];
  const live: number[] = [];
  const created: number[] = [];
  for (let step = 0; step < 120; step++) {
    opt.zeroGrad();
    const loss = nn.functional.crossEntropy(model.forward(input), target);
    loss.backward();
    opt.step();
    losses.push((await loss.itemAsync()) as number);
    if (step % 40 === 39) {
      // Collect dead tensors, then let the finalizers run (they run between tasks). Three rounds: a
      // storage whose wrapper one round frees may hold the last reference to another (one round
      // left the count high in about one run in six).
      for (let round = 0; round < 3; round++) {
        gc?.();
        await new Promise((ok) => setTimeout(ok, 20));
      }
      live.push(gpu.memoryStats().liveBuffers);
      created.push(gpu.memoryStats().createdBuffers);
    }
  }
  const first = losses[0];
  const last = losses[losses.length - 1];
  record(
    `training: loss falls from ${first.toFixed(3)} to ${last.toFixed(3)} (below 0.15)`,
    last < 0.15 && last < first / 3,
  );
  const logits = await model.forward(input).argmax(1).data();
  const acc = Array.from(logits).filter((p, i) => p === ty[i]).length / ty.length;
  record(`training: accuracy ${acc.toFixed(3)} (at least 0.95)`, acc >= 0.95);
  if (gc) {
    record(
      `memory: live buffers after 40/80/120 steps ${live.join('/')} stay flat`,
      live[2] <= live[0] + 2,
      JSON.stringify(gpu.memoryStats()),
    );
    // Once the pool holds a step's sizes, later steps create few buffers: a step makes ~70 storages,
    // and without reuse 80 steps would create thousands. How few depends on when the collector runs
    // (a loaded machine collects later), so the bound is one per step, not zero.
    record(
      `memory: ${created[2] - created[0]} buffers created in steps 41-120 (pool reuse; at most 80)`,
      created[2] - created[0] <= 80,
    );
  } else {
    record('memory: skipped (the page has no gc(); launch with --js-flags=--expose-gc)', false);
  }

  // Explicit early release: the buffer goes back at once, and the storage cannot be used again.
  const before = gpu.memoryStats().liveBuffers;
  const doomed = tensor([1, 2, 3]);
  gpu.release(doomed.storage);
  record('release frees a buffer at once', gpu.memoryStats().liveBuffers === before);
  await expectThrow('a released storage cannot be read', () => doomed.data(), /released/);

  // What the backend cannot do says so.
  await expectThrow(
    'dataSync names the async reader',
    () => tensor([1, 2]).dataSync(),
    /await tensor\.data\(\)/,
  );
  await expectThrow('item names the async reader', () => tensor([1]).item(), /await tensor\.data\(\)/);
  await expectThrow(
    'float64 tensors are refused, naming the dtype',
    () => tensor([1, 2], { dtype: 'float64' }),
    /float64.*WGSL has no 64-bit floats/,
  );
  await expectThrow(
    'casting to float64 names the op',
    () => tensor([1, 2]).to('float64'),
    /cast does not support dtype float64/,
  );
  const r = tensor([1.5, -2]).to('int32');
  const ok = mismatch(Int32Array.from([1, -2]), (await r.data()) as Int32Array);
  record('to(int32) truncates', ok === null, ok ?? undefined);
  setBackend('js');
}
