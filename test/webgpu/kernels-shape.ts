/**
 * Kernel conformance, products and layout part: every kernel of the WebGPU backend against the reference backend on many
 * shapes (broadcasting, size-1 and empty dims, transposes, every reduce axis set, zero and
 * negative strides) and the dtypes each kernel takes. Runs in the page (see harness.ts).
 */
import type { DType, Storage } from '../../src/index.js';
import * as L from '../../src/index.js';
import type { Backend } from '../../src/index.js';
import { broadcast, check, expectThrow, input, ints, mismatch, randoms, record, size } from './harness.js';

export async function matmulSuite(): Promise<void> {
  const cases: [number[], number[]][] = [
    [
      [3, 4],
      [4, 5],
    ],
    [
      [1, 1],
      [1, 1],
    ],
    [
      [17, 33],
      [33, 9],
    ],
    [
      [65, 130],
      [130, 70],
    ],
    // Past the direct kernel's size: the tiled one, with partial edge tiles.
    [
      [130, 200],
      [200, 90],
    ],
    [
      [2, 100, 120],
      [120, 100],
    ],
    // Over 4M outputs: the 128-wide tiles.
    [
      [64, 256, 5],
      [5, 259],
    ],
    [
      [2, 3, 7],
      [7, 4],
    ],
    [
      [4, 1, 5, 6],
      [3, 6, 2],
    ],
    [
      [3, 0],
      [0, 4],
    ],
    [
      [0, 3],
      [3, 2],
    ],
  ];
  for (const [sa, sb] of cases) {
    for (const ta of [false, true]) {
      for (const tb of [false, true]) {
        // The large case is slow on a CPU adapter: one combination (the loaders are the same
        // templates as the 64-wide tiles', which the cases above check in every combination).
        if (sa[0] === 64 && (ta || !tb)) continue;
        const a = [...sa];
        const b = [...sb];
        const r = a.length;
        const q = b.length;
        if (ta) [a[r - 2], a[r - 1]] = [a[r - 1], a[r - 2]];
        if (tb) [b[q - 2], b[q - 1]] = [b[q - 1], b[q - 2]];
        const batch = broadcast(sa.slice(0, -2), sb.slice(0, -2));
        const out = [...batch, sa[r - 2], sb[q - 1]];
        await check(
          `matmul ${JSON.stringify(a)}${ta ? 'ᵀ' : ''}·${JSON.stringify(b)}${tb ? 'ᵀ' : ''}`,
          [randoms(size(a), 1), randoms(size(b), 2)],
          (be, [x, y]) => be.matmul(x, a, y, b, ta, tb, out),
          { atol: 1e-5, rtol: 1e-4 },
        );
      }
    }
  }
  await check('matmul int32', [ints(12, 1), ints(20, 2)], (b, [x, y]) =>
    b.matmul(x, [3, 4], y, [4, 5], false, false, [3, 5]),
  );
}

