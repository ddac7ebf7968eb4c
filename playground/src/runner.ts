/**
 * Drives a Trainer from commands, training in slices: a few steps, then a progress report, then a
 * pause that lets messages in (pause, one step) and, on the main thread, lets the page draw.
 */
import type { Command, Reply } from './protocol.js';
import { Trainer } from './trainer.js';

/** Per speed setting (1–5): steps per slice, time budget of a slice (ms) and the pause after it. */
const SPEEDS = [
  { steps: 1, budget: Infinity, pause: 250 },
  { steps: 1, budget: Infinity, pause: 40 },
  { steps: 10, budget: 16, pause: 16 },
  { steps: Infinity, budget: 16, pause: 0 },
  { steps: Infinity, budget: 50, pause: 0 },
];

function describe(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

export type Post = (reply: Reply, transfer?: Transferable[]) => void;

export class Runner {
  private trainer: Trainer | null = null;
  private running = false;
  private timer: ReturnType<typeof setTimeout> | null = null;

  /**
   * @param thread where it runs ('worker' or 'main thread'), for the page's status line
   * @param maxBudget the longest slice (ms): short on the main thread so that the page stays responsive
   */
  constructor(
    private readonly post: Post,
    private readonly thread: string,
    private readonly maxBudget = Infinity,
  ) {}

  receive(command: Command): void {
    try {
      this.handle(command);
    } catch (e) {
      this.stop();
      this.post({ type: 'error', message: describe(e) });
    }
  }

  private handle(command: Command): void {
    if (command.type === 'init') {
      this.stop();
      const t = new Trainer(command.config);
      this.trainer = t;
      const { train, test, extent } = t.split;
      const sizes = [2, ...command.config.hidden, 1];
      this.post({ type: 'ready', backend: t.backend, thread: this.thread, train, test, extent, sizes });
      this.report();
      return;
    }
    const t = this.trainer;
    if (!t) throw new Error(`'${command.type}' before 'init'`);
    switch (command.type) {
      case 'start':
        if (!this.running) {
          this.running = true;
          this.schedule(0);
        }
        break;
      case 'pause':
        this.stop();
        this.report();
        break;
      case 'step': {
        this.stop();
        const detail = t.oneStep();
        this.post(detail);
        this.report();
        break;
      }
      case 'live':
        t.setLive(command.settings);
        break;
      case 'select':
        t.sample = command.sample;
        break;
    }
  }

  private stop(): void {
    this.running = false;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => this.slice(), ms);
  }

  private slice(): void {
    this.timer = null;
    const t = this.trainer;
    if (!this.running || !t) return;
    try {
      const speed = SPEEDS[Math.min(SPEEDS.length, Math.max(1, Math.round(t.speed))) - 1];
      const budget = Math.min(speed.budget, this.maxBudget);
      const start = performance.now();
      let steps = 0;
      do {
        t.trainStep();
        steps++;
      } while (steps < speed.steps && performance.now() - start < budget);
      this.report();
      this.schedule(speed.pause);
    } catch (e) {
      this.stop();
      this.post({ type: 'error', message: describe(e) });
    }
  }

  private report(): void {
    const p = this.trainer!.progress(this.running);
    this.post(p, [p.grid.buffer]);
  }
}
