/** The decision boundary: the network's P(class 1) over the plane as a heat map, with the points. */
import type { Points } from '../protocol.js';
import { BLUE, ORANGE, css, probabilityRgb } from './colors.js';

export interface BoundaryData {
  grid: Float32Array | null;
  gridSize: number;
  extent: number;
  train: Points;
  test: Points;
  showTest: boolean;
  /** The training sample the step view follows (ringed). */
  selected: number;
}

const toPixel = (v: number, extent: number, size: number) => ((v + extent) / (2 * extent)) * size;

export function drawBoundary(canvas: HTMLCanvasElement, d: BoundaryData): void {
  const ctx = canvas.getContext('2d')!;
  const { width, height } = canvas;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, width, height);
  if (d.grid) {
    const n = d.gridSize;
    const img = new ImageData(n, n);
    for (let i = 0; i < n * n; i++) {
      const [r, g, b] = probabilityRgb(d.grid[i]);
      img.data.set([r, g, b, 255], 4 * i);
    }
    const small = document.createElement('canvas');
    small.width = n;
    small.height = n;
    small.getContext('2d')!.putImageData(img, 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(small, 0, 0, width, height);
  }
  const dot = (p: Points, i: number, stroke: string) => {
    const x = toPixel(p.x[2 * i], d.extent, width);
    const y = height - toPixel(p.x[2 * i + 1], d.extent, height);
    ctx.beginPath();
    ctx.arc(x, y, 3.5, 0, 2 * Math.PI);
    ctx.fillStyle = css(p.y[i] ? BLUE : ORANGE);
    ctx.fill();
    ctx.strokeStyle = stroke;
    ctx.lineWidth = 1;
    ctx.stroke();
  };
  for (let i = 0; i < d.train.y.length; i++) dot(d.train, i, '#fff');
  if (d.showTest) for (let i = 0; i < d.test.y.length; i++) dot(d.test, i, '#222');
  if (d.selected < d.train.y.length) {
    const i = d.selected;
    ctx.beginPath();
    ctx.arc(
      toPixel(d.train.x[2 * i], d.extent, width),
      height - toPixel(d.train.x[2 * i + 1], d.extent, height),
      8,
      0,
      2 * Math.PI,
    );
    ctx.strokeStyle = '#000';
    ctx.lineWidth = 2;
    ctx.stroke();
  }
}

/** The training point nearest to a click on the canvas. */
export function pickSample(canvas: HTMLCanvasElement, e: MouseEvent, extent: number, train: Points): number {
  const rect = canvas.getBoundingClientRect();
  const x = ((e.clientX - rect.left) / rect.width) * 2 * extent - extent;
  const y = extent - ((e.clientY - rect.top) / rect.height) * 2 * extent;
  let best = 0;
  let bestD = Infinity;
  for (let i = 0; i < train.y.length; i++) {
    const d = (train.x[2 * i] - x) ** 2 + (train.x[2 * i + 1] - y) ** 2;
    if (d < bestD) [best, bestD] = [i, d];
  }
  return best;
}
