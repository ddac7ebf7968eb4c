/**
 * The network as a graph: one column of units per layer, every weight a line coloured by its sign
 * (blue positive, orange negative), its thickness and opacity growing with its magnitude.
 */
import type { Matrix } from '../protocol.js';
import { signedColor } from './colors.js';

export function drawNetwork(canvas: HTMLCanvasElement, sizes: number[], weights: Matrix[] | null): void {
  const ctx = canvas.getContext('2d')!;
  const { width, height } = canvas;
  ctx.clearRect(0, 0, width, height);
  const top = 16;
  const bottom = 22;
  const column = (l: number) => 24 + (l * (width - 48)) / Math.max(1, sizes.length - 1);
  const step = (n: number) => Math.min(28, (height - top - bottom) / Math.max(1, n));
  const unit = (l: number, j: number): [number, number] => {
    const n = sizes[l];
    const s = step(n);
    return [column(l), top + (height - top - bottom - s * n) / 2 + s * (j + 0.5)];
  };
  const scale = weights ? Math.max(1e-6, ...weights.flatMap((m) => m.values.map(Math.abs))) : 1;
  if (weights) {
    weights.forEach((m, l) => {
      for (let j = 0; j < m.rows; j++) {
        for (let i = 0; i < m.cols; i++) {
          const w = m.values[j * m.cols + i];
          const [x0, y0] = unit(l, i);
          const [x1, y1] = unit(l + 1, j);
          ctx.strokeStyle = signedColor(w, scale);
          ctx.lineWidth = 0.5 + 3.5 * Math.min(1, Math.abs(w) / scale);
          ctx.beginPath();
          ctx.moveTo(x0, y0);
          ctx.lineTo(x1, y1);
          ctx.stroke();
        }
      }
    });
  }
  ctx.font = '11px system-ui, sans-serif';
  ctx.textAlign = 'center';
  sizes.forEach((n, l) => {
    const r = Math.min(7, step(n) / 2 - 1);
    for (let j = 0; j < n; j++) {
      const [x, y] = unit(l, j);
      ctx.beginPath();
      ctx.arc(x, y, r, 0, 2 * Math.PI);
      ctx.fillStyle = '#fff';
      ctx.fill();
      ctx.strokeStyle = '#444';
      ctx.lineWidth = 1;
      ctx.stroke();
    }
    const name = l === 0 ? 'input' : l === sizes.length - 1 ? 'output' : `hidden ${l}`;
    ctx.fillStyle = '#333';
    ctx.fillText(name, column(l), height - 6);
  });
  ctx.textAlign = 'start';
  ctx.fillText(`|w| max ${scale.toFixed(2)}`, 4, 11);
}
