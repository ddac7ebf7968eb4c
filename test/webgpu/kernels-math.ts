/**
 * Kernel conformance, arithmetic part: every kernel of the WebGPU backend against the reference backend on many
 * shapes (broadcasting, size-1 and empty dims, transposes, every reduce axis set, zero and
 * negative strides) and the dtypes each kernel takes. Runs in the page (see harness.ts).
 */
import type { BinaryOp, UnaryOp } from '../../src/backend/backend.js';
import type { DType } from '../../src/index.js';
import { bools, broadcast, check, floats, input, ints, randoms, size } from './harness.js';

const UNARY: UnaryOp[] = [
  'neg',
  'exp',
  'log',
  'log1p',
  'expm1',
  'sqrt',
  'rsqrt',
  'abs',
  'sign',
  'sin',
  'cos',
  'tanh',
  'sigmoid',
  'relu',
  'erf',
  'floor',
  'ceil',
  'round',
  'reciprocal',
  'logicalNot',
  'isnan',
  'isinf',
];
const INT_UNARY: UnaryOp[] = ['neg', 'abs', 'sign', 'relu', 'floor', 'round', 'logicalNot'];
const TO_BOOL = new Set<string>([
  'logicalNot',
  'isnan',
  'isinf',
  'eq',
  'ne',
  'lt',
  'le',
  'gt',
  'ge',
  'logicalAnd',
  'logicalOr',
]);
const BINARY: BinaryOp[] = [
  'add',
  'sub',
  'mul',
  'div',
  'pow',
  'maximum',
  'minimum',
  'eq',
  'ne',
  'lt',
  'le',
  'gt',
  'ge',
  'logicalAnd',
  'logicalOr',
];
const SHAPE_PAIRS: [number[], number[]][] = [
  [
    [2, 3],
    [2, 3],
  ],
  [
    [4, 1, 3],
    [1, 5, 1],
  ],
  [[], [2, 2]],
  [[3, 1], [1]],
  [
    [2, 0, 3],
    [1, 3],
  ],
  [[33, 70], [70]],
  [
    [2, 1, 3, 1, 2],
    [2, 2, 1, 4, 1],
  ],
];
export async function elementwiseSuite(): Promise<void> {
  const x = floats(300, 1);
  for (const op of UNARY) {
    // WGSL bounds transcendental functions' error more loosely than JavaScript does.
    const tol = { atol: 2e-6, rtol: ['sin', 'cos', 'exp', 'expm1', 'erf'].includes(op) ? 1e-5 : 4e-6 };
    const out: DType = TO_BOOL.has(op) ? 'bool' : 'float32';
    await check(`unary ${op} float32`, [x], (b, [s]) => b.unary(op, s, out), tol);
  }
  for (const op of INT_UNARY) {
    await check(`unary ${op} int32`, [ints(50, 2)], (b, [s]) =>
      b.unary(op, s, op === 'logicalNot' ? 'bool' : 'int32'),
    );
  }
  await check('unary exp int32→float32', [ints(50, 3)], (b, [s]) => b.unary('exp', s, 'float32'));
  await check('unary logicalNot bool', [bools(50, 3)], (b, [s]) => b.unary('logicalNot', s, 'bool'));

  for (const op of BINARY) {
    for (const dtype of ['float32', 'int32', 'bool'] as DType[]) {
      if (dtype === 'bool' && !TO_BOOL.has(op)) continue;
      if (dtype === 'int32' && op === 'pow') continue;
      const out = TO_BOOL.has(op) ? 'bool' : dtype;
      for (const [sa, sb] of SHAPE_PAIRS) {
        const outShape = broadcast(sa, sb);
        await check(
          `binary ${op} ${dtype} ${JSON.stringify(sa)}·${JSON.stringify(sb)}`,
          [input(dtype, size(sa), 4), input(dtype, size(sb), 5)],
          (b, [p, q]) => b.binary(op, p, sa, q, sb, outShape, out),
          { rtol: op === 'pow' ? 1e-5 : 1e-6 },
        );
      }
    }
  }
  await check('binary pow int32 (exponents ≥ 0)', [ints(40, 6, -4, 4), ints(40, 7, 0, 6)], (b, [p, q]) =>
    b.binary('pow', p, [40], q, [40], [40], 'int32'),
  );
  await check(
    'binary div int32 (floor, zero divisor)',
    [ints(40, 8, -9, 9), ints(40, 9, -3, 3)],
    (b, [p, q]) => b.binary('div', p, [40], q, [40], [40], 'int32'),
  );

  for (const [sc, sa, sb] of [
    [
      [2, 3],
      [2, 3],
      [2, 3],
    ],
    [[4, 1], [1, 5], []],
    [[3, 1, 2], [1], [4, 1]],
    [[0, 2], [1, 2], [1]],
  ]) {
    const out = broadcast(broadcast(sc, sa), sb);
    for (const dtype of ['float32', 'int32', 'bool'] as DType[]) {
      await check(
        `where ${dtype} ${JSON.stringify([sc, sa, sb])}`,
        [bools(size(sc), 1), input(dtype, size(sa), 2), input(dtype, size(sb), 3)],
        (b, [c, p, q]) => b.where(c, sc, p, sa, q, sb, out),
      );
    }
  }

  for (const dtype of ['float32', 'int32', 'bool'] as DType[]) {
    for (const v of [0, 1.5, -2.75, NaN, Infinity]) {
      await check(`fill ${dtype} ${v}`, [], (b) => b.fill(37, v, dtype));
    }
    for (const to of ['float32', 'int32', 'bool'] as DType[]) {
      await check(`cast ${dtype}→${to}`, [input(dtype, 100, 11)], (b, [s]) => b.cast(s, to));
    }
  }
  await check('fill empty', [], (b) => b.fill(0, 1, 'float32'));
  await check('assign', [randoms(20, 1), randoms(20, 2)], (b, [d, s]) => {
    b.assign(d, s);
    return d;
  });
}
function subsets(n: number): number[][] {
  const out: number[][] = [];
  for (let m = 0; m < 1 << n; m++) out.push([...Array(n).keys()].filter((i) => m & (1 << i)));
  return out;
}

