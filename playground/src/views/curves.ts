/** Line charts over epochs: the train and test loss, and the per-layer gradient norms (log scale). */
export interface Series {
  label: string;
  color: string;
  xs: number[];
  ys: number[];
}

export interface ChartOptions {
  title: string;
  logY?: boolean;
}

function finiteRange(values: number[], log: boolean): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v) || (log && v <= 0)) continue;
    const w = log ? Math.log10(v) : v;
    lo = Math.min(lo, w);
    hi = Math.max(hi, w);
  }
  if (lo === Infinity) return [0, 1];
  if (hi - lo < 1e-9) return [lo - 0.5, hi + 0.5];
  return [log ? lo : Math.min(0, lo), hi];
}

const label = (v: number, log: boolean) => (log ? `1e${v.toFixed(0)}` : v.toPrecision(2));

export function drawChart(canvas: HTMLCanvasElement, series: Series[], opts: ChartOptions): void {
  const ctx = canvas.getContext('2d')!;
  const { width, height } = canvas;
  const log = opts.logY ?? false;
  const pad = { left: 44, right: 8, top: 20, bottom: 20 };
  ctx.clearRect(0, 0, width, height);
  ctx.font = '11px system-ui, sans-serif';
  ctx.fillStyle = '#333';
  ctx.fillText(opts.title, pad.left, 13);
  const xs = series.flatMap((s) => s.xs);
  const xMax = Math.max(1e-9, ...xs.filter(Number.isFinite));
  let [yLo, yHi] = finiteRange(
    series.flatMap((s) => s.ys),
    log,
  );
  if (log) [yLo, yHi] = [Math.floor(yLo), Math.ceil(yHi)];
  const w = width - pad.left - pad.right;
  const h = height - pad.top - pad.bottom;
  const px = (x: number) => pad.left + (x / xMax) * w;
  const py = (y: number) => pad.top + (1 - ((log ? Math.log10(y) : y) - yLo) / (yHi - yLo)) * h;
  ctx.strokeStyle = '#bbb';
  ctx.lineWidth = 1;
  ctx.strokeRect(pad.left, pad.top, w, h);
  ctx.fillStyle = '#555';
  ctx.fillText(label(yHi, log), 2, pad.top + 8);
  ctx.fillText(label(yLo, log), 2, pad.top + h);
  ctx.fillText(`epoch ${xMax.toFixed(xMax < 10 ? 1 : 0)}`, width - pad.right - 70, height - 5);
  series.forEach((s, k) => {
    ctx.strokeStyle = s.color;
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    let pen = false;
    s.xs.forEach((x, i) => {
      const y = s.ys[i];
      if (!Number.isFinite(y) || (log && y <= 0)) {
        pen = false;
        return;
      }
      if (pen) ctx.lineTo(px(x), py(y));
      else ctx.moveTo(px(x), py(y));
      pen = true;
    });
    ctx.stroke();
    ctx.fillStyle = s.color;
    ctx.fillText(s.label, pad.left + 6 + (k % 4) * 70, pad.top + 12 + Math.floor(k / 4) * 12);
  });
}
