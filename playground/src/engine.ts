/**
 * Starts the training engine: in a Web Worker when one loads, else on the main thread (a page
 * opened from file:// may refuse workers; the training then runs in short slices between frames).
 */
import type { Command, Reply } from './protocol.js';
import { Runner } from './runner.js';
// Inlined into the bundle (a blob: URL worker), so that the built page needs no second file.
import TrainingWorker from './worker.ts?worker&inline';

export interface Engine {
  send(command: Command): void;
}

/** How long a worker may take to load before the page trains on its own thread instead. */
const WORKER_TIMEOUT_MS = 8000;

function mainThreadEngine(onReply: (r: Reply) => void): Engine {
  // Replies go through a task, as a worker's messages would, so the page never re-enters itself.
  const runner = new Runner((r) => setTimeout(() => onReply(r), 0), 'main thread', 25);
  return { send: (command) => setTimeout(() => runner.receive(command), 0) };
}

export function startEngine(onReply: (r: Reply) => void, useWorker = true): Engine {
  const queue: Command[] = [];
  let target: Engine | null = null;
  const fallBack = (why: string) => {
    if (target) return;
    console.warn(`playground: training on the main thread (${why})`);
    target = mainThreadEngine(onReply);
    for (const c of queue.splice(0)) target.send(c);
  };
  if (!useWorker || typeof Worker !== 'function') {
    fallBack(useWorker ? 'no Web Workers here' : 'asked for');
  } else {
    try {
      const worker = new TrainingWorker();
      const timer = setTimeout(() => {
        worker.terminate();
        fallBack('the worker did not start');
      }, WORKER_TIMEOUT_MS);
      worker.onerror = (e) => {
        if (target) {
          onReply({ type: 'error', message: `worker: ${e.message}` });
        } else {
          e.preventDefault();
          clearTimeout(timer);
          worker.terminate();
          fallBack(`the worker failed to load: ${e.message || 'unknown error'}`);
        }
      };
      worker.onmessage = (e: MessageEvent<Reply>) => {
        if (e.data.type === 'hello') {
          clearTimeout(timer);
          if (target) return;
          target = { send: (c) => worker.postMessage(c) };
          for (const c of queue.splice(0)) target.send(c);
        } else {
          onReply(e.data);
        }
      };
    } catch (e) {
      fallBack(`no worker: ${(e as Error).message}`);
    }
  }
  return { send: (c) => (target ? target.send(c) : queue.push(c)) };
}