export async function reduceSuite(): Promise<void> {
  for (const shape of [[2, 3, 4], [5, 1, 7], [3, 0, 2], [70, 3, 40], []]) {
    for (const axes of subsets(shape.length)) {
      const n = size(shape);
      for (const op of ['sum', 'prod', 'max', 'min'] as const) {
        const x =
          op === 'prod' ? randoms(n, 3, 0.9, 1.1) : floats(n, 3).map((v) => (Number.isFinite(v) ? v : 0));
        await check(
          `reduce ${op} float32 ${JSON.stringify(shape)} axes ${JSON.stringify(axes)}`,
          [x],
          (b, [s]) => b.reduce(op, s, shape, axes, 'float32'),
          {
            atol: 1e-4,
            rtol: 1e-5,
          },
        );
      }
      await check(
        `reduce sum int32 ${JSON.stringify(shape)} ${JSON.stringify(axes)}`,
        [ints(n, 4)],
        (b, [s]) => b.reduce('sum', s, shape, axes, 'int32'),
      );
      await check(
        `reduce max int32 ${JSON.stringify(shape)} ${JSON.stringify(axes)}`,
        [ints(n, 4)],
        (b, [s]) => b.reduce('max', s, shape, axes, 'int32'),
      );
      await check(
        `reduce sum bool→int32 ${JSON.stringify(shape)} ${JSON.stringify(axes)}`,
        [bools(n, 5)],
        (b, [s]) => b.reduce('sum', s, shape, axes, 'int32'),
      );
      await check(
        `reduce max bool ${JSON.stringify(shape)} ${JSON.stringify(axes)}`,
        [bools(n, 5)],
        (b, [s]) => b.reduce('max', s, shape, axes, 'bool'),
      );
    }
  }
  const nanRow = randoms(300, 9);
  nanRow[5] = NaN;
  nanRow[150] = NaN;
  await check('reduce max with NaN', [nanRow], (b, [s]) => b.reduce('max', s, [3, 100], [1], 'float32'));
  await check('reduce min with NaN, long', [nanRow], (b, [s]) => b.reduce('min', s, [300], [0], 'float32'));

  for (const shape of [
    [4, 5, 6],
    [2, 200],
    [1, 7],
    [3, 0],
  ]) {
    for (let axis = 0; axis < shape.length; axis++) {
      const n = size(shape);
      // Few distinct values, so that ties are common; a NaN in some lines.
      const x = Float32Array.from(ints(n, axis + 1, -3, 3));
      if (n > 10) x[7] = NaN;
      for (const op of ['argmax', 'argmin'] as const) {
        await check(`${op} ${JSON.stringify(shape)} axis ${axis}`, [x], (b, [s]) =>
          b.argReduce(op, s, shape, axis),
        );
        await check(`${op} int32 ${JSON.stringify(shape)} axis ${axis}`, [ints(n, 2)], (b, [s]) =>
          b.argReduce(op, s, shape, axis),
        );
      }
      for (const op of ['sum', 'prod'] as const) {
        const y = op === 'prod' ? randoms(n, 4, 0.8, 1.2) : randoms(n, 4);
        await check(
          `cumulative ${op} ${JSON.stringify(shape)} axis ${axis}`,
          [y],
          (b, [s]) => b.cumulative(op, s, shape, axis),
          { atol: 1e-5 },
        );
        await check(
          `cumulative ${op} int32 ${JSON.stringify(shape)} axis ${axis}`,
          [ints(n, 3, -2, 2)],
          (b, [s]) => b.cumulative(op, s, shape, axis),
        );
      }
      for (const desc of [false, true]) {
        await check(`argsort ${desc ? 'desc' : 'asc'} ${JSON.stringify(shape)} axis ${axis}`, [x], (b, [s]) =>
          b.argsort(s, shape, axis, desc),
        );
        await check(
          `argsort int32 ${desc ? 'desc' : 'asc'} ${JSON.stringify(shape)} axis ${axis}`,
          [ints(n, 5)],
          (b, [s]) => b.argsort(s, shape, axis, desc),
        );
      }
    }
  }
}
