import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Callback, EpochLogs } from '../train/callbacks.js';

/** Writes one CSV row per epoch (header from the first epoch's keys). */
export class CsvLogger implements Callback {
  private keys: string[] | null = null;
  constructor(readonly path: string) {}

  onTrainBegin(): void {
    mkdirSync(dirname(this.path), { recursive: true });
    writeFileSync(this.path, '');
    this.keys = null;
  }

  onEpochEnd(epoch: number, logs: EpochLogs): void {
    if (!this.keys) {
      this.keys = Object.keys(logs);
      appendFileSync(this.path, ['epoch', ...this.keys].join(',') + '\n');
    }
    appendFileSync(this.path, [epoch, ...this.keys.map((k) => logs[k] ?? '')].join(',') + '\n');
  }
}

/** Writes one JSON object per line per epoch. */
export class JsonlLogger implements Callback {
  constructor(readonly path: string) {}

  onTrainBegin(): void {
    mkdirSync(dirname(this.path), { recursive: true });
    writeFileSync(this.path, '');
  }

  onEpochEnd(epoch: number, logs: EpochLogs): void {
    appendFileSync(this.path, JSON.stringify({ epoch, ...logs }) + '\n');
  }
}
