import cliProgress from 'cli-progress';
import type { Callback, EpochLogs, TrainState } from '../train/callbacks.js';

export interface ProgressOptions {
  /** Batches per epoch (a DataLoader's length), for the bar's total and the ETA. */
  total?: number;
  /** Where to write (default process.stdout). */
  stream?: NodeJS.WriteStream;
  /** Force the plain line-per-epoch output even on a terminal. */
  plain?: boolean;
}

export function formatLogs(logs: EpochLogs): string {
  return Object.entries(logs)
    .filter(([k]) => k !== 'seconds' && k !== 'samplesPerSecond')
    .map(
      ([k, v]) =>
        `${k} ${Math.abs(v) >= 1000 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : v.toFixed(4)}`,
    )
    .join('  ');
}

/**
 * A progress bar per epoch on a terminal (loss, speed, ETA); plain log lines, one per epoch, when the
 * output is not a terminal (CI logs, pipes).
 */
export class ProgressBar implements Callback {
  private bar: cliProgress.SingleBar | null = null;
  private seen = 0;
  private lossSum = 0;
  private started = 0;
  private readonly stream: NodeJS.WriteStream;
  private readonly tty: boolean;

  constructor(private readonly opts: ProgressOptions = {}) {
    this.stream = opts.stream ?? process.stdout;
    this.tty = !opts.plain && Boolean(this.stream.isTTY);
  }

  onEpochBegin(epoch: number): void {
    this.seen = 0;
    this.lossSum = 0;
    this.started = Date.now();
    if (!this.tty) return;
    this.bar = new cliProgress.SingleBar(
      {
        stream: this.stream,
        format: `epoch ${epoch + 1} [{bar}] {value}/{total} loss {loss} | {speed} samples/s | ETA {eta_formatted}`,
        hideCursor: true,
        clearOnComplete: true,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(this.opts.total ?? 0, 0, { loss: '-', speed: '-' });
  }

  onBatchEnd(_batch: number, logs: { loss: number; size: number }): void {
    this.seen += logs.size;
    this.lossSum += logs.loss * logs.size;
    if (!this.bar) return;
    const secs = (Date.now() - this.started) / 1000;
    this.bar.increment(1, {
      loss: (this.lossSum / this.seen).toFixed(4),
      speed: secs > 0 ? Math.round(this.seen / secs) : '-',
    });
  }

  onEpochEnd(epoch: number, logs: EpochLogs, _state: TrainState): void {
    this.bar?.stop();
    this.bar = null;
    const speed = Math.round(logs.samplesPerSecond ?? 0);
    this.stream.write(
      `epoch ${epoch + 1}  ${formatLogs(logs)}  (${(logs.seconds ?? 0).toFixed(1)} s, ${speed} samples/s)\n`,
    );
  }
}
