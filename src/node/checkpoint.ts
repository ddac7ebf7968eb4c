/**
 * Training checkpoints: model, optimizer and scheduler state, epoch and random-generator states in
 * one safetensors file. Tensors keep their dtype byte for byte; everything else is JSON in the
 * file's "__metadata__", so that resuming continues exactly like an uninterrupted run.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Module, StateDict } from '../nn/module.js';
import { StateDictError } from '../nn/module.js';
import type { OptimizerStateDict } from '../optim/optimizer.js';
import { ChainruleError, DTypeError } from '../tensor/errors.js';
import type { Generator } from '../tensor/random.js';
import { defaultGenerator } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { FormatError } from '../io/errors.js';
import { decodeAs } from '../io/safetensors.js';
import { readFileBytes, saveSafetensors } from './files.js';

export const CHECKPOINT_FORMAT = 'chainrule-checkpoint';
export const CHECKPOINT_VERSION = 1;

/** What a checkpoint needs of an optimizer (every chainrule optimizer). */
export interface CheckpointOptimizer {
  stateDict(): OptimizerStateDict;
  loadStateDict(sd: OptimizerStateDict): void;
}

/** What a checkpoint needs of a learning-rate scheduler (every chainrule scheduler). */
export interface CheckpointScheduler {
  stateDict(): Record<string, unknown>;
  loadStateDict(sd: Record<string, unknown>): void;
}

export type GeneratorState = ReturnType<Generator['getState']>;

export interface SaveCheckpointOptions {
  model: Module;
  optimizer?: CheckpointOptimizer;
  scheduler?: CheckpointScheduler;
  /** Epochs completed; pass it back to fit() as initialEpoch when resuming. */
  epoch?: number;
  /** Generators whose states are saved, by name (default: { default: defaultGenerator }). */
  generators?: Record<string, Generator>;
  /** Anything JSON can hold (numbers may be non-finite), returned by loadCheckpoint. */
  extra?: unknown;
}

export interface LoadCheckpointOptions {
  model: Module;
  optimizer?: CheckpointOptimizer;
  scheduler?: CheckpointScheduler;
  /**
   * Generators to restore, by the names they were saved under; each must be in the file. Default:
   * the default generator, if the file holds one.
   */
  generators?: Record<string, Generator>;
}

/** The parts of a checkpoint as stored, without restoring anything (see readCheckpoint). */
export interface CheckpointContents {
  version: number;
  /** The model's state dict (without the 'model.' prefix). */
  model: StateDict;
  /** The class name of the saved model, e.g. 'Sequential'. */
  modelClass?: string;
  optimizer?: { className: string; stateDict: OptimizerStateDict };
  scheduler?: { className: string; stateDict: Record<string, unknown> };
  epoch?: number;
  generators: Record<string, GeneratorState>;
  extra?: unknown;
}

/** JSON that keeps ±Infinity, NaN and −0 (plain JSON turns them into null or 0). */
function toJson(op: string, what: string, value: unknown): string {
  try {
    return JSON.stringify(value, (_k, v: unknown) => {
      if (v instanceof Tensor) throw new DTypeError(`a Tensor cannot be stored as JSON`);
      if (typeof v === 'number' && (!Number.isFinite(v) || Object.is(v, -0))) {
        return { $number: Object.is(v, -0) ? '-0' : String(v) };
      }
      return v;
    });
  } catch (e) {
    throw new DTypeError(`${op}: ${what} is not JSON-serializable: ${(e as Error).message}`);
  }
}

function fromJson(text: string): unknown {
  return JSON.parse(text, (_k, v: unknown) => {
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
      const keys = Object.keys(v);
      if (keys.length === 1 && keys[0] === '$number') return Number((v as { $number: string }).$number);
    }
    return v;
  });
}

function className(obj: object): string {
  return obj.constructor?.name ?? 'Object';
}

/**
 * Writes a checkpoint atomically (temporary file, then rename), creating the folder if needed.
 * Tensors: the model's state dict under 'model.', the optimizer's per-parameter state tensors under
 * 'optimizer.<index>.<name>'; everything else is JSON in the metadata.
 */
