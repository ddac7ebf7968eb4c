import type { TypedArray } from './dtype.js';
import type { Tensor } from './tensor.js';

// PyTorch's default print options.
const THRESHOLD = 1000;
const EDGE = 3;
const PRECISION = 4;
const LINEWIDTH = 80;
const PREFIX = 'tensor(';

/**
 * PyTorch-like printing: numbers padded to one width, `tensor([[ 1.0000, -2.5000],\n        [ 3.0000,
 * 4.0000]])`, summarized with '...' above 1000 elements, long rows wrapped at 80 columns, and suffixes
 * such as `dtype=float64` and `requiresGrad=true` or `gradFn=<name>`.
 */
export function formatTensor(t: Tensor): string {
  let values: TypedArray;
  try {
    values = t.dataSync();
  } catch {
    return `tensor(<on ${t.backendName}>, shape=[${t.shape.join(', ')}], dtype=${t.dtype})`;
  }
  const suffixes: string[] = [];
  let body: string;
  if (values.length === 0) {
    // As PyTorch: an empty tensor shows its size unless 1-d, and its dtype unless the default.
    if (t.ndim !== 1) suffixes.push(`size=[${t.shape.join(', ')}]`);
    if (t.dtype !== 'float32') suffixes.push(`dtype=${t.dtype}`);
    body = '[]';
  } else {
    if (t.dtype === 'float64') suffixes.push(`dtype=${t.dtype}`);
    const summarize = values.length > THRESHOLD;
    const shown = summarize ? summarized(values, t.shape) : Array.from(values);
    const fmt = formatter(shown, t.dtype);
    body = formatDims(values, t.shape, 0, 0, PREFIX.length, fmt, summarize);
  }
  if (t.gradFn) suffixes.push(`gradFn=<${t.gradFn.name}>`);
  else if (t.requiresGrad) suffixes.push('requiresGrad=true');
  return addSuffixes(PREFIX + body, suffixes, PREFIX.length);
}

interface Formatter {
  width: number;
  format(v: number): string;
}

/** One style and width for all shown elements, chosen as PyTorch's _Formatter does. */
function formatter(shown: readonly number[], dtype: string): Formatter {
  const pad = (s: string, width: number) => s.padStart(width);
  if (dtype === 'bool' || dtype === 'int32') {
    const str = dtype === 'bool' ? (v: number) => (v ? 'true' : 'false') : (v: number) => String(v);
    const width = shown.reduce((w, v) => Math.max(w, str(v).length), 1);
    return { width, format: (v) => pad(str(v), width) };
  }
  const nz = shown.filter((v) => Number.isFinite(v) && v !== 0);
  let str = (v: number) => fixed(v, 0) + (Number.isFinite(v) ? '.' : '');
  let width = 1;
  if (nz.length > 0) {
    const abs = nz.map(Math.abs);
    const lo = Math.min(...abs);
    const hi = Math.max(...abs);
    const intMode = nz.every((v) => v === Math.ceil(v));
    const sci = hi / lo > 1000 || hi > 1e8 || (!intMode && lo < 1e-4);
    if (sci) str = (v) => scientific(v, PRECISION);
    else if (!intMode) str = (v) => fixed(v, PRECISION);
    width = nz.reduce((w, v) => Math.max(w, str(v).length), 1);
  }
  return { width, format: (v) => pad(str(v), width) };
}

/** Python's '{:.Nf}': round half to even on the exact value, '-0.0000' for negative zero. */
function fixed(v: number, digits: number): string {
  const special = nonFinite(v);
  if (special) return special;
  const sign = v < 0 || Object.is(v, -0) ? '-' : '';
  return sign + halfEven(Math.abs(v), digits, 'f');
}

/** Python's '{:.Ne}': as fixed(), with an exponent of at least two digits ('1.0000e+08'). */
function scientific(v: number, digits: number): string {
  const special = nonFinite(v);
  if (special) return special;
  const sign = v < 0 || Object.is(v, -0) ? '-' : '';
  return sign + halfEven(Math.abs(v), digits, 'e').replace(/e([+-])(\d)$/, 'e$10$2');
}