export async function layoutSuite(gpu: Backend): Promise<void> {
  const base = randoms(60, 1);
  const strided: [number[], number[], number][] = [
    [[3, 4], [4, 1], 0],
    [[4, 3], [1, 4], 0],
    [[2, 3, 2], [0, 5, -1], 20],
    [[5], [-3], 40],
    [[2, 2, 3, 3], [30, 1, 8, 1], 2],
    [[0, 3], [3, 1], 0],
    [[], [], 7],
  ];
  for (const [shape, strides, offset] of strided) {
    const tag = `${JSON.stringify(shape)} strides ${JSON.stringify(strides)} offset ${offset}`;
    await check(`asStrided ${tag}`, [base], (b, [s]) => b.asStrided(s, shape, strides, offset));
    await check(`asStrided int32 ${tag}`, [ints(60, 2)], (b, [s]) => b.asStrided(s, shape, strides, offset));
    await check(
      `asStridedScatter ${tag}`,
      [randoms(size(shape), 3)],
      (b, [s]) => b.asStridedScatter(s, shape, strides, offset, 60),
      { atol: 1e-6 },
    );
    await check(`asStridedScatter int32 ${tag}`, [ints(size(shape), 4)], (b, [s]) =>
      b.asStridedScatter(s, shape, strides, offset, 60),
    );
  }
  for (const [shapes, axis] of [
    [
      [
        [2, 3],
        [2, 5],
      ],
      1,
    ],
    [
      [
        [2, 3],
        [4, 3],
        [0, 3],
      ],
      0,
    ],
    [
      [
        [2, 1, 4],
        [2, 3, 4],
      ],
      1,
    ],
  ] as [number[][], number][]) {
    const out = [...shapes[0]];
    out[axis] = shapes.reduce((a, s) => a + s[axis], 0);
    for (const dtype of ['float32', 'int32', 'bool'] as DType[]) {
      await check(
        `concat ${dtype} ${JSON.stringify(shapes)} axis ${axis}`,
        shapes.map((s, i) => input(dtype, size(s), i + 1)),
        (b, xs) => b.concat(xs, shapes, axis, out),
      );
    }
  }
  for (const [xShape, iShape] of [
    [
      [5, 4],
      [3, 4],
    ],
    [
      [3, 4, 2],
      [3, 2, 2],
    ],
    [[7], [12]],
  ]) {
    for (let axis = 0; axis < xShape.length; axis++) {
      const idx = Int32Array.from(randoms(size(iShape), axis + 3, 0, xShape[axis]), Math.floor);
      const tag = `${JSON.stringify(xShape)} index ${JSON.stringify(iShape)} axis ${axis}`;
      await check(`gather ${tag}`, [randoms(size(xShape), 1), idx], (b, [x, i]) =>
        b.gather(x, xShape, axis, i, iShape),
      );
      const scatter = (b: Parameters<Parameters<typeof check>[2]>[0], [x, i, s]: Storage[]) =>
        b.scatterAdd(x, xShape, axis, i, iShape, s, iShape);
      await check(`scatterAdd ${tag}`, [randoms(size(xShape), 1), idx, randoms(size(iShape), 2)], scatter, {
        atol: 1e-6,
      });
      await check(`scatterAdd int32 ${tag}`, [ints(size(xShape), 1), idx, ints(size(iShape), 2)], scatter);
    }
  }
  // A bad index is found on the device and thrown at the next read, with the reference's words;
  // the read after that one is clean again.
  const x = gpu.upload(randoms(6, 1));
  const bad = gpu.upload(Int32Array.from([0, 5, 1]));
  await expectThrow(
    'gather: a bad index throws at the read',
    () => gpu.read(gpu.gather(x, [2, 3], 1, bad, [1, 3])),
    /^gather: index 5 is out of range for dim 1 of size 3 \(shape \[2,3\]\) \(found by the device/,
  );
  const ok = gpu.gather(x, [2, 3], 1, gpu.upload(Int32Array.from([2, 0])), [1, 2]);
  record('gather: the next read is clean', (await gpu.read(ok)).length === 2);
  gpu.scatterAdd(x, [6], 0, gpu.upload(Int32Array.from([-1])), [1], x, [6]);
  await expectThrow(
    'scatterAdd: a bad index throws at the next read of anything',
    () => gpu.read(ok),
    /^scatterAdd: index -1 is out of range for dim 0 of size 6 \(shape \[6\]\)/,
  );
}

/**
 * The convolution kernels, against the reference backend's composed convolution (im2col and a
 * product) and its autograd: the reference has no convolution kernels of its own.
 */
export async function convSuite(gpu: Backend): Promise<void> {
  const cases: [number[], number[], number[], number[], number[], number][] = [
    // x shape, w shape, stride, padding, dilation, groups
    [[2, 3, 7, 6], [4, 3, 3, 2], [1, 1], [0, 0], [1, 1], 1],
    [[1, 4, 9, 8], [6, 2, 3, 3], [2, 1], [1, 2], [1, 2], 2],
    [[2, 2, 5, 5], [2, 1, 2, 2], [2, 2], [1, 1], [2, 1], 2],
    // A long ∂w sum (over N·OH·OW ≥ 1024): the workgroup-per-weight kernel.
    [[4, 1, 18, 18], [2, 1, 3, 3], [1, 1], [1, 1], [1, 1], 1],
  ];
  for (const [xs, ws, s, p, d, groups] of cases) {
    const tag = JSON.stringify({ xs, ws, s, p, d, groups });
    const xv = randoms(size(xs), 1);
    const wv = randoms(size(ws), 2);
    L.setBackend('js');
    const x = L.tensor(xv, { shape: xs }).requiresGrad_();
    const w = L.tensor(wv, { shape: ws }).requiresGrad_();
    const y = L.nn.functional.conv2d(x, w, null, s, p, d, groups);
    const gv = randoms(y.numel(), 3);
    L.sum(L.mul(y, L.tensor(gv, { shape: [...y.shape] }))).backward();
    const geom = { s, p, d, groups, out: y.shape.slice(2) };
    const gs = gpu.upload(gv);
    const outs = [
      gpu.conv2d!(gpu.upload(xv), xs, gpu.upload(wv), ws, geom)!,
      gpu.conv2dBackwardInput!(gs, gpu.upload(wv), xs, ws, geom)!,
      gpu.conv2dBackwardWeight!(gs, gpu.upload(xv), xs, ws, geom)!,
    ];
    const refs = [y, x.grad!, w.grad!].map((t) => t.dataSync());
    const names = ['conv2d', 'conv2d backward input', 'conv2d backward weight'];
    for (let i = 0; i < 3; i++) {
      const m = mismatch(refs[i], await gpu.read(outs[i]), { atol: 1e-5, rtol: 1e-5 });
      record(`${names[i]} ${tag}`, m === null, m ?? undefined);
    }
  }
}

export async function nnSuite(): Promise<void> {
  for (const [shape, k, s, p, d] of [
    [
      [2, 3, 8, 8],
      [2, 2],
      [2, 2],
      [0, 0],
      [1, 1],
    ],
    [
      [1, 2, 7, 9],
      [3, 3],
      [2, 1],
      [1, 1],
      [1, 1],
    ],
    [
      [1, 1, 9, 9],
      [3, 2],
      [1, 2],
      [1, 0],
      [2, 3],
    ],
  ]) {
    const out = [0, 1].map((i) => Math.floor((shape[i + 2] + 2 * p[i] - d[i] * (k[i] - 1) - 1) / s[i]) + 1);
    const x = Float32Array.from(ints(size(shape), 1, -4, 4));
    x[3] = NaN;
    await check(`maxPool2d ${JSON.stringify([shape, k, s, p, d])}`, [x], (b, [xs]) =>
      b.maxPool2d(xs, shape, { k, s, p, d, out }),
    );
  }
  const n = 1000;
  for (const [decoupled, maximize, weightDecay, ams] of [
    [false, false, 0, false],
    [false, false, 0.1, false],
    [true, true, 0.1, true],
  ] as [boolean, boolean, number, boolean][]) {
    const hyper = {
      lr: 0.01,
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      weightDecay,
      decoupled,
      maximize,
      step: 3,
    };
    const inputs = [
      randoms(n, 1),
      randoms(n, 2),
      randoms(n, 3, -0.1, 0.1),
      randoms(n, 4, 0, 0.01),
      randoms(n, 5, 0, 0.01),
    ];
    await check(
      `adamStep ${JSON.stringify({ decoupled, maximize, weightDecay, ams })}`,
      inputs,
      (b, [p, g, m, v, vmax]) => {
        b.adamStep!(p, g, m, v, hyper, ams ? vmax : null);
        return ams ? [p, m, v, vmax] : [p, m, v];
      },
      { atol: 1e-6, rtol: 1e-5 },
    );
  }
  for (const shape of [
    [8, 3],
    [4, 5, 6, 7],
    [2, 300, 3],
  ]) {
    const C = shape[1];
    // A large mean against a small spread: the stats must not cancel.
    const x = randoms(size(shape), 1).map((v) => 100 + v);
    await check(`batchNormStats ${JSON.stringify(shape)}`, [x], (b, [xs]) => b.batchNormStats!(xs, shape), {
      atol: 1e-4,
      rtol: 1e-4,
    });
    const params = [randoms(C, 2), randoms(C, 3), randoms(C, 4)];
    await check(
      `batchNormApply ${JSON.stringify(shape)}`,
      [x, ...params],
      (b, [xs, k, sh, c]) => b.batchNormApply!(xs, shape, k, sh, c),
      { atol: 1e-4 },
    );
    await check(
      `batchNormApply no center ${JSON.stringify(shape)}`,
      [x, ...params],
      (b, [xs, k, sh]) => b.batchNormApply!(xs, shape, k, sh, null),
      { atol: 1e-4 },
    );
    const g = randoms(size(shape), 5);
    const invstd = randoms(C, 6, 0.5, 2);
    const mean = randoms(C, 7).map((v) => 100 + v);
    for (const weighted of [true, false]) {
      await check(
        `batchNormBackward ${weighted ? 'weighted ' : ''}${JSON.stringify(shape)}`,
        [g, x, mean, invstd, randoms(C, 8)],
        (b, [gs, xs, m, r, w]) => b.batchNormBackward!(gs, xs, shape, m, r, weighted ? w : null),
        { atol: 1e-4, rtol: 1e-4 },
      );
    }
  }
}
