/**
 * A small RGBA raster canvas (no Node, no DOM): rectangles, lines, points, images and bitmap text.
 * Enough to draw image grids and simple charts that are then saved as PNG.
 */
import { IndexError } from '../tensor/errors.js';
import { forEachInk, measureText } from './font.js';

/** An 8-bit RGBA image, row-major, 4 bytes per pixel (the layout PNG encoders take). */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** [r, g, b] or [r, g, b, a], each 0–255. */
export type Color = readonly [number, number, number] | readonly [number, number, number, number];

export const WHITE: Color = [255, 255, 255];
export const BLACK: Color = [0, 0, 0];
export const GRAY: Color = [128, 128, 128];
export const LIGHT_GRAY: Color = [225, 225, 225];
export const RED: Color = [214, 39, 40];
export const GREEN: Color = [44, 160, 44];

/** Matplotlib's "tab10" colours: distinct, readable on white, and familiar from Python plots. */
export const PALETTE: readonly Color[] = [
  [31, 119, 180],
  [255, 127, 14],
  [44, 160, 44],
  [214, 39, 40],
  [148, 103, 189],
  [140, 86, 75],
  [227, 119, 194],
  [127, 127, 127],
  [188, 189, 34],
  [23, 190, 207],
];

export type HAlign = 'left' | 'center' | 'right';
export type VAlign = 'top' | 'middle' | 'bottom';

export interface TextOptions {
  /** Integer magnification of the 5×7 font (default 1). */
  scale?: number;
  /** Where x is on the text: its left edge, centre or right edge (default 'left'). */
  align?: HAlign;
  /** Where y is on the text: its top, middle or bottom (default 'top'). */
  valign?: VAlign;
  /** Rotated a quarter turn anticlockwise, reading upwards (for y-axis labels). */
  vertical?: boolean;
}

export class Canvas implements RgbaImage {
  readonly data: Uint8Array;

