/**
 * Pictures for examples and reports: image grids, heatmaps (confusion matrices), line plots
 * (learning curves) and scatter plots. Each returns an RGBA image; writePng saves it.
 */
import { IndexError, ShapeError, fmtShape } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import type { AxesOptions, LegendEntry } from '../vision/axes.js';
import { Axes } from '../vision/axes.js';
import type { Color, RgbaImage } from '../vision/raster.js';
import { BLACK, Canvas, PALETTE, WHITE, colormap, luminance, textSize } from '../vision/raster.js';
import { positiveInt } from './image-grid.js';

export type { ImageGridOptions } from './image-grid.js';
export { imageGrid } from './image-grid.js';

export interface HeatmapOptions {
  title?: string;
  rowLabels?: readonly string[];
  colLabels?: readonly string[];
  /** Axis titles (a confusion matrix: 'Predicted' across, 'True' down). */
  xLabel?: string;
  yLabel?: string;
  /** Cell side in pixels (default 40). */
  cellSize?: number;
  /** 'blues' (white to dark blue, as for confusion matrices; default) or 'viridis'. */
  cmap?: 'blues' | 'viridis';
  /** Values mapped to the ends of the colour map (default: the matrix's minimum and maximum). */
  range?: readonly [number, number];
  /** Writes each value in its cell (default true). */
  showValues?: boolean;
  /** How a value is written (default: integers as they are, others with 2 decimals). */
  format?: (v: number) => string;
  fontScale?: number;
}

const BLUES: Color[] = [
  [247, 251, 255],
  [198, 219, 239],
  [107, 174, 214],
  [33, 113, 181],
  [8, 48, 107],
];
const VIRIDIS: Color[] = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];

/** A matrix as coloured cells with its values, row and column labels, a title and a colour bar. */
export function heatmap(
  matrix: readonly (readonly number[])[] | Tensor,
  opts: HeatmapOptions = {},
): RgbaImage {
  const op = 'heatmap';
  const m = toMatrix(op, matrix);
  const rows = m.length;
  const cols = m[0].length;
  for (const [name, labels, count] of [
    ['rowLabels', opts.rowLabels, rows],
    ['colLabels', opts.colLabels, cols],
  ] as const) {
    if (labels && labels.length !== count)
      throw new ShapeError(
        `${op}: got ${labels.length} ${name} for ${count} ${name === 'rowLabels' ? 'rows' : 'columns'}`,
      );
  }
  const fs = positiveInt(op, 'fontScale', opts.fontScale ?? 1);
  const cell = positiveInt(op, 'cellSize', opts.cellSize ?? 40);
  const flat = m.flat().filter(Number.isFinite);
  const [lo, hi] = opts.range ?? [Math.min(...flat), Math.max(...flat)];
  const stops = opts.cmap === 'viridis' ? VIRIDIS : BLUES;
  const isInt = flat.every(Number.isInteger);
  const format = opts.format ?? ((x: number) => (Number.isInteger(x) && isInt ? String(x) : x.toFixed(2)));
  const rl = opts.rowLabels ?? m.map((_, i) => String(i));
  const cl = opts.colLabels ?? m[0].map((_, j) => String(j));
  const rowW = Math.max(...rl.map((s) => textSize(s, fs).width));
  const colW = Math.max(...cl.map((s) => textSize(s, fs).width));
  const verticalCols = colW > cell - 4;
  const colH = verticalCols ? colW : 8 * fs;
  const lh = 10 * fs;
  const left = 8 + (opts.yLabel ? lh + 6 : 0) + rowW + 6;
  const top = opts.title ? 2 * lh + 14 : 10;
  const gridW = cols * cell;
  const gridH = rows * cell;
  const barX = left + gridW + 14;
  const barLabelW = Math.max(textSize(format(lo), fs).width, textSize(format(hi), fs).width);
  const titleW = opts.title ? textSize(opts.title, 2 * fs).width : 0;
  const c = new Canvas(
    Math.max(barX + 14 + 6 + barLabelW + 10, titleW + 16),
    top + gridH + 6 + colH + (opts.xLabel ? lh + 10 : 0) + 10,
    WHITE,
  );
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const x = m[i][j];
      const color = Number.isFinite(x)
        ? colormap(stops, (x - lo) / (hi - lo || 1))
        : ([200, 200, 200] as Color);
      c.fillRect(left + j * cell, top + i * cell, cell, cell, color);
      if (opts.showValues !== false) {
        const ink: Color = luminance(color) < 0.5 ? WHITE : BLACK;
        const label = Number.isFinite(x) ? format(x) : String(x);
        c.text(label, left + j * cell + cell / 2, top + i * cell + cell / 2, ink, {
          scale: fs,
          align: 'center',
          valign: 'middle',
        });
      }
    }
  }
  c.strokeRect(left - 1, top - 1, gridW + 2, gridH + 2, BLACK);
  rl.forEach((s, i) =>
    c.text(s, left - 6, top + i * cell + cell / 2, BLACK, { scale: fs, align: 'right', valign: 'middle' }),
  );
  cl.forEach((s, j) => {
    const x = left + j * cell + cell / 2;
    if (verticalCols)
      c.text(s, x - 4 * fs, top + gridH + 6, BLACK, { scale: fs, align: 'right', vertical: true });
    else c.text(s, x, top + gridH + 6, BLACK, { scale: fs, align: 'center' });
  });
  if (opts.title) {
    // Centred over the grid unless that would push it off the picture.
    const cx = Math.min(Math.max(left + gridW / 2, titleW / 2 + 8), c.width - titleW / 2 - 8);
    c.text(opts.title, cx, 8, BLACK, { scale: 2 * fs, align: 'center' });
  }
  if (opts.xLabel)
    c.text(opts.xLabel, left + gridW / 2, top + gridH + 6 + colH + 8, BLACK, { scale: fs, align: 'center' });
  if (opts.yLabel)
    c.text(opts.yLabel, 8, top + gridH / 2, BLACK, { scale: fs, align: 'center', vertical: true });
  for (let y = 0; y < gridH; y++) c.fillRect(barX, top + y, 14, 1, colormap(stops, 1 - y / (gridH - 1 || 1)));
  c.strokeRect(barX - 1, top - 1, 16, gridH + 2, BLACK);
  c.text(format(hi), barX + 20, top, BLACK, { scale: fs });
  c.text(format(lo), barX + 20, top + gridH, BLACK, { scale: fs, valign: 'bottom' });
  return c.toImage();
}