function nonFinite(v: number): string | null {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  return null;
}

/**
 * JS rounds exact ties away from zero (1.03125 → '1.0313'), Python to even ('1.0312'). A tie shows as
 * a 5 followed by zeros in a much longer expansion, which is exact at this precision.
 */
function halfEven(v: number, digits: number, kind: 'f' | 'e'): string {
  const short = kind === 'f' ? v.toFixed(digits) : v.toExponential(digits);
  const long = kind === 'f' ? v.toFixed(digits + 30) : v.toExponential(digits + 30);
  const [mant, exp] = long.split('e');
  const cut = mant.indexOf('.') + (digits > 0 ? digits + 1 : 0);
  if (!/^50*$/.test(mant.slice(mant.indexOf('.') + 1 + digits))) return short;
  const kept = mant.slice(0, cut);
  const last = Number(kept.replace('.', '').slice(-1));
  if (last % 2 === 1) return short;
  return exp === undefined ? kept : `${kept}e${exp}`;
}

/** The elements that a summarized print shows: EDGE items at both ends of every dim. */
function summarized(values: TypedArray, shape: readonly number[]): number[] {
  const out: number[] = [];
  const walk = (dim: number, offset: number): void => {
    if (dim === shape.length) {
      out.push(values[offset]);
      return;
    }
    let step = 1;
    for (let d = dim + 1; d < shape.length; d++) step *= shape[d];
    for (const i of shownIndices(shape[dim], true)) if (i !== null) walk(dim + 1, offset + i * step);
  };
  walk(0, 0);
  return out;
}

function shownIndices(n: number, summarize: boolean): (number | null)[] {
  const idx: (number | null)[] = [];
  if (summarize && n > 2 * EDGE) {
    for (let i = 0; i < EDGE; i++) idx.push(i);
    idx.push(null);
    for (let i = n - EDGE; i < n; i++) idx.push(i);
  } else {
    for (let i = 0; i < n; i++) idx.push(i);
  }
  return idx;
}

function formatDims(
  values: TypedArray,
  shape: readonly number[],
  dim: number,
  offset: number,
  indent: number,
  fmt: Formatter,
  summarize: boolean,
): string {
  if (shape.length === 0) return fmt.format(values[0]);
  const idx = shownIndices(shape[dim], summarize);
  if (dim === shape.length - 1) {
    // Rows longer than the line width wrap, as many elements per line as fit.
    const items = idx.map((i) => (i === null ? ' ...' : fmt.format(values[offset + i])));
    const perLine = Math.max(1, Math.floor((LINEWIDTH - indent) / (fmt.width + 2)));
    const lines: string[] = [];
    for (let i = 0; i < items.length; i += perLine) lines.push(items.slice(i, i + perLine).join(', '));
    return '[' + lines.join(',\n' + ' '.repeat(indent + 1)) + ']';
  }
  let step = 1;
  for (let d = dim + 1; d < shape.length; d++) step *= shape[d];
  const parts = idx.map((i) =>
    i === null ? '...' : formatDims(values, shape, dim + 1, offset + i * step, indent + 1, fmt, summarize),
  );
  return '[' + parts.join(',' + '\n'.repeat(shape.length - dim - 1) + ' '.repeat(indent + 1)) + ']';
}

/** Appends ', suffix' items, moving one to a new line when the last line would pass the width. */
function addSuffixes(str: string, suffixes: readonly string[], indent: number): string {
  let out = str;
  let lastLine = str.length - str.lastIndexOf('\n') + 1;
  for (const s of suffixes) {
    if (lastLine + s.length + 2 > LINEWIDTH) {
      out += ',\n' + ' '.repeat(indent) + s;
      lastLine = indent + s.length;
    } else {
      out += ', ' + s;
      lastLine += s.length + 2;
    }
  }
  return out + ')';
}
