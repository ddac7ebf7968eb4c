/**
 * What the character-level language models (char-lstm, char-gpt) share: Tiny Shakespeare as
 * character ids, random training windows, the validation loss over the whole validation split,
 * text generation, progress lines and `sampleCheckpoint`, which rebuilds a model from its checkpoint
 * alone (the vocabulary travels in the checkpoint) and writes text.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Tensor } from '../src/index.js';
import { Generator, IndexError, narrow, nn, noGrad, reshape, tensor } from '../src/index.js';
import { loadCheckpoint, readCheckpoint } from '../src/node/index.js';
import type { Summary } from './common.js';
import { round } from './common.js';
import { CharLSTM } from './char-lstm/model.js';
import type { CharLSTMConfig } from './char-lstm/model.js';
import { GPT } from './char-gpt/model.js';
import type { GPTConfig } from './char-gpt/model.js';

/** An LSTM's state between chunks: [h, c], each [numLayers, B, hiddenSize]. */
export type RecurrentState = [Tensor, Tensor];

/** What generation and evaluation need of a character model. */
export interface CharModel extends nn.Module {
  /** The longest context it reads at once; null for a recurrent model (any length, state carried). */
  readonly blockSize: number | null;
  /** Next-character logits [B, T, V] for token ids [B, T], and the state after them (recurrent only). */
  predict(tokens: Tensor, state?: RecurrentState | null): [Tensor, RecurrentState | null];
}

export const TEXT_FILE = 'input.txt';

/**
 * Where Tiny Shakespeare is looked for without --data: the shared data folder beside the repository
 * (from the package's own location, then from the working directory).
 */
export function defaultTextDirs(): string[] {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const dirs = [resolve(root, '../shared/data/tinyshakespeare'), resolve('../shared/data/tinyshakespeare')];
  return [...new Set(dirs)];
}

/** The characters of a text, sorted by code point; ids are positions in this list. */
export class Vocabulary {
  readonly chars: readonly string[];
  private readonly ids: Map<string, number>;

  constructor(chars: Iterable<string>) {
    this.chars = [...chars];
    this.ids = new Map(this.chars.map((c, i) => [c, i]));
    if (this.ids.size !== this.chars.length) throw new IndexError('Vocabulary: repeated characters');
  }

  static fromText(text: string): Vocabulary {
    return new Vocabulary([...new Set(text)].sort());
  }

  get size(): number {
    return this.chars.length;
  }

  encode(text: string): Int32Array {
    const chars = [...text];
    const out = new Int32Array(chars.length);
    chars.forEach((c, i) => {
      const id = this.ids.get(c);
      if (id === undefined) {
        throw new IndexError(
          `Vocabulary.encode: character ${JSON.stringify(c)} is not in the vocabulary of ${this.size} characters ${JSON.stringify(this.toString())}`,
        );
      }
      out[i] = id;
    });
    return out;
  }

  decode(ids: ArrayLike<number>): string {
    let s = '';
    for (let i = 0; i < ids.length; i++) s += this.chars[ids[i]];
    return s;
  }

  /** All characters as one string (how a checkpoint stores the vocabulary). */
  toString(): string {
    return this.chars.join('');
  }
}

export interface CharText {
  path: string;
  vocab: Vocabulary;
  /** The first 90% of the text as ids, and the last 10%. */
  train: Int32Array;
  val: Int32Array;
}

/** Reads DIR/input.txt; the vocabulary comes from the whole text, the split is 90% / 10%. */
export function loadCharText(dir?: string): CharText {
  const candidates = dir ? [resolve(dir)] : defaultTextDirs();
  const found = candidates.find((d) => existsSync(join(d, TEXT_FILE)));
  if (!found) {
    throw new Error(
      `no ${TEXT_FILE} in ${candidates.join(' or ')}: give the folder of Tiny Shakespeare with --data DIR`,
    );
  }
  const path = join(found, TEXT_FILE);
  const text = readFileSync(path, 'utf8');
  const vocab = Vocabulary.fromText(text);
  const ids = vocab.encode(text);
  const n = Math.floor(ids.length * 0.9);
  return { path, vocab, train: ids.subarray(0, n), val: ids.subarray(n) };
}

