/**
 * Resizing NCHW images (PyTorch's F.interpolate, behind nn.Upsample). Nearest picks source rows and
 * columns (indexSelect, whose backward adds the gradient back); bilinear multiplies by two small
 * interpolation matrices, one per axis, so its gradient is a product too.
 */
import { IndexError, ShapeError, fmtShape } from '../tensor/errors.js';
import { Tensor } from '../tensor/tensor.js';
import { checkFloatInput, constantLike } from './conv-args.js';
import { indexSelect } from './gather.js';
import { mm } from './matmul.js';
import { squeeze, transpose, unsqueeze } from './shape.js';

export type InterpolateMode = 'nearest' | 'linear' | 'bilinear';

/** Source position scale for output index → input index (PyTorch's area_pixel_compute_scale). */
function scaleOf(inSize: number, outSize: number, factor: number | null, alignCorners: boolean): number {
  if (alignCorners) return outSize > 1 ? (inSize - 1) / (outSize - 1) : 0;
  return factor !== null ? 1 / factor : inSize / outSize;
}

function nearestIndex(inSize: number, outSize: number, factor: number | null): Int32Array {
  const scale = Math.fround(factor !== null ? 1 / factor : inSize / outSize);
  return Int32Array.from({ length: outSize }, (_, i) =>
    Math.min(Math.floor(Math.fround(i * scale)), inSize - 1),
  );
}

/** The [out, in] matrix of linear interpolation weights along one axis. */
function linearWeights(
  inSize: number,
  outSize: number,
  factor: number | null,
  alignCorners: boolean,
): Float64Array {
  const scale = scaleOf(inSize, outSize, factor, alignCorners);
  const m = new Float64Array(outSize * inSize);
  for (let i = 0; i < outSize; i++) {
    const src = alignCorners ? i * scale : Math.max(scale * (i + 0.5) - 0.5, 0);
    const i0 = Math.min(Math.floor(src), inSize - 1);
    const i1 = i0 < inSize - 1 ? i0 + 1 : i0;
    const l1 = src - i0;
    m[i * inSize + i0] += 1 - l1;
    m[i * inSize + i1] += l1;
  }
  return m;
}

/**
 * Resizes [N, C, H, W] (nearest, bilinear) or [N, C, L] (nearest, linear) inputs to `size`, or by
 * `scaleFactor` (output ⌊in·factor⌋). alignCorners (linear modes only) maps the corner pixels onto
 * each other instead of the pixel areas; PyTorch's default is false.
 */
export function interpolate(
  input: Tensor,
  size: number | readonly number[] | null = null,
  scaleFactor: number | readonly number[] | null = null,
  mode: InterpolateMode = 'nearest',
  alignCorners: boolean | null = null,
): Tensor {
  const op = 'interpolate';
  checkFloatInput(op, input, [3, 4], '[N, C, L] or [N, C, H, W]');
  const dims = input.ndim - 2;
  if (!['nearest', 'linear', 'bilinear'].includes(mode)) {
    throw new IndexError(`${op}: unknown mode '${String(mode)}' (expected nearest, linear or bilinear)`);
  }
  if ((mode === 'linear' && dims !== 1) || (mode === 'bilinear' && dims !== 2)) {
    throw new ShapeError(
      `${op}: mode '${mode}' expects a ${mode === 'linear' ? 3 : 4}-D input, got shape ${fmtShape(input.shape)}`,
    );
  }
  if (mode === 'nearest' && alignCorners !== null) {
    throw new IndexError(`${op}: alignCorners only has an effect with the linear modes, not '${mode}'`);
  }
  if ((size === null) === (scaleFactor === null)) {
    throw new IndexError(
      `${op}: give exactly one of size and scaleFactor (input ${fmtShape(input.shape)}, size ${JSON.stringify(size)}, ` +
        `scaleFactor ${JSON.stringify(scaleFactor)})`,
    );
  }
  const inSizes = input.shape.slice(2);
  const list = (v: number | readonly number[], what: string): number[] => {
    const l = typeof v === 'number' ? inSizes.map(() => v) : [...v];
    if (l.length !== dims || l.some((x) => !(x > 0))) {
      throw new ShapeError(
        `${op}: ${what} must be positive, one per spatial dim of ${fmtShape(input.shape)}, got ${JSON.stringify(v)}`,
      );
    }
    return l;
  };
  const factors = scaleFactor === null ? null : list(scaleFactor, 'scaleFactor');
  const outSizes = size !== null ? list(size, 'size') : inSizes.map((n, i) => Math.floor(n * factors![i]));
  if (outSizes.some((s) => !Number.isInteger(s) || s < 1)) {
    throw new ShapeError(
      `${op}: output size ${fmtShape(outSizes)} is empty or not integral (input ${fmtShape(input.shape)})`,
    );
  }
  let x = dims === 1 ? unsqueeze(input, 2) : input;
  const ins = dims === 1 ? [1, inSizes[0]] : inSizes;
  const outs = dims === 1 ? [1, outSizes[0]] : outSizes;
  const fs = factors === null ? [null, null] : dims === 1 ? [null, factors[0]] : factors;
  if (mode === 'nearest') {
    for (const axis of [0, 1]) {
      if (ins[axis] !== outs[axis] || fs[axis] !== null) {
        x = indexSelect(
          x,
          2 + axis,
          constantLike(x, nearestIndex(ins[axis], outs[axis], fs[axis]), [outs[axis]]),
        );
      }
    }
  } else {
    const ac = alignCorners ?? false;
    const ww = constantLike(x, linearWeights(ins[1], outs[1], fs[1], ac), [outs[1], ins[1]]);
    x = mm(x, ww, false, true);
    if (dims === 2) {
      const wh = constantLike(x, linearWeights(ins[0], outs[0], fs[0], ac), [outs[0], ins[0]]);
      x = transpose(mm(transpose(x, -1, -2), wh, false, true), -1, -2);
    }
  }
  return dims === 1 ? squeeze(x, 2) : x;
}