export function saveCheckpoint(path: string, opts: SaveCheckpointOptions): void {
  const op = 'saveCheckpoint';
  if (!opts || typeof opts.model?.stateDict !== 'function') {
    throw new DTypeError(`${op}: expected { model, optimizer?, scheduler?, epoch?, generators?, extra? }`);
  }
  const { model, optimizer, scheduler, epoch, extra } = opts;
  if (epoch !== undefined && !(Number.isInteger(epoch) && epoch >= 0)) {
    throw new DTypeError(`${op}: epoch must be a non-negative integer, got ${String(epoch)}`);
  }
  const tensors: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(model.stateDict())) tensors[`model.${k}`] = t;
  const meta: Record<string, string> = {
    format: CHECKPOINT_FORMAT,
    format_version: String(CHECKPOINT_VERSION),
    model_class: className(model),
  };
  if (optimizer) {
    const sd = optimizer.stateDict();
    // Tensors go to the tensor section (exact bytes); numbers and arrays stay in the JSON.
    const state: Record<string, Record<string, unknown>> = {};
    for (const [i, entry] of Object.entries(sd.state)) {
      state[i] = {};
      for (const [k, v] of Object.entries(entry)) {
        if (v instanceof Tensor) tensors[`optimizer.${i}.${k}`] = v;
        else state[i][k] = v;
      }
    }
    const packed = { class: className(optimizer), state, paramGroups: sd.paramGroups };
    meta.optimizer = toJson(op, 'the optimizer state', packed);
  }
  if (scheduler) {
    const packed = { class: className(scheduler), state: scheduler.stateDict() };
    meta.scheduler = toJson(op, 'the scheduler state', packed);
  }
  if (epoch !== undefined) meta.epoch = String(epoch);
  const generators = opts.generators ?? { default: defaultGenerator };
  meta.generators = toJson(
    op,
    'the generator states',
    Object.fromEntries(Object.entries(generators).map(([k, g]) => [k, g.getState()])),
  );
  if (extra !== undefined) meta.extra = toJson(op, 'extra', extra);
  mkdirSync(dirname(path), { recursive: true });
  saveSafetensors(path, tensors, meta);
}

/**
 * Reads a checkpoint's parts without restoring anything (e.g. the model weights for evaluation). A
 * missing, truncated or foreign file throws an error naming the path and what is wrong.
 */
export function readCheckpoint(path: string): CheckpointContents {
  return readAs('readCheckpoint', path);
}

function readAs(op: string, path: string): CheckpointContents {
  const { tensors, metadata } = decodeAs(op, readFileBytes(op, path, 'a checkpoint'), path);
  const fail = (msg: string): never => {
    throw new FormatError(`${op}: ${path}: ${msg}`);
  };
  if (metadata?.format !== CHECKPOINT_FORMAT) {
    const names = Object.keys(tensors);
    fail(
      `a safetensors file, but not a chainrule checkpoint (no "format": "${CHECKPOINT_FORMAT}" in its metadata; ` +
        `it holds ${names.length} tensors${names.length ? `, e.g. '${names[0]}'` : ''}). ` +
        'For plain weights use loadSafetensors and module.loadStateDict',
    );
  }
  const meta = metadata!;
  const version = Number(meta.format_version);
  if (!Number.isInteger(version) || version < 1)
    fail(`invalid format_version ${JSON.stringify(meta.format_version)}`);
  if (version > CHECKPOINT_VERSION) {
    fail(`checkpoint format version ${version} is newer than this chainrule reads (${CHECKPOINT_VERSION})`);
  }
  const parse = (key: string): unknown => {
    try {
      return fromJson(meta[key]);
    } catch (e) {
      return fail(`metadata "${key}" is not valid JSON (${(e as Error).message}): the file is damaged`);
    }
  };
  const out: CheckpointContents = { version, model: {}, generators: {} };
  if (meta.model_class !== undefined) out.modelClass = meta.model_class;
  const optTensors: Record<string, Record<string, Tensor>> = {};
  for (const [name, t] of Object.entries(tensors)) {
    if (name.startsWith('model.')) {
      setOwn(out.model, name.slice(6), t);
    } else if (name.startsWith('optimizer.')) {
      const rest = name.slice(10);
      const dot = rest.indexOf('.');
      if (dot <= 0) fail(`tensor '${name}' is not of the form optimizer.<index>.<name>`);
      const index = rest.slice(0, dot);
      if (!Object.hasOwn(optTensors, index)) setOwn(optTensors, index, {});
      setOwn(optTensors[index], rest.slice(dot + 1), t);
    } else {
      fail(
        `tensor '${name}' belongs to no part of a checkpoint (expected a 'model.' or 'optimizer.' prefix)`,
      );
    }
  }
  if (meta.optimizer !== undefined) {
    const o = parse('optimizer') as { class?: unknown; state?: unknown; paramGroups?: unknown };
    if (typeof o?.state !== 'object' || o.state === null || !Array.isArray(o.paramGroups)) {
      fail('metadata "optimizer" lacks its state or paramGroups');
    }
    const state = o.state as OptimizerStateDict['state'];
    for (const [i, entry] of Object.entries(optTensors)) {
      setOwn(state, i, { ...(Object.hasOwn(state, i) ? state[i] : {}), ...entry });
    }
    out.optimizer = {
      className: String(o.class),
      stateDict: { state, paramGroups: o.paramGroups as OptimizerStateDict['paramGroups'] },
    };
  } else if (Object.keys(optTensors).length) {
    fail('it holds optimizer tensors but no optimizer metadata');
  }
  if (meta.scheduler !== undefined) {
    const s = parse('scheduler') as { class?: unknown; state?: unknown };
    if (typeof s?.state !== 'object' || s.state === null) fail('metadata "scheduler" lacks its state');
    out.scheduler = { className: String(s.class), stateDict: s.state as Record<string, unknown> };
  }
  if (meta.epoch !== undefined) {
    const e = Number(meta.epoch);
    if (!Number.isInteger(e) || e < 0) fail(`invalid epoch ${JSON.stringify(meta.epoch)}`);
    out.epoch = e;
  }
  if (meta.generators !== undefined) {
    const g = parse('generators');
    if (typeof g !== 'object' || g === null || Array.isArray(g))
      fail('metadata "generators" is not an object');
    out.generators = g as Record<string, GeneratorState>;
  }
  if (meta.extra !== undefined) out.extra = parse('extra');
  return out;
}