/**
 * nanoGPT's get_batch: batchSize windows of blockSize characters at random offsets from the
 * generator; the targets are the inputs shifted by one character. Both int32 [batchSize, blockSize].
 */
export function randomBatch(
  data: Int32Array,
  batchSize: number,
  blockSize: number,
  generator: Generator,
): { x: Tensor; y: Tensor } {
  if (data.length <= blockSize) {
    throw new IndexError(`randomBatch: ${data.length} characters are too few for windows of ${blockSize}`);
  }
  const x = new Int32Array(batchSize * blockSize);
  const y = new Int32Array(batchSize * blockSize);
  for (let b = 0; b < batchSize; b++) {
    const i = generator.nextInt(0, data.length - blockSize);
    x.set(data.subarray(i, i + blockSize), b * blockSize);
    y.set(data.subarray(i + 1, i + 1 + blockSize), b * blockSize);
  }
  const shape = [batchSize, blockSize];
  return { x: tensor(x, { shape }), y: tensor(y, { shape }) };
}

/** Targets that count for nothing (crossEntropy's default ignoreIndex): padding at the ends. */
const IGNORE = -100;

/**
 * Mean cross-entropy per character (nats) of predicting data[i + 1] from what precedes it, over every
 * character of `data` after the first. A recurrent model reads the text as `batchSize` streams side
 * by side, each in consecutive chunks of seqLen with its state carried from chunk to chunk. A model
 * with a context limit reads all non-overlapping windows of blockSize (the last one shorter),
 * batchSize windows at a time; each window starts without context, as in training.
 */
export function estimateValLoss(
  model: CharModel,
  data: Int32Array,
  opts: { batchSize?: number; seqLen?: number } = {},
): number {
  const predictions = data.length - 1;
  if (predictions < 1)
    throw new IndexError(`estimateValLoss: need at least 2 characters, got ${data.length}`);
  const batchSize = opts.batchSize ?? 64;
  const recurrent = model.blockSize === null;
  const streamLen = recurrent ? Math.ceil(predictions / batchSize) : model.blockSize!;
  const numStreams = Math.ceil(predictions / streamLen);
  const seqLen = recurrent ? (opts.seqLen ?? 100) : streamLen;
  const wasTraining = model.training;
  model.eval();
  let total = 0;
  noGrad(() => {
    for (let s0 = 0; s0 < numStreams; s0 += batchSize) {
      const rows = Math.min(batchSize, numStreams - s0);
      let state: RecurrentState | null = null;
      for (let j = 0; j < streamLen; j += seqLen) {
        const T = Math.min(seqLen, streamLen - j);
        const x = new Int32Array(rows * T);
        const y = new Int32Array(rows * T).fill(IGNORE);
        let any = false;
        for (let r = 0; r < rows; r++) {
          for (let t = 0; t < T; t++) {
            const p = (s0 + r) * streamLen + j + t;
            if (p >= predictions) break;
            x[r * T + t] = data[p];
            y[r * T + t] = data[p + 1];
            any = true;
          }
        }
        if (!any) break;
        const [logits, next] = model.predict(tensor(x, { shape: [rows, T] }), state);
        state = next;
        const V = logits.shape[2];
        const loss = nn.functional.crossEntropy(reshape(logits, [rows * T, V]), tensor(y), {
          reduction: 'sum',
        });
        total += loss.item() as number;
      }
    }
  });
  model.train(wasTraining);
  return total / predictions;
}

export interface GenerateOptions {
  /** Divides the logits; below 1 is more conservative, 0 always takes the likeliest character. */
  temperature?: number;
  topK?: number | null;
  topP?: number | null;
  generator?: Generator;
}

