/**
 * Drives a Trainer from commands, training in slices: a few steps, then a progress report, then a
 * pause that lets messages in (pause, one step) and, on the main thread, lets the page draw.
 * Commands are handled one after another, each awaited (choosing WebGPU and reading values are
 * asynchronous).
 */
import { availableBackends, useBackend } from './backends.js';
import type { Command, Reply } from './protocol.js';
import { Trainer } from './trainer.js';

/** Per speed setting (1–5): steps per slice, time budget of a slice (ms) and the pause after it. */
/** On a backend that reads asynchronously, wait for the device every this many steps of a slice. */
const DEVICE_WAIT_STEPS = 8;

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
  /** Bumped by every stop, so that a slice still awaiting the device does not schedule another. */
  private generation = 0;
  private queue: Promise<void> = Promise.resolve();

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
    this.queue = this.queue
      .then(() => this.handle(command))
      .catch((e) => {
        this.stop();
        this.post({ type: 'error', message: describe(e) });
      });
  }

  private async handle(command: Command): Promise<void> {
    if (command.type === 'init') {
      this.stop();
      this.trainer = null;
      const backend = await useBackend(command.config.backend ?? 'auto');
      const t = new Trainer(command.config);
      this.trainer = t;
      const { train, test, extent } = t.split;
      const sizes = [2, ...command.config.hidden, 1];
      const backends = await availableBackends();
      this.post({ type: 'ready', backend, backends, thread: this.thread, train, test, extent, sizes });
      await this.report(t);
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
        await this.report(t);
        break;
      case 'step': {
        this.stop();
        this.post(await t.oneStep());
        await this.report(t);
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
    this.generation++;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(ms: number): void {
    const generation = this.generation;
    this.timer = setTimeout(() => void this.slice(generation), ms);
  }

  private async slice(generation: number): Promise<void> {
    this.timer = null;
    const t = this.trainer;
    if (!this.running || !t || generation !== this.generation) return;
    try {
      const speed = SPEEDS[Math.min(SPEEDS.length, Math.max(1, Math.round(t.speed))) - 1];
      const budget = Math.min(speed.budget, this.maxBudget);
      const start = performance.now();
      let steps = 0;
      do {
        const loss = t.trainStep();
        steps++;
        // Queuing steps costs the host little: wait for the device, so that the budget means time.
        if (t.readsAsync && steps % DEVICE_WAIT_STEPS === 0) await loss.data();
      } while (steps < speed.steps && performance.now() - start < budget && generation === this.generation);
      await this.report(t);
      if (this.running && generation === this.generation) this.schedule(speed.pause);
    } catch (e) {
      this.stop();
      this.post({ type: 'error', message: describe(e) });
    }
  }

  private async report(t: Trainer): Promise<void> {
    const p = await t.progress();
    // A report of a network replaced meanwhile (reset) is dropped.
    if (t !== this.trainer) return;
    p.running = this.running;
    this.post(p, [p.grid.buffer]);
  }
}