export interface LineSeries {
  /** Shown in the legend (unnamed series are left out of it). */
  name?: string;
  /** x values (default 0, 1, 2, …). */
  x?: ArrayLike<number> | Tensor;
  y: ArrayLike<number> | Tensor;
  color?: Color;
}

export interface LinePlotOptions extends AxesOptions {
  /** Line thickness in pixels (default 2). */
  lineWidth?: number;
  /** Dots at the data points (default: only when a series has at most 30 points). */
  markers?: boolean;
}

/** Named series of (x, y) as lines, with axes, ticks, labels, legend and title (learning and loss curves). */
export function linePlot(series: readonly LineSeries[], opts: LinePlotOptions = {}): RgbaImage {
  const op = 'linePlot';
  if (series.length === 0) throw new IndexError(`${op}: expected at least one series`);
  const data = series.map((s, i) => {
    const y = numbers(op, `series ${i} y`, s.y);
    const x = s.x === undefined ? y.map((_, k) => k) : numbers(op, `series ${i} x`, s.x);
    if (x.length !== y.length)
      throw new ShapeError(`${op}: series ${i} has ${x.length} x values and ${y.length} y values`);
    return { x, y, color: s.color ?? PALETTE[i % PALETTE.length], name: s.name };
  });
  const ax = new Axes(
    op,
    opts,
    data.flatMap((d) => d.x),
    data.flatMap((d) => d.y),
  );
  ax.drawGrid();
  const lw = opts.lineWidth ?? 2;
  for (const d of data) {
    const px = d.x.map((v) => ax.px(v));
    const py = d.y.map((v) => ax.py(v));
    ax.canvas.polyline(px, py, d.color, lw);
    if (opts.markers ?? d.x.length <= 30) ax.canvas.points(px, py, d.color, lw + 1);
  }
  pickLegendCorner(ax, opts, data, 'line');
  return ax.finish(legendOf(data, 'line')).toImage();
}

export interface ScatterGroup {
  name?: string;
  /** Points as a Tensor [N, 2] or [x, y] pairs; or give x and y. */
  points?: Tensor | ArrayLike<readonly [number, number]>;
  x?: ArrayLike<number> | Tensor;
  y?: ArrayLike<number> | Tensor;
  color?: Color;
}

export interface ScatterPlotOptions extends AxesOptions {
  /** Point radius in pixels (default 2). */
  radius?: number;
  /** Opacity of the points, so that dense regions read darker (default 0.7). */
  alpha?: number;
}