  constructor(
    readonly width: number,
    readonly height: number,
    background: Color = WHITE,
  ) {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
      throw new IndexError(`Canvas: width and height must be positive integers, got ${width}×${height}`);
    }
    this.data = new Uint8Array(width * height * 4);
    this.fill(background);
  }

  /** Paints every pixel (replacing, not blending). */
  fill(color: Color): this {
    const a = color[3] ?? 255;
    for (let i = 0; i < this.data.length; i += 4) {
      this.data[i] = color[0];
      this.data[i + 1] = color[1];
      this.data[i + 2] = color[2];
      this.data[i + 3] = a;
    }
    return this;
  }

  /** Paints one pixel, blending by the colour's alpha; pixels outside the canvas are ignored. */
  setPixel(x: number, y: number, color: Color): void {
    x = Math.floor(x);
    y = Math.floor(y);
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const i = (y * this.width + x) * 4;
    const a = (color[3] ?? 255) / 255;
    if (a >= 1) {
      this.data[i] = color[0];
      this.data[i + 1] = color[1];
      this.data[i + 2] = color[2];
      this.data[i + 3] = 255;
      return;
    }
    const d = this.data;
    d[i] = Math.round(color[0] * a + d[i] * (1 - a));
    d[i + 1] = Math.round(color[1] * a + d[i + 1] * (1 - a));
    d[i + 2] = Math.round(color[2] * a + d[i + 2] * (1 - a));
    d[i + 3] = Math.round(255 * a + d[i + 3] * (1 - a));
  }

  /** The [r, g, b, a] of a pixel (for tests and checks). */
  getPixel(x: number, y: number): [number, number, number, number] {
    const i = (y * this.width + x) * 4;
    return [this.data[i], this.data[i + 1], this.data[i + 2], this.data[i + 3]];
  }

  /** A filled rectangle; x, y is its top-left corner. */
  fillRect(x: number, y: number, w: number, h: number, color: Color): this {
    const x0 = Math.max(0, Math.round(x));
    const y0 = Math.max(0, Math.round(y));
    const x1 = Math.min(this.width, Math.round(x + w));
    const y1 = Math.min(this.height, Math.round(y + h));
    for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) this.setPixel(xx, yy, color);
    return this;
  }

  /** A rectangle outline of the given thickness, drawn inside the rectangle. */
  strokeRect(x: number, y: number, w: number, h: number, color: Color, thickness = 1): this {
    const t = Math.max(1, Math.round(thickness));
    this.fillRect(x, y, w, t, color);
    this.fillRect(x, y + h - t, w, t, color);
    this.fillRect(x, y + t, t, h - 2 * t, color);
    this.fillRect(x + w - t, y + t, t, h - 2 * t, color);
    return this;
  }

  /** A straight line (Bresenham) between two points; thickness > 1 stamps a square brush. */
  line(x0: number, y0: number, x1: number, y1: number, color: Color, thickness = 1): this {
    let ax = Math.round(x0);
    let ay = Math.round(y0);
    const bx = Math.round(x1);
    const by = Math.round(y1);
    const dx = Math.abs(bx - ax);
    const dy = -Math.abs(by - ay);
    const sx = ax < bx ? 1 : -1;
    const sy = ay < by ? 1 : -1;
    const t = Math.max(1, Math.round(thickness));
    const lo = -Math.floor((t - 1) / 2);
    // A translucent colour would darken where brush stamps overlap: stamp opaque pixels once each.
    const seen = (color[3] ?? 255) < 255 && t > 1 ? new Set<number>() : null;
    let err = dx + dy;
    for (;;) {
      for (let oy = lo; oy < lo + t; oy++) {
        for (let ox = lo; ox < lo + t; ox++) {
          if (seen) {
            const key = (ay + oy) * (this.width + 64) + ax + ox;
            if (seen.has(key)) continue;
            seen.add(key);
          }
          this.setPixel(ax + ox, ay + oy, color);
        }
      }
      if (ax === bx && ay === by) break;
      const e2 = 2 * err;
      if (e2 >= dy) {
        err += dy;
        ax += sx;
      }
      if (e2 <= dx) {
        err += dx;
        ay += sy;
      }
    }
    return this;
  }

  /** A line through consecutive points; NaN or infinite coordinates break it into pieces. */
  polyline(xs: ArrayLike<number>, ys: ArrayLike<number>, color: Color, thickness = 1): this {
    for (let i = 1; i < xs.length; i++) {
      const ok = [xs[i - 1], ys[i - 1], xs[i], ys[i]].every(Number.isFinite);
      if (ok) this.line(xs[i - 1], ys[i - 1], xs[i], ys[i], color, thickness);
    }
    if (xs.length === 1 && Number.isFinite(xs[0]) && Number.isFinite(ys[0])) {
      this.points([xs[0]], [ys[0]], color, thickness + 1);
    }
    return this;
  }

  /** Filled discs of the given radius centred on each point (radius 0: single pixels). */
  points(xs: ArrayLike<number>, ys: ArrayLike<number>, color: Color, radius = 2): this {
    const r = Math.max(0, radius);
    const ri = Math.ceil(r);
    for (let i = 0; i < xs.length; i++) {
      if (!Number.isFinite(xs[i]) || !Number.isFinite(ys[i])) continue;
      const cx = Math.round(xs[i]);
      const cy = Math.round(ys[i]);
      for (let oy = -ri; oy <= ri; oy++) {
        for (let ox = -ri; ox <= ri; ox++) {
          if (ox * ox + oy * oy <= r * r + r) this.setPixel(cx + ox, cy + oy, color);
        }
      }
    }
    return this;
  }

  /** Copies an image with integer magnification; its top-left corner goes to x, y. */
  drawImage(src: RgbaImage, x: number, y: number, scale = 1): this {
    const s = Math.max(1, Math.round(scale));
    for (let sy = 0; sy < src.height; sy++) {
      for (let sx = 0; sx < src.width; sx++) {
        const i = (sy * src.width + sx) * 4;
        const c: Color = [src.data[i], src.data[i + 1], src.data[i + 2], src.data[i + 3]];
        this.fillRect(x + sx * s, y + sy * s, s, s, c);
      }
    }
    return this;
  }

  /** Draws text (several lines with '\n', centred on each other when align is 'center'). */
  text(text: string, x: number, y: number, color: Color, opts: TextOptions = {}): this {
    const s = Math.max(1, Math.round(opts.scale ?? 1));
    const { width, height } = textSize(text, s);
    const align = opts.align ?? 'left';
    const valign = opts.valign ?? 'top';
    // u runs along the text, v across it; alignment shifts both before mapping to the canvas.
    const u0 = align === 'left' ? 0 : align === 'center' ? -Math.floor(width / 2) : -width;
    const v0 = valign === 'top' ? 0 : valign === 'middle' ? -Math.floor(height / 2) : -height;
    const bx = Math.round(x);
    const by = Math.round(y);
    forEachInk(text, align === 'center', (fx, fy) => {
      for (let dy = 0; dy < s; dy++) {
        for (let dx = 0; dx < s; dx++) {
          const u = u0 + fx * s + dx;
          const v = v0 + fy * s + dy;
          if (opts.vertical) this.setPixel(bx + v, by - u - 1, color);
          else this.setPixel(bx + u, by + v, color);
        }
      }
    });
    return this;
  }

  /** A plain copy of the pixels (what writePng takes). */
  toImage(): RgbaImage {
    return { width: this.width, height: this.height, data: this.data.slice() };
  }
}

/** Size in canvas pixels of text drawn at the given scale (width along the text). */
export function textSize(text: string, scale = 1): { width: number; height: number } {
  const m = measureText(text);
  return { width: m.width * scale, height: m.height * scale };
}

/** Linear blend of two colours, t in [0, 1]. */
export function mix(a: Color, b: Color, t: number): Color {
  const u = Math.min(1, Math.max(0, t));
  return [
    Math.round(a[0] + (b[0] - a[0]) * u),
    Math.round(a[1] + (b[1] - a[1]) * u),
    Math.round(a[2] + (b[2] - a[2]) * u),
  ];
}

/** A colour at t in [0, 1] along a piecewise-linear map through evenly spaced stops. */
export function colormap(stops: readonly Color[], t: number): Color {
  const u = Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : 0;
  const p = u * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(p));
  return mix(stops[i], stops[i + 1], p - i);
}

/** Relative luminance in [0, 1], to pick black or white text over a colour. */
export function luminance(c: Color): number {
  return (0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2]) / 255;
}
