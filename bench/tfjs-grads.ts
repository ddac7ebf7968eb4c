/**
 * Gradients for the kernels of the TF.js MLP and CNN. tfjs-core's Node bundle registers no gradients (the
 * umbrella @tensorflow/tfjs package does, from tfjs-core's ES sources, which Node cannot load on
 * their own), so the harness registers the ones it needs, with the same formulas as TF.js's own
 * gradient configs: the backward pass runs the same kernels (transposed products included) as it
 * would under @tensorflow/tfjs. Kernels that already have a gradient are left alone.
 */
import type * as TF from '@tensorflow/tfjs-core';

type Attrs = Record<string, unknown>;

export function registerGradients(tf: typeof TF): string[] {
  const { getReductionAxes, assertAndGetBroadcastShape } = tf.broadcast_util;
  // dy summed over the broadcast axes of an operand of the given shape (TF.js's reduction rule).
  const reduceTo = (dy: TF.Tensor, shape: number[], outShape: number[]): TF.Tensor => {
    const axes = getReductionAxes(shape, outShape);
    return tf.reshape(axes.length > 0 ? tf.sum(dy, axes) : dy, shape);
  };
  // The backprop ops are not exported by tfjs-core, so their kernels are called as its ops call them.
  const run = (kernel: string, inputs: TF.NamedTensorMap, attrs: Attrs): TF.Tensor =>
    tf.engine().runKernel(kernel, inputs, attrs as TF.NamedAttrMap);
  const configs: TF.GradConfig[] = [
    {
      kernelName: 'BatchMatMul',
      inputsToSave: ['a', 'b'],
      gradFunc: (dy, saved, attrs) => {
        const [a, b] = saved;
        const { transposeA, transposeB } = attrs as Attrs as { transposeA: boolean; transposeB: boolean };
        const d = dy as TF.Tensor;
        if (!transposeA && !transposeB) {
          return { a: () => tf.matMul(d, b, false, true), b: () => tf.matMul(a, d, true, false) };
        }
        if (!transposeA && transposeB) {
          return { a: () => tf.matMul(d, b, false, false), b: () => tf.matMul(d, a, true, false) };
        }
        if (transposeA && !transposeB) {
          return { a: () => tf.matMul(b, d, false, true), b: () => tf.matMul(a, d, false, false) };
        }
        return { a: () => tf.matMul(b, d, true, true), b: () => tf.matMul(d, a, true, true) };
      },
    },
    {
      kernelName: 'Add',
      inputsToSave: ['a', 'b'],
      gradFunc: (dy, saved) => {
        const [a, b] = saved;
        const out = assertAndGetBroadcastShape(a.shape, b.shape);
        const d = dy as TF.Tensor;
        return { a: () => reduceTo(d, a.shape, out), b: () => reduceTo(d, b.shape, out) };
      },
    },
    {
      kernelName: 'RealDiv',
      inputsToSave: ['a', 'b'],
      gradFunc: (dy, saved) => {
        const [a, b] = saved;
        const out = assertAndGetBroadcastShape(a.shape, b.shape);
        const d = dy as TF.Tensor;
        return {
          a: () => reduceTo(tf.div(d, tf.cast(b, 'float32')), a.shape, out),
          b: () => reduceTo(tf.neg(tf.div(tf.mul(d, tf.cast(a, 'float32')), tf.square(b))), b.shape, out),
        };
      },
    },
    {
      kernelName: 'Relu',
      inputsToSave: ['x'],
      gradFunc: (dy, saved) => {
        const [x] = saved;
        return { x: () => tf.mul(dy as TF.Tensor, tf.cast(tf.step(x), 'float32')) };
      },
    },
    {
      kernelName: 'Sum',
      inputsToSave: ['x'],
      gradFunc: (dy, saved, attrs) => {
        const [x] = saved;
        const shape = x.shape.slice();
        const axes = tf.util.parseAxisParam((attrs as Attrs).axis as number | number[], x.shape);
        for (const ax of axes) shape[ax] = 1;
        return { x: () => tf.mul(tf.reshape(dy as TF.Tensor, shape), tf.ones(x.shape, 'float32')) };
      },
    },
    {
      kernelName: 'Conv2D',
      inputsToSave: ['x', 'filter'],
      gradFunc: (dy, saved, attrs) => {
        const [x, filter] = saved;
        const { strides, pad, dataFormat, dimRoundingMode } = attrs as Attrs;
        const common = { strides, pad, dataFormat, dimRoundingMode };
        const d = dy as TF.Tensor;
        return {
          x: () => run('Conv2DBackpropInput', { dy: d, filter }, { ...common, inputShape: x.shape }),
          filter: () => run('Conv2DBackpropFilter', { x, dy: d }, { ...common, filterShape: filter.shape }),
        };
      },
    },
    {
      kernelName: 'MaxPool',
      inputsToSave: ['x'],
      outputsToSave: [true],
      gradFunc: (dy, saved, attrs) => {
        const [x, y] = saved;
        const { filterSize, strides, pad, dimRoundingMode } = attrs as Attrs;
        const a = { filterSize, strides, pad, dimRoundingMode };
        return { x: () => run('MaxPoolGrad', { dy: dy as TF.Tensor, input: x, output: y }, a) };
      },
    },
    {
      kernelName: 'Reshape',
      inputsToSave: ['x'],
      gradFunc: (dy, saved) => ({ x: () => tf.reshape(dy as TF.Tensor, saved[0].shape) }),
    },
  ];
  const added: string[] = [];
  for (const c of configs) {
    if (tf.getGradient(c.kernelName)) continue;
    tf.registerGradient(c);
    added.push(c.kernelName);
  }
  return added;
}
