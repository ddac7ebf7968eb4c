import type { TypedArray } from './dtype.js';
import type { Tensor } from './tensor.js';

const THRESHOLD = 1000;
const EDGE = 3;

/** PyTorch-like printing: `tensor([[1., 2.], [3., 4.]], requiresGrad=true)`, summarized when large. */
export function formatTensor(t: Tensor): string {
  let values: TypedArray | null = null;
  try {
    values = t.dataSync();
  } catch {
    return `tensor(<on ${t.backendName}>, shape=[${t.shape.join(', ')}], dtype=${t.dtype})`;
  }
  const summarize = values.length > THRESHOLD;
  const fmt = elementFormatter(values, t.dtype, summarize, t.shape);
  const body = formatDims(values, t.shape, 0, 0, fmt, summarize, 'tensor('.length + 1);
  const extras: string[] = [];
  if (t.dtype !== 'float32' && t.dtype !== 'int32' && t.dtype !== 'bool') extras.push(`dtype=${t.dtype}`);
  if (t.numel() === 0) extras.push(`shape=[${t.shape.join(', ')}]`);
  if (t.gradFn) extras.push(`gradFn=<${t.gradFn.name}>`);
  else if (t.requiresGrad) extras.push('requiresGrad=true');
  return `tensor(${body}${extras.map((e) => ', ' + e).join('')})`;
}

function elementFormatter(
  values: TypedArray,
  dtype: string,
  summarize: boolean,
  shape: readonly number[],
): (v: number) => string {
  if (dtype === 'bool') return (v) => (v ? 'true' : 'false');
  if (dtype === 'int32') return (v) => String(v);
  // Pick one style for all shown elements, as PyTorch does.
  const shown = summarize ? edgeValues(values, shape) : Array.from(values);
  const finite = shown.filter((v) => Number.isFinite(v));
  const allInt = finite.every((v) => Number.isInteger(v));
  const maxAbs = finite.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const minAbs = finite.reduce((m, v) => (v !== 0 ? Math.min(m, Math.abs(v)) : m), Infinity);
  const sci = maxAbs >= 1e8 || (minAbs < 1e-4 && minAbs !== Infinity) || (maxAbs / minAbs > 1000 && !allInt);
  const special = (v: number): string | null =>
    Number.isNaN(v) ? 'nan' : v === Infinity ? 'inf' : v === -Infinity ? '-inf' : null;
  if (allInt && !sci) return (v) => special(v) ?? `${v}.`;
  if (sci) return (v) => special(v) ?? v.toExponential(4).replace(/e([+-])(\d)$/, 'e$10$2');
  return (v) => special(v) ?? v.toFixed(4);
}

function edgeValues(values: TypedArray, shape: readonly number[]): number[] {
  // A cheap sample that includes the shown corners: first and last elements of the flat array.
  const n = values.length;
  const k = Math.min(n, EDGE * Math.max(1, shape[shape.length - 1] ?? 1));
  return [...values.subarray(0, k), ...values.subarray(n - k)];
}

function formatDims(
  values: TypedArray,
  shape: readonly number[],
  dim: number,
  offset: number,
  fmt: (v: number) => string,
  summarize: boolean,
  indent: number,
): string {
  if (shape.length === 0) return fmt(values[0]);
  const n = shape[dim];
  let step = 1;
  for (let d = dim + 1; d < shape.length; d++) step *= shape[d];
  const idx: (number | null)[] = [];
  if (summarize && n > 2 * EDGE) {
    for (let i = 0; i < EDGE; i++) idx.push(i);
    idx.push(null);
    for (let i = n - EDGE; i < n; i++) idx.push(i);
  } else {
    for (let i = 0; i < n; i++) idx.push(i);
  }
  if (dim === shape.length - 1) {
    return '[' + idx.map((i) => (i === null ? '...' : fmt(values[offset + i]))).join(', ') + ']';
  }
  const sep = ',' + '\n'.repeat(shape.length - dim - 1) + ' '.repeat(indent + dim);
  const parts = idx.map((i) =>
    i === null ? '...' : formatDims(values, shape, dim + 1, offset + i * step, fmt, summarize, indent),
  );
  return '[' + parts.join(sep) + ']';
}
