/**
 * The Web Worker that trains: it runs the library (by default the wasm backend where the page is
 * cross-origin isolated, else the js backend; or the one chosen on the page, WebGPU included) off
 * the page's main thread.
 */
import { getBackend } from 'chainrule';
import type { Command } from './protocol.js';
import { Runner } from './runner.js';

const scope = self as unknown as {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  onmessage: ((e: MessageEvent<Command>) => void) | null;
};

const runner = new Runner((reply, transfer) => scope.postMessage(reply, transfer ?? []), 'worker');
scope.onmessage = (e) => runner.receive(e.data);
// Tells the page that the worker loaded (else it trains on the main thread).
scope.postMessage({ type: 'hello', backend: getBackend().name });