/** Plain assignment would let a name like '__proto__' in a hostile file replace a prototype. */
function setOwn<V>(obj: Record<string, V>, key: string, value: V): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Adds the operation and path to an error from a restoring method, keeping its class. */
function withPath(e: unknown, prefix: string): unknown {
  if (e instanceof ChainruleError) {
    const old = e.message;
    e.message = `${prefix}: ${old}`;
    // The stack starts with the message it was created with; an uncaught error prints the stack.
    if (e.stack?.includes(old)) e.stack = e.stack.replace(old, () => e.message);
  }
  return e;
}

/**
 * Restores a checkpoint in place: the model's weights and buffers, and the optimizer, scheduler
 * and generators given. That the file holds everything asked for, and of the right classes, is
 * checked before anything changes; the model is restored first (it checks all keys and shapes first).
 * Returns the saved epoch (epochs completed: fit's initialEpoch) and extra.
 */
export function loadCheckpoint(
  path: string,
  opts: LoadCheckpointOptions,
): { epoch: number | undefined; extra: unknown } {
  const op = 'loadCheckpoint';
  if (!opts || typeof opts.model?.loadStateDict !== 'function') {
    throw new DTypeError(`${op}: expected { model, optimizer?, scheduler?, generators? }`);
  }
  const ck = readAs(op, path);
  const where = `${op}: ${path}`;
  const { optimizer, scheduler } = opts;
  if (optimizer) {
    if (!ck.optimizer) throw new StateDictError(`${where}: the checkpoint holds no optimizer state`);
    if (ck.optimizer.className !== className(optimizer)) {
      throw new StateDictError(
        `${where}: the checkpoint holds ${ck.optimizer.className} state, but the optimizer is a ${className(optimizer)}`,
      );
    }
  }
  if (scheduler) {
    if (!ck.scheduler) throw new StateDictError(`${where}: the checkpoint holds no scheduler state`);
    if (ck.scheduler.className !== className(scheduler)) {
      throw new StateDictError(
        `${where}: the checkpoint holds ${ck.scheduler.className} state, but the scheduler is a ${className(scheduler)}`,
      );
    }
  }
  const generators = opts.generators ?? ('default' in ck.generators ? { default: defaultGenerator } : {});
  const missing = Object.keys(generators).filter((k) => !(k in ck.generators));
  if (missing.length) {
    const saved = Object.keys(ck.generators);
    throw new StateDictError(
      `${where}: no state for generator(s) ${missing.map((k) => `'${k}'`).join(', ')} ` +
        `(the checkpoint holds ${saved.length ? saved.map((k) => `'${k}'`).join(', ') : 'none'})`,
    );
  }
  try {
    opts.model.loadStateDict(ck.model);
  } catch (e) {
    throw withPath(e, `${where}: the model does not match the checkpoint`);
  }
  try {
    optimizer?.loadStateDict(ck.optimizer!.stateDict);
  } catch (e) {
    throw withPath(e, `${where}: the optimizer does not match the checkpoint`);
  }
  try {
    scheduler?.loadStateDict(ck.scheduler!.stateDict);
    for (const [k, g] of Object.entries(generators)) g.setState(ck.generators[k]);
  } catch (e) {
    throw withPath(e, `${where}: cannot restore the checkpoint`);
  }
  return { epoch: ck.epoch, extra: ck.extra };
}
