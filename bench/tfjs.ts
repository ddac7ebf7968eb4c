/** The TensorFlow.js peer (its cpu and wasm backends), in the harness's own process. */
import type * as TF from '@tensorflow/tfjs-core';
import type { GemmSettings } from './config.js';
import type { GemmRow } from './chainrule.js';
import type { TrainResult, TrainSettings } from './measure.js';
import { secondsPerCall, trainRate } from './measure.js';
import { registerMlpGradients } from './tfjs-grads.js';

export interface TfjsInfo {
  version: string;
  backends: string[];
  notes: string[];
}

let tf: typeof TF | null = null;

/** Loads tfjs-core with both backends; null (and why) when the dev dependencies are missing. */
export async function loadTfjs(): Promise<TfjsInfo | { error: string }> {
  try {
    tf = await import('@tensorflow/tfjs-core');
    await import('@tensorflow/tfjs-backend-cpu');
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // Production mode: no debug checks, and its "install tfjs-node" banner stays out of the table.
    tf.env().set('PROD', true);
    const notes: string[] = [];
    const grads = registerMlpGradients(tf);
    if (grads.length > 0)
      notes.push(`tfjs: gradients of ${grads.join(', ')} registered by the harness (as TF.js defines them)`);
    const backends: string[] = [];
    for (const b of ['cpu', 'wasm']) {
      if (await tf.setBackend(b)) backends.push(b);
      else notes.push(`tfjs ${b}: backend failed to initialize`);
    }
    if (backends.includes('wasm')) {
      const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
      notes.push(
        `tfjs wasm: SIMD ${simd ? 'on' : 'off'}, ${wasm.getThreadsCount()} thread ` +
          '(its multi-threaded build is disabled in Node)',
      );
    }
    return { version: tf.version_core, backends, notes };
  } catch (e) {
    return { error: `TensorFlow.js not available (${(e as Error).message.split('\n')[0]})` };
  }
}

async function use(backend: string): Promise<typeof TF> {
  if (!tf) throw new Error('tfjs: loadTfjs() first');
  await tf.setBackend(backend);
  await tf.ready();
  return tf;
}

export async function gemm(backend: string, s: GemmSettings): Promise<GemmRow[]> {
  const t = await use(backend);
  const rows: GemmRow[] = [];
  for (const n of s.sizes) {
    const a = t.randomNormal([n, n]);
    const b = t.randomNormal([n, n]);
    for (const c of s.cases) {
      const ta = c[0] === 't';
      const tb = c[1] === 't';
      // Both backends run kernels synchronously; disposing each product keeps memory level.
      const sec = secondsPerCall(() => t.matMul(a, b, ta, tb).dispose(), s.minTime);
      rows.push({ n, case: c, gflops: (2 * n ** 3) / sec / 1e9 });
    }
    a.dispose();
    b.dispose();
  }
  return rows;
}

/** The same MLP as chainrule's: dense layers with ReLU, softmax cross-entropy, Adam. */
export async function train(backend: string, s: TrainSettings): Promise<TrainResult> {
  const t = await use(backend);
  t.randomNormal([1]).dispose();
  const vars: TF.Variable[] = [];
  for (let i = 0; i + 1 < s.sizes.length; i++) {
    // PyTorch's default init range U(-1/√in, 1/√in).
    const bound = 1 / Math.sqrt(s.sizes[i]);
    vars.push(t.variable(t.randomUniform([s.sizes[i], s.sizes[i + 1]], -bound, bound)));
    vars.push(t.variable(t.randomUniform([s.sizes[i + 1]], -bound, bound)));
  }
  const classes = s.sizes[s.sizes.length - 1];
  const data = Array.from({ length: 8 }, () => {
    const y = t.randomUniform([s.batch], 0, classes, 'int32');
    const onehot = t.oneHot(y as TF.Tensor1D, classes);
    y.dispose();
    return { x: t.randomNormal([s.batch, s.sizes[0]]), y: onehot };
  });
  const opt = t.train.adam(1e-3);
  const forwardLoss = (x: TF.Tensor, y: TF.Tensor): TF.Scalar => {
    let h = x;
    for (let i = 0; i < vars.length; i += 2) {
      h = t.add(t.matMul(h, vars[i]), vars[i + 1]);
      if (i + 2 < vars.length) h = t.relu(h);
    }
    return t.losses.softmaxCrossEntropy(y, h);
  };
  let last: TF.Scalar | null = null;
  const res = trainRate(
    s,
    (i) => {
      const { x, y } = data[i % data.length];
      // minimize() tidies the step's intermediates; the cost is kept (unread) as the other engines do.
      const cost = opt.minimize(() => forwardLoss(x, y), true, vars);
      last?.dispose();
      last = cost;
    },
    () => (last ? last.dataSync()[0] : NaN),
  );
  (last as TF.Scalar | null)?.dispose();
  for (const v of vars) v.dispose();
  for (const d of data) {
    d.x.dispose();
    d.y.dispose();
  }
  opt.dispose();
  return res;
}