/**
 * The prompt followed by `length` generated characters, each drawn from the model's distribution
 * after everything before it. A recurrent model reads the prompt once and then one character per
 * step with its state; a windowed model rereads the last blockSize characters at every step. An
 * empty prompt starts from a newline.
 */
export function generate(
  model: CharModel,
  vocab: Vocabulary,
  prompt: string,
  length: number,
  opts: GenerateOptions = {},
): string {
  if (!Number.isInteger(length) || length < 0) {
    throw new IndexError(`generate: length must be a non-negative integer, got ${String(length)}`);
  }
  const ids = Array.from(vocab.encode(prompt === '' ? '\n' : prompt));
  const sampling = {
    temperature: opts.temperature ?? 1,
    topK: opts.topK ?? null,
    topP: opts.topP ?? null,
    generator: opts.generator,
  };
  const wasTraining = model.training;
  model.eval();
  noGrad(() => {
    let state: RecurrentState | null = null;
    let feed = ids.slice();
    for (let i = 0; i < length; i++) {
      if (model.blockSize !== null) feed = ids.slice(-model.blockSize);
      const [logits, next] = model.predict(tensor(Int32Array.from(feed), { shape: [1, feed.length] }), state);
      state = next;
      const last = reshape(narrow(logits, 1, feed.length - 1, 1), [1, vocab.size]);
      const id = nn.sampleNext(last, sampling).item() as number;
      ids.push(id);
      feed = [id];
    }
  });
  model.train(wasTraining);
  return vocab.decode(ids);
}

/** What the char examples keep in their checkpoint's `extra`. */
export interface CharExtra {
  example: 'char-lstm' | 'char-gpt';
  /** The example's configuration; the model's shape is read from it. */
  config: Record<string, unknown>;
  /** The vocabulary as one string of characters, so sampling needs no data set. */
  vocab: string;
  /** Training iterations completed. */
  iteration: number;
  [key: string]: unknown;
}

/** The model a char example saved, built from the checkpoint's extra (weights not yet loaded). */
export function buildCharModel(extra: CharExtra): CharModel {
  const vocabSize = [...extra.vocab].length;
  // The saved configuration holds the training settings too: only the model's own fields are taken.
  if (extra.example === 'char-lstm') {
    const { embeddingDim, hiddenSize, numLayers } = extra.config as unknown as CharLSTMConfig;
    return new CharLSTM({ vocabSize, embeddingDim, hiddenSize, numLayers });
  }
  if (extra.example === 'char-gpt') {
    const { blockSize, nLayer, nHead, nEmbd, dropout, bias, gelu } = extra.config as unknown as GPTConfig;
    return new GPT({ vocabSize, blockSize, nLayer, nHead, nEmbd, dropout, bias, gelu });
  }
  throw new IndexError(`buildCharModel: unknown example '${String(extra.example)}'`);
}

/** Reads and checks the char example's extra of a checkpoint. */
export function readCharExtra(path: string): CharExtra {
  const extra = readCheckpoint(path).extra as Partial<CharExtra> | undefined;
  if (
    !extra ||
    (extra.example !== 'char-lstm' && extra.example !== 'char-gpt') ||
    typeof extra.vocab !== 'string' ||
    typeof extra.config !== 'object'
  ) {
    throw new Error(
      `${path}: not a checkpoint of char-lstm or char-gpt (it names ${typeof extra?.example === 'string' ? `'${extra.example}'` : 'no example'})`,
    );
  }
  return extra as CharExtra;
}

export interface SampleOptions extends Omit<GenerateOptions, 'generator'> {
  /** Default: a newline. */
  prompt?: string;
  /** Characters to generate after the prompt (default 500). */
  length?: number;
  /** Seed of the sampling generator (default 0). */
  seed?: number;
}

/**
 * `chainrule sample <checkpoint>`: rebuilds the char-lstm or char-gpt model from its checkpoint
 * (example name, configuration and vocabulary are in the checkpoint) and returns the prompt with
 * `length` generated characters. Temperature 0.8 unless given.
 */
