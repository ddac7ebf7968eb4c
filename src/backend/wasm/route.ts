import type { Shape } from '../../tensor/shape.js';
import { broadcastStrides } from '../js/elementwise.js';
import { coalesce } from '../js/layout.js';
import { sizeOf } from '../../tensor/shape.js';

/**
 * How an elementwise op over broadcast operands maps onto the kernel's 2-D form
 * out[r·cols + c] = a[r·aRow + c·aCol] OP b[r·bRow + c·bCol], repeated over `outer` blocks whose
 * element offsets are given. Strides are in elements.
 */
export interface BinaryPlan {
  rows: number;
  cols: number;
  aRow: number;
  aCol: number;
  bRow: number;
  bCol: number;
  /** Offsets of each block in a, b and out (one block [0, 0, 0] when the 2-D form covers it all). */
  blocks: [number, number, number][];
}

interface Group {
  size: number;
  a: number;
  b: number;
}

/** Kernel calls per element above which looping over blocks costs more than the JS loop. */
const MIN_BLOCK = 32;

/**
 * Merges the dims of a broadcast into as few as possible: size-1 dims vanish, and neighbours merge
 * when both operands step through them as through one dim. Null when more than a few blocks remain.
 */
export function planBinary(aShape: Shape, bShape: Shape, outShape: Shape): BinaryPlan | null {
  const sa = broadcastStrides(aShape, outShape);
  const sb = broadcastStrides(bShape, outShape);
  const groups: Group[] = []; // innermost first
  for (let d = outShape.length - 1; d >= 0; d--) {
    const size = outShape[d];
    if (size === 1) continue;
    const g = groups[groups.length - 1];
    if (g && sa[d] === g.a * g.size && sb[d] === g.b * g.size) g.size *= size;
    else groups.push({ size, a: sa[d], b: sb[d] });
  }
  const inner = groups[0] ?? { size: 1, a: 0, b: 0 };
  const row = groups[1] ?? { size: 1, a: 0, b: 0 };
  const plan: BinaryPlan = {
    rows: row.size,
    cols: inner.size,
    aRow: row.a,
    aCol: inner.a,
    bRow: row.b,
    bCol: inner.b,
    blocks: [[0, 0, 0]],
  };
  const outer = groups.slice(2).reverse();
  if (outer.length === 0) return plan;
  const count = outer.reduce((n, g) => n * g.size, 1);
  if (plan.rows * plan.cols < MIN_BLOCK) return null;
  plan.blocks = [];
  const blockSize = plan.rows * plan.cols;
  const idx = new Array<number>(outer.length).fill(0);
  for (let i = 0; i < count; i++) {
    let a = 0;
    let b = 0;
    for (let k = 0; k < outer.length; k++) {
      a += idx[k] * outer[k].a;
      b += idx[k] * outer[k].b;
    }
    plan.blocks.push([a, b, i * blockSize]);
    for (let k = outer.length - 1; k >= 0; k--) {
      if (++idx[k] < outer[k].size) break;
      idx[k] = 0;
    }
  }
  return plan;
}

/**
 * How a reduction maps onto the kernels: 'rows' reduces the trailing `cols` of each of `rows` rows,
 * 'cols' reduces the leading `rows` of each of `cols` columns, both repeated over `outer` blocks;
 * 'copy' means nothing of size > 1 is reduced.
 */
export interface ReducePlan {
  /** 'rowsThenCols': reduce the trailing `cols` of outer × rows rows, then the leading `outer` of that. */
  kind: 'rows' | 'cols' | 'copy' | 'rowsThenCols';
  outer: number;
  rows: number;
  cols: number;
}

/** Null for patterns the kernels do not cover (interleaved reduced and kept dims, empty tensors). */
export function planReduce(shape: Shape, axes: readonly number[]): ReducePlan | null {
  const groups: { size: number; reduced: boolean }[] = []; // outermost first
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 0) return null;
    if (shape[d] === 1) continue;
    const reduced = axes.includes(d);
    const g = groups[groups.length - 1];
    if (g && g.reduced === reduced) g.size *= shape[d];
    else groups.push({ size: shape[d], reduced });
  }
  const pattern = groups.map((g) => (g.reduced ? 'R' : 'K')).join('');
  const s = groups.map((g) => g.size);
  switch (pattern) {
    case '':
      return { kind: 'copy', outer: 1, rows: 1, cols: 1 };
    case 'K':
      return { kind: 'copy', outer: 1, rows: 1, cols: s[0] };
    case 'R':
      return { kind: 'rows', outer: 1, rows: 1, cols: s[0] };
    case 'KR':
      return { kind: 'rows', outer: 1, rows: s[0], cols: s[1] };
    case 'RK':
      return { kind: 'cols', outer: 1, rows: s[0], cols: s[1] };
    case 'KRK':
      return s[1] * s[2] >= MIN_BLOCK ? { kind: 'cols', outer: s[0], rows: s[1], cols: s[2] } : null;
    case 'RKR':
      // Per-channel statistics of [N, C, H, W] (batch norm): two passes.
      return { kind: 'rowsThenCols', outer: s[0], rows: s[1], cols: s[2] };
    default:
      return null;
  }
}

/**
 * Splits a strided walk into blocks of its 4 innermost (merged) dims, which one kernel call walks:
 * visit(element offset in the strided tensor, offset in the contiguous one, [n0, s0, … n3, s3]).
 */
export function stridedBlocks(
  shape: Shape,
  strides: readonly number[],
  offset: number,
  visit: (strided: number, flat: number, dims: number[]) => void,
): void {
  let [dims, st] = coalesce(shape, strides);
  while (dims.length < 4) {
    dims = [1, ...dims];
    st = [0, ...st];
  }
  const k = dims.length - 4;
  const inner = dims.slice(k).flatMap((n, i) => [n, st[k + i]]);
  const block = dims[k] * dims[k + 1] * dims[k + 2] * dims[k + 3];
  const outer = sizeOf(dims.slice(0, k));
  const idx = new Array<number>(k).fill(0);
  let at = offset;
  for (let o = 0; o < outer; o++) {
    visit(at, o * block, inner);
    for (let d = k - 1; d >= 0; d--) {
      at += st[d];
      if (++idx[d] < dims[d]) break;
      at -= st[d] * dims[d];
      idx[d] = 0;
    }
  }
}
