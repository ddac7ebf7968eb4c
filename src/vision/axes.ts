/**
 * Chart axes on a Canvas: data ranges, "nice" ticks (1, 2, 5 × 10^k), tick labels, grid, titles and
 * a legend. Line and scatter plots share it.
 */
import { IndexError } from '../tensor/errors.js';
import type { Color } from './raster.js';
import { BLACK, Canvas, LIGHT_GRAY, WHITE, textSize } from './raster.js';

export interface AxesOptions {
  /** Image size in pixels (default 640 × 420). */
  width?: number;
  height?: number;
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** Fixed data ranges; by default the data's range, slightly padded. */
  xRange?: readonly [number, number];
  yRange?: readonly [number, number];
  /** 'log' plots y on a logarithmic scale (only positive values are drawn). */
  yScale?: 'linear' | 'log';
  /** Light grid lines at the ticks (default true). */
  grid?: boolean;
  /** Where the legend goes; 'best' picks the corner with the fewest data points (default). */
  legend?: 'best' | 'upper right' | 'upper left' | 'lower left' | 'lower right' | false;
  /** Magnification of all text (default 1; titles are drawn twice as large). */
  fontScale?: number;
}

export interface LegendEntry {
  name: string;
  color: Color;
  /** Drawn as a short line, or as a dot. */
  kind: 'line' | 'point';
}

/** Ticks covering [lo, hi] at a 1, 2 or 5 × 10^k step, about `target` of them. */
export function niceTicks(lo: number, hi: number, target = 6): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / Math.max(1, target);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  const step = (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
  const ticks: number[] = [];
  const first = Math.ceil(lo / step - 1e-9);
  for (let k = first; k * step <= hi + step * 1e-9; k++) ticks.push(roundTo(k * step, step));
  return ticks;
}

function roundTo(v: number, step: number): number {
  // Removes float noise such as 0.30000000000000004 at the step's precision.
  const digits = Math.max(0, -Math.floor(Math.log10(step)) + 2);
  return Number(v.toFixed(Math.min(20, digits)));
}

/** A tick label: as few decimals as the step needs; very large or small values in exponent form. */
export function formatTick(v: number, step: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e6 || a < 1e-4) return v.toExponential(Math.max(0, Math.min(3, sigDigits(step, a) - 1)));
  const decimals = step > 0 ? Math.max(0, Math.min(8, -Math.floor(Math.log10(step) + 1e-9))) : 2;
  return v.toFixed(decimals);
}

function sigDigits(step: number, a: number): number {
  return Math.max(1, Math.floor(Math.log10(a)) - Math.floor(Math.log10(step)) + 1);
}

/** Data range of finite values, widened a little (or around a single value) so that points do not sit on the frame. */
export function dataRange(values: Iterable<number>, pad = 0.05): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo === Infinity) return [0, 1];
  if (lo === hi) {
    const d = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    return [lo - d, hi + d];
  }
  const d = (hi - lo) * pad;
  return [lo - d, hi + d];
}

/** A plot area on a canvas with data-to-pixel mapping; draw the data, then call finish(). */
export class Axes {
  readonly canvas: Canvas;
  readonly left: number;
  readonly top: number;
  readonly right: number;
  readonly bottom: number;
  readonly xRange: readonly [number, number];
  readonly yRange: readonly [number, number];
  private readonly log: boolean;
  private readonly fs: number;