export function sampleCheckpoint(path: string, opts: SampleOptions = {}): string {
  const extra = readCharExtra(path);
  const model = buildCharModel(extra);
  loadCheckpoint(path, { model, generators: {} });
  return generate(model, new Vocabulary(extra.vocab), opts.prompt ?? '', opts.length ?? 500, {
    temperature: opts.temperature ?? 0.8,
    topK: opts.topK,
    topP: opts.topP,
    generator: new Generator(opts.seed ?? 0),
  });
}

/**
 * `chainrule eval <checkpoint>`: the validation loss of a saved char model over the whole validation
 * split (--quick: over the first 1,000 characters), read as in training.
 */
export function evaluateCharCheckpoint(path: string, opts: { data?: string; quick?: boolean }): Summary {
  const extra = readCharExtra(path);
  const model = buildCharModel(extra);
  loadCheckpoint(path, { model, generators: {} });
  const text = loadCharText(opts.data);
  if (text.vocab.toString() !== extra.vocab) {
    throw new Error(`${path}: the model was trained on a different text (its vocabulary differs)`);
  }
  const val = opts.quick ? text.val.subarray(0, 1000) : text.val;
  const batchSize = extra.example === 'char-lstm' ? (extra.config.batchSize as number) : 64;
  return {
    example: extra.example,
    checkpoint: path,
    iterations: extra.iteration,
    valLoss: round(estimateValLoss(model, val, { batchSize, seqLen: 100 })),
    validationCharacters: val.length,
  };
}

/** A progress line every `every` iterations: the mean training loss and iterations/s since the last. */
/** What a finished training run reports (both char examples). */
export interface CharRunEnd {
  model: CharModel;
  vocab: Vocabulary;
  sampling: {
    samplePrompt: string;
    sampleLength: number;
    temperature: number;
    topK?: number | null;
    seed: number;
  };
  checkpoint: string;
  valLoss: number;
  iteration: number;
  firstIteration: number;
  trainSeconds: number;
  started: number;
}

/** Prints a sample and the command for more, and returns the run's summary. */
export function finishCharRun(name: string, r: CharRunEnd): Summary {
  const c = r.sampling;
  const sample = generate(r.model, r.vocab, c.samplePrompt, c.sampleLength, {
    temperature: c.temperature,
    topK: c.topK,
    generator: new Generator(c.seed + 2),
  });
  console.log(`sample (prompt ${JSON.stringify(c.samplePrompt)}, temperature ${c.temperature}):\n${sample}`);
  console.log(`to sample more: npx chainrule sample ${r.checkpoint} --prompt "ROMEO:"`);
  return {
    example: name,
    valLoss: round(r.valLoss),
    iterationsPerSecond: round((r.iteration - r.firstIteration) / r.trainSeconds, 2),
    iterations: r.iteration,
    seconds: round((Date.now() - r.started) / 1000, 1),
    sample,
    checkpoint: r.checkpoint,
  };
}

export class ProgressLog {
  private lossSum = 0;
  private count = 0;
  private seconds = 0;

  constructor(
    private readonly total: number,
    private readonly every: number,
    private readonly print: (line: string) => void = console.log,
  ) {}

  /** Records one iteration (1-based number, its loss, its seconds); prints when one is due. */
  step(iteration: number, loss: number, seconds: number, note = ''): void {
    this.lossSum += loss;
    this.count++;
    this.seconds += seconds;
    if (iteration % this.every !== 0 && iteration !== this.total) return;
    const width = String(this.total).length;
    this.print(
      `iter ${String(iteration).padStart(width)}/${this.total}  loss ${(this.lossSum / this.count).toFixed(4)}  ` +
        `${(this.count / this.seconds).toFixed(2)} it/s${note ? `  ${note}` : ''}`,
    );
    this.lossSum = 0;
    this.count = 0;
    this.seconds = 0;
  }
}