/** Named point sets in colours with axes (e.g. real against generated samples). */
export function scatterPlot(groups: readonly ScatterGroup[], opts: ScatterPlotOptions = {}): RgbaImage {
  const op = 'scatterPlot';
  if (groups.length === 0) throw new IndexError(`${op}: expected at least one group`);
  const data = groups.map((g, i) => {
    const [x, y] = groupPoints(op, i, g);
    return { x, y, color: g.color ?? PALETTE[i % PALETTE.length], name: g.name };
  });
  const ax = new Axes(
    op,
    opts,
    data.flatMap((d) => d.x),
    data.flatMap((d) => d.y),
  );
  ax.drawGrid();
  const alpha = Math.round(255 * Math.min(1, Math.max(0.05, opts.alpha ?? 0.7)));
  for (const d of data) {
    const color: Color = [d.color[0], d.color[1], d.color[2], alpha];
    ax.canvas.points(
      d.x.map((v) => ax.px(v)),
      d.y.map((v) => ax.py(v)),
      color,
      opts.radius ?? 2,
    );
  }
  pickLegendCorner(ax, opts, data, 'point');
  return ax.finish(legendOf(data, 'point')).toImage();
}

function groupPoints(op: string, i: number, g: ScatterGroup): [number[], number[]] {
  if (g.points !== undefined) {
    const p = g.points;
    if (isTensor(p)) {
      if (p.ndim !== 2 || p.shape[1] !== 2)
        throw new ShapeError(`${op}: group ${i} points must be [N, 2], got ${fmtShape(p.shape)}`);
      const v = Array.from(p.dataSync(), Number);
      return [v.filter((_, k) => k % 2 === 0), v.filter((_, k) => k % 2 === 1)];
    }
    const arr = Array.from(p);
    return [arr.map((q) => Number(q[0])), arr.map((q) => Number(q[1]))];
  }
  if (g.x === undefined || g.y === undefined)
    throw new IndexError(`${op}: group ${i} needs points, or both x and y`);
  const x = numbers(op, `group ${i} x`, g.x);
  const y = numbers(op, `group ${i} y`, g.y);
  if (x.length !== y.length)
    throw new ShapeError(`${op}: group ${i} has ${x.length} x values and ${y.length} y values`);
  return [x, y];
}

type Drawn = { x: number[]; y: number[]; color: Color; name?: string };

function legendOf(data: Drawn[], kind: LegendEntry['kind']): LegendEntry[] {
  return data.filter((d) => d.name).map((d) => ({ name: d.name as string, color: d.color, kind }));
}

/** For legend 'best': the corner whose box covers the fewest data points (lines: also their segments' midpoints). */
function pickLegendCorner(ax: Axes, opts: AxesOptions, data: Drawn[], kind: LegendEntry['kind']): void {
  const entries = legendOf(data, kind);
  if (entries.length === 0 || (opts.legend && opts.legend !== 'best')) return;
  let best = 'upper right';
  let fewest = Infinity;
  for (const corner of ['upper right', 'upper left', 'lower left', 'lower right']) {
    const b = ax.legendBox(entries, corner);
    let count = 0;
    for (const d of data) {
      for (let k = 0; k < d.x.length; k++) {
        const px = ax.px(d.x[k]);
        const py = ax.py(d.y[k]);
        if (px >= b.x - 4 && px <= b.x + b.w + 4 && py >= b.y - 4 && py <= b.y + b.h + 4) count++;
      }
    }
    if (count < fewest) [best, fewest] = [corner, count];
  }
  ax.legendCorner = best;
}

function isTensor(x: unknown): x is Tensor {
  return typeof x === 'object' && x !== null && 'storage' in x && 'shape' in x;
}

function numbers(op: string, what: string, v: ArrayLike<number> | Tensor): number[] {
  if (isTensor(v)) {
    if (v.ndim !== 1) throw new ShapeError(`${op}: ${what} must be 1-D, got ${fmtShape(v.shape)}`);
    return Array.from(v.dataSync(), Number);
  }
  return Array.from(v, Number);
}

function toMatrix(op: string, matrix: readonly (readonly number[])[] | Tensor): number[][] {
  if (isTensor(matrix)) {
    if (matrix.ndim !== 2 || matrix.numel() === 0)
      throw new ShapeError(`${op}: expected a non-empty 2-D matrix, got ${fmtShape(matrix.shape)}`);
    const [r, c] = matrix.shape;
    const v = Array.from(matrix.dataSync(), Number);
    return Array.from({ length: r }, (_, i) => v.slice(i * c, (i + 1) * c));
  }
  if (matrix.length === 0 || matrix[0].length === 0)
    throw new ShapeError(`${op}: expected a non-empty 2-D matrix`);
  const cols = matrix[0].length;
  matrix.forEach((row, i) => {
    if (row.length !== cols)
      throw new ShapeError(`${op}: row ${i} has ${row.length} values, row 0 has ${cols}`);
  });
  return matrix.map((row) => [...row]);
}
