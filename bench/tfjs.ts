/** The TensorFlow.js peer (its cpu and wasm backends), in the harness's own process. */
import type * as TF from '@tensorflow/tfjs-core';
import type { CnnSettings, GemmSettings } from './config.js';
import type { GemmRow } from './chainrule.js';
import type { TrainResult, TrainSettings } from './measure.js';
import { secondsPerCall, trainRate } from './measure.js';
import { registerGradients } from './tfjs-grads.js';

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
    const grads = registerGradients(tf);
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

// PyTorch's default init of Linear and Conv2d weights and biases: U(-1/√fan_in, 1/√fan_in).
function pytorchInit(t: typeof TF, shape: number[], fanIn: number): TF.Variable {
  const bound = 1 / Math.sqrt(fanIn);
  return t.variable(t.randomUniform(shape, -bound, bound));
}

/**
 * Adam (lr 1e-3) on 8 fixed synthetic batches of `inputShape` (normal inputs, one-hot random
 * labels), softmax cross-entropy of the logits `forward` computes; disposes everything it made.
 */
function fit(
  t: typeof TF,
  s: TrainSettings,
  inputShape: number[],
  classes: number,
  vars: TF.Variable[],
  forward: (x: TF.Tensor) => TF.Tensor,
): TrainResult {
  const data = Array.from({ length: 8 }, () => {
    const y = t.randomUniform([s.batch], 0, classes, 'int32');
    const onehot = t.oneHot(y as TF.Tensor1D, classes);
    y.dispose();
    return { x: t.randomNormal(inputShape), y: onehot };
  });
  const opt = t.train.adam(1e-3);
  let last: TF.Scalar | null = null;
  try {
    return trainRate(
      s,
      (i) => {
        const { x, y } = data[i % data.length];
        // minimize() tidies the step's intermediates; the cost is kept (unread) as the other engines do.
        const cost = opt.minimize(() => t.losses.softmaxCrossEntropy(y, forward(x)), true, vars);
        last?.dispose();
        last = cost;
      },
      () => (last ? last.dataSync()[0] : NaN),
    );
  } finally {
    (last as TF.Scalar | null)?.dispose();
    for (const v of vars) v.dispose();
    for (const d of data) {
      d.x.dispose();
      d.y.dispose();
    }
    opt.dispose();
  }
}

/** The same MLP as chainrule's: dense layers with ReLU, softmax cross-entropy, Adam. */
export async function train(backend: string, s: TrainSettings): Promise<TrainResult> {
  const t = await use(backend);
  t.randomNormal([1]).dispose();
  const vars: TF.Variable[] = [];
  for (let i = 0; i + 1 < s.sizes.length; i++) {
    vars.push(pytorchInit(t, [s.sizes[i], s.sizes[i + 1]], s.sizes[i]));
    vars.push(pytorchInit(t, [s.sizes[i + 1]], s.sizes[i]));
  }
  return fit(t, s, [s.batch, s.sizes[0]], s.sizes[s.sizes.length - 1], vars, (x) => {
    let h = x;
    for (let i = 0; i < vars.length; i += 2) {
      h = t.add(t.matMul(h, vars[i]), vars[i + 1]);
      if (i + 2 < vars.length) h = t.relu(h);
    }
    return h;
  });
}

/**
 * Why the CNN is not run on a TF.js backend, or null. tfjs-backend-cpu's Conv2DBackpropFilter is a
 * plain loop over a buffer (153 s for the second convolution's filter gradient alone, measured on the
 * 2-core dev machine): a single step takes minutes, so the column says so instead of stalling the run.
 */
export function cnnSkipped(backend: string): string | null {
  return backend === 'cpu'
    ? 'skipped: tfjs-backend-cpu 4.22 Conv2DBackpropFilter takes minutes per call at this size (one step > 2 min)'
    : null;
}

/**
 * The same CNN as chainrule's, in TF.js's native NHWC layout: 'same' padding is padding 1 for a
 * 3×3 kernel at stride 1. tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter kernel, so its
 * column fails with TF.js's own error (as a user's training would).
 */
export async function trainCnn(backend: string, s: CnnSettings): Promise<TrainResult> {
  const t = await use(backend);
  const [cin, c1, c2, hidden, classes] = s.sizes;
  const flat = c2 * Math.floor(Math.floor(s.image / 2) / 2) ** 2;
  const vars = [
    pytorchInit(t, [3, 3, cin, c1], cin * 9),
    pytorchInit(t, [c1], cin * 9),
    pytorchInit(t, [3, 3, c1, c2], c1 * 9),
    pytorchInit(t, [c2], c1 * 9),
    pytorchInit(t, [flat, hidden], flat),
    pytorchInit(t, [hidden], flat),
    pytorchInit(t, [hidden, classes], hidden),
    pytorchInit(t, [classes], hidden),
  ];
  const [w1, b1, w2, b2, w3, b3, w4, b4] = vars;
  const block = (x: TF.Tensor, w: TF.Variable, b: TF.Variable): TF.Tensor4D =>
    t.maxPool(
      t.relu(t.add(t.conv2d(x as TF.Tensor4D, w as TF.Tensor4D, 1, 'same'), b)) as TF.Tensor4D,
      2,
      2,
      'valid',
    );
  return fit(t, s, [s.batch, s.image, s.image, cin], classes, vars, (x) => {
    const h = t.reshape(block(block(x, w1, b1), w2, b2), [s.batch, flat]);
    return t.add(t.matMul(t.relu(t.add(t.matMul(h, w3), b3)), w4), b4);
  });
}