  constructor(
    op: string,
    private readonly opts: AxesOptions,
    xData: Iterable<number>,
    yData: Iterable<number>,
  ) {
    const width = opts.width ?? 640;
    const height = opts.height ?? 420;
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 120 || height < 100) {
      throw new IndexError(
        `${op}: width and height must be integers of at least 120 × 100, got ${width} × ${height}`,
      );
    }
    this.fs = Math.max(1, Math.round(opts.fontScale ?? 1));
    this.log = opts.yScale === 'log';
    this.canvas = new Canvas(width, height, WHITE);
    this.xRange = checkRange(op, 'xRange', opts.xRange) ?? dataRange(xData);
    const ys = this.log ? [...yData].filter((v) => v > 0).map(Math.log10) : yData;
    const yr = checkRange(op, 'yRange', opts.yRange);
    if (yr && this.log && !(yr[0] > 0)) {
      throw new IndexError(`${op}: a log y scale needs a positive yRange, got [${yr.join(', ')}]`);
    }
    this.yRange = yr ? (this.log ? [Math.log10(yr[0]), Math.log10(yr[1])] : yr) : dataRange(ys);
    const lh = 10 * this.fs;
    this.top = opts.title ? 2 * lh + 14 : 12;
    this.bottom = height - (opts.xLabel ? 2 * lh + 16 : lh + 12);
    this.left = (opts.yLabel ? lh + 8 : 4) + this.yTickWidth() + 8;
    this.right = width - 16;
  }

  /** Pixel column of a data x. */
  px(x: number): number {
    const [a, b] = this.xRange;
    return this.left + ((x - a) / (b - a)) * (this.right - this.left);
  }

  /** Pixel row of a data y (NaN for non-positive values on a log scale). */
  py(y: number): number {
    const v = this.log ? (y > 0 ? Math.log10(y) : NaN) : y;
    const [a, b] = this.yRange;
    return this.bottom - ((v - a) / (b - a)) * (this.bottom - this.top);
  }

  private yTicks(): { at: number; label: string }[] {
    const [a, b] = this.yRange;
    if (this.log) {
      const ticks: { at: number; label: string }[] = [];
      const decades = b - a;
      const mults = decades < 3 ? [1, 2, 5] : [1];
      const every = Math.max(1, Math.ceil(decades / 8));
      for (let k = Math.floor(a); k <= Math.ceil(b); k += every) {
        for (const m of mults) {
          const at = k + Math.log10(m);
          if (at >= a - 1e-9 && at <= b + 1e-9) ticks.push({ at, label: formatLog(m, k) });
        }
      }
      return ticks;
    }
    const t = niceTicks(a, b, Math.max(3, Math.round((this.opts.height ?? 420) / 70)));
    const step = t.length > 1 ? t[1] - t[0] : 0;
    return t.map((v) => ({ at: v, label: formatTick(v, step) }));
  }

  private xTicks(): { at: number; label: string }[] {
    const [a, b] = this.xRange;
    const t = niceTicks(a, b, Math.max(3, Math.round((this.opts.width ?? 640) / 90)));
    const step = t.length > 1 ? t[1] - t[0] : 0;
    return t.map((v) => ({ at: v, label: formatTick(v, step) }));
  }

  private yTickWidth(): number {
    return Math.max(0, ...this.yTicks().map((t) => textSize(t.label, this.fs).width));
  }

  /** Grid lines, drawn before the data so that the data stays on top. */
  drawGrid(): void {
    if (this.opts.grid === false) return;
    const c = this.canvas;
    for (const t of this.xTicks()) c.line(this.px(t.at), this.top, this.px(t.at), this.bottom, LIGHT_GRAY);
    for (const t of this.yTicks()) {
      const y = this.rowOf(t.at);
      c.line(this.left, y, this.right, y, LIGHT_GRAY);
    }
  }

  private rowOf(v: number): number {
    const [a, b] = this.yRange;
    return this.bottom - ((v - a) / (b - a)) * (this.bottom - this.top);
  }

  /** Frame, ticks, labels, title and legend; called after the data (which it clips to the frame). */
  finish(legend: LegendEntry[]): Canvas {
    const c = this.canvas;
    const fs = this.fs;
    const { width, height } = c;
    // Data drawn past the frame (thick lines, big points) is cleared by repainting the margins.
    c.fillRect(0, 0, width, this.top, WHITE);
    c.fillRect(0, this.bottom + 1, width, height - this.bottom - 1, WHITE);
    c.fillRect(0, 0, this.left, height, WHITE);
    c.fillRect(this.right + 1, 0, width - this.right - 1, height, WHITE);
    c.strokeRect(this.left, this.top, this.right - this.left + 1, this.bottom - this.top + 1, BLACK);
    for (const t of this.xTicks()) {
      const x = this.px(t.at);
      c.line(x, this.bottom, x, this.bottom + 4, BLACK);
      c.text(t.label, x, this.bottom + 7, BLACK, { scale: fs, align: 'center' });
    }
    for (const t of this.yTicks()) {
      const y = this.rowOf(t.at);
      c.line(this.left - 4, y, this.left, y, BLACK);
      c.text(t.label, this.left - 7, y, BLACK, { scale: fs, align: 'right', valign: 'middle' });
    }
    const mid = (this.left + this.right) / 2;
    if (this.opts.title) c.text(this.opts.title, mid, 8, BLACK, { scale: 2 * fs, align: 'center' });
    if (this.opts.xLabel)
      c.text(this.opts.xLabel, mid, height - 6, BLACK, { scale: fs, align: 'center', valign: 'bottom' });
    if (this.opts.yLabel) {
      c.text(this.opts.yLabel, 6, (this.top + this.bottom) / 2, BLACK, {
        scale: fs,
        align: 'center',
        vertical: true,
      });
    }
    if (legend.length > 0 && this.opts.legend !== false) this.drawLegend(legend);
    return c;
  }

  /** Where each corner's legend box would go, so that 'best' can count the points under each. */
  legendBox(entries: LegendEntry[], corner: string): { x: number; y: number; w: number; h: number } {
    const fs = this.fs;
    const w = Math.max(...entries.map((e) => textSize(e.name, fs).width)) + 30 * fs;
    const h = entries.length * 12 * fs + 8;
    const x = corner.endsWith('left') ? this.left + 8 : this.right - 8 - w;
    const y = corner.startsWith('upper') ? this.top + 8 : this.bottom - 8 - h;
    return { x, y, w, h };
  }

  /** The corner chosen for the legend (set by the plot from its data for 'best'). */
  legendCorner = 'upper right';

  private drawLegend(entries: LegendEntry[]): void {
    const c = this.canvas;
    const fs = this.fs;
    const corner = this.opts.legend && this.opts.legend !== 'best' ? this.opts.legend : this.legendCorner;
    const { x, y, w, h } = this.legendBox(entries, corner);
    c.fillRect(x, y, w, h, [255, 255, 255, 230]);
    c.strokeRect(x, y, w, h, [190, 190, 190]);
    entries.forEach((e, i) => {
      const cy = y + 4 + i * 12 * fs + 4 * fs;
      if (e.kind === 'line') c.line(x + 6, cy, x + 6 + 16 * fs, cy, e.color, 2 * fs);
      else c.points([x + 6 + 8 * fs], [cy], e.color, 3 * fs);
      c.text(e.name, x + 12 + 16 * fs, cy, BLACK, { scale: fs, valign: 'middle' });
    });
  }
}

function formatLog(m: number, k: number): string {
  const v = m * 10 ** k;
  return k >= -3 && k <= 4 ? String(Number(v.toPrecision(3))) : `${m}e${k}`;
}

function checkRange(op: string, name: string, r?: readonly [number, number]): [number, number] | null {
  if (r === undefined) return null;
  if (r.length !== 2 || !Number.isFinite(r[0]) || !Number.isFinite(r[1]) || !(r[1] > r[0])) {
    throw new IndexError(`${op}: ${name} must be [low, high] with low < high, got [${r.join(', ')}]`);
  }
  return [r[0], r[1]];
}
