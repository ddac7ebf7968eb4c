/**
 * A character-level LSTM language model on Tiny Shakespeare (Karpathy's char-rnn setting):
 * Embedding(65, 64) → 2-layer LSTM of 128 units → Linear to 65 logits, Adam 2e-3, gradient norm
 * clipped to 5, batches of 50 sequences of 50 characters, truncated backpropagation through time.
 * Iterations are the unit (default 5,000); --epochs N sets the number of iterations.
 *
 *   npx chainrule train char-lstm --data ../shared/data/tinyshakespeare
 *   npx chainrule sample runs/char-lstm/checkpoint.safetensors --prompt "ROMEO:"
 */
import { join } from 'node:path';
import type { Tensor } from '../../src/index.js';
import { defaultGenerator, Generator, manualSeed, nn, optim, reshape, tensor } from '../../src/index.js';
import { loadCheckpoint, saveCheckpoint } from '../../src/node/index.js';
import type { CharExtra, RecurrentState } from '../char-common.js';
import {
  estimateValLoss,
  evaluateCharCheckpoint,
  finishCharRun,
  loadCharText,
  ProgressLog,
} from '../char-common.js';
import type { Example, ExampleOptions, Summary } from '../common.js';
import { makeOptimizer } from '../optimizers.js';
import { CharLSTM } from './model.js';

const CONFIG = {
  iterations: 5000,
  batchSize: 50,
  seqLen: 50,
  embeddingDim: 64,
  hiddenSize: 128,
  numLayers: 2,
  lr: 2e-3,
  optimizer: 'adam',
  clip: 5,
  seed: 0,
  evalInterval: 500,
  logInterval: 100,
  samplePrompt: 'ROMEO:',
  sampleLength: 500,
  temperature: 0.8,
  /** Validation characters used by --quick (else the whole validation split). */
  valChars: null as number | null,
};

/** --quick: a smoke test of a few seconds. */
const QUICK = { iterations: 20, evalInterval: 10, logInterval: 5, sampleLength: 30, valChars: 1000 };

/**
 * Truncated BPTT needs each batch row to continue where it stopped: the training text is cut into
 * batchSize streams of equal length, and row b of chunk i reads stream b at i·seqLen:
 *
 *   row 0: text[0·L + o + 0·T ..], then text[0·L + o + 1·T ..], then text[0·L + o + 2·T ..], ...
 *   row 1: text[1·L + o + 0·T ..], then text[1·L + o + 1·T ..], ...
 *
 * (L the stream length, T = seqLen, o an offset in [0, T) drawn anew for every pass over the text, so
 * that chunk boundaries move from pass to pass). Targets are the inputs shifted by one.
 */
export class StreamBatches {
  readonly streamLen: number;
  readonly chunksPerPass: number;

  constructor(
    readonly data: Int32Array,
    readonly batchSize: number,
    readonly seqLen: number,
  ) {
    // Room for the largest offset (seqLen − 1) and the one-character shift of the targets.
    this.streamLen = Math.floor((data.length - seqLen) / batchSize);
    this.chunksPerPass = Math.floor(this.streamLen / seqLen);
    if (this.chunksPerPass < 1) {
      throw new RangeError(
        `char-lstm: ${data.length} characters are too few for ${batchSize} streams of ${seqLen}-character chunks`,
      );
    }
  }

  /** Chunk i (0-based within its pass) with stream offset o: inputs and targets, int32 [B, T]. */
  chunk(i: number, offset: number): { x: Tensor; y: Tensor } {
    const { batchSize: B, seqLen: T } = this;
    const x = new Int32Array(B * T);
    const y = new Int32Array(B * T);
    for (let b = 0; b < B; b++) {
      const start = b * this.streamLen + offset + i * T;
      x.set(this.data.subarray(start, start + T), b * T);
      y.set(this.data.subarray(start + 1, start + T + 1), b * T);
    }
    return { x: tensor(x, { shape: [B, T] }), y: tensor(y, { shape: [B, T] }) };
  }
}

/**
 * One training step on one chunk, starting from the state the previous chunk of the same streams
 * ended in. The returned state is detached: the next chunk starts from its values, but backward
 * stops at the chunk boundary (truncated BPTT), so the graph does not grow from chunk to chunk.
 */
export function trainChunk(
  model: CharLSTM,
  optimizer: optim.Optimizer,
  x: Tensor,
  y: Tensor,
  state: RecurrentState | null,
  clip: number,
): { loss: number; state: RecurrentState } {
  const [logits, [h, c]] = model.forward(x, state);
  const [B, T, V] = logits.shape;
  const loss = nn.functional.crossEntropy(reshape(logits, [B * T, V]), reshape(y, [B * T]));
  optimizer.zeroGrad();
  loss.backward();
  nn.utils.clipGradNorm(model.parameters(), clip);
  optimizer.step();
  return { loss: loss.item() as number, state: [h.detach(), c.detach()] };
}

/** The state as plain numbers for the checkpoint's JSON (float32 values survive exactly). */
function stateToJson(state: RecurrentState | null): { h: number[]; c: number[] } | null {
  return state && { h: Array.from(state[0].dataSync()), c: Array.from(state[1].dataSync()) };
}

function stateFromJson(s: { h: number[]; c: number[] } | null, shape: number[]): RecurrentState | null {
  if (!s) return null;
  return [tensor(Float32Array.from(s.h), { shape }), tensor(Float32Array.from(s.c), { shape })];
}

async function run(opts: ExampleOptions): Promise<Summary> {
  const cfg = {
    ...CONFIG,
    ...(opts.quick ? QUICK : {}),
    batchSize: opts.batchSize ?? CONFIG.batchSize,
    lr: opts.lr ?? CONFIG.lr,
    optimizer: opts.optimizer ?? CONFIG.optimizer,
    seed: opts.seed ?? CONFIG.seed,
  };
  if (opts.epochs !== undefined) cfg.iterations = opts.epochs;
  const started = Date.now();
  manualSeed(cfg.seed);
  const text = loadCharText(opts.data);
  const { vocab } = text;
  const val = cfg.valChars === null ? text.val : text.val.subarray(0, cfg.valChars);
  const streams = new StreamBatches(text.train, cfg.batchSize, cfg.seqLen);
  const model = new CharLSTM(
    {
      vocabSize: vocab.size,
      embeddingDim: cfg.embeddingDim,
      hiddenSize: cfg.hiddenSize,
      numLayers: cfg.numLayers,
    },
    new Generator(cfg.seed),
  );
  const optimizer = makeOptimizer(cfg.optimizer, model.parameters(), cfg.lr);
  const offsetGen = new Generator(cfg.seed + 1);
  const generators = { default: defaultGenerator, offsets: offsetGen };
  const stateShape = [cfg.numLayers, cfg.batchSize, cfg.hiddenSize];

  let iteration = 0;
  let offset = 0;
  let state: RecurrentState | null = null;
  if (opts.resume) {
    const { epoch, extra } = loadCheckpoint(opts.resume, { model, optimizer, generators });
    const saved = extra as CharExtra & { offset: number; state: { h: number[]; c: number[] } | null };
    if (saved?.vocab !== vocab.toString()) {
      throw new Error(`char-lstm: ${opts.resume} was trained on a different text (its vocabulary differs)`);
    }
    if (saved.config.batchSize !== cfg.batchSize) {
      throw new Error(
        `char-lstm: ${opts.resume} carries the state of ${String(saved.config.batchSize)} streams; resume with --batch-size ${String(saved.config.batchSize)}`,
      );
    }
    iteration = epoch ?? 0;
    offset = saved.offset;
    state = stateFromJson(saved.state, stateShape);
    console.log(`resumed from ${opts.resume} after iteration ${iteration}`);
  }
  if (iteration >= cfg.iterations) {
    throw new Error(
      `char-lstm: nothing to train (the checkpoint has ${iteration} iterations; ask for more with --epochs N)`,
    );
  }
  const out = opts.out ?? join('runs', 'char-lstm');
  const checkpoint = join(out, 'checkpoint.safetensors');
  const save = () =>
    saveCheckpoint(checkpoint, {
      model,
      optimizer,
      epoch: iteration,
      generators,
      extra: {
        example: 'char-lstm',
        config: cfg,
        vocab: vocab.toString(),
        iteration,
        offset,
        state: stateToJson(state),
      } satisfies CharExtra,
    });
  const valLoss = () => estimateValLoss(model, val, { batchSize: cfg.batchSize, seqLen: 100 });

  console.log(model.toString());
  console.log(
    `${text.train.length} training / ${val.length} validation characters from ${text.path}, vocabulary ${vocab.size}; ` +
      `${cfg.batchSize} streams of ${streams.streamLen} characters, read in chunks of ${cfg.seqLen} ` +
      `(${streams.chunksPerPass} chunks per pass); iterations ${iteration + 1}-${cfg.iterations}`,
  );
  const progress = new ProgressLog(cfg.iterations, cfg.logInterval);
  const firstIteration = iteration;
  let trainSeconds = 0;
  let lastVal = NaN;
  while (iteration < cfg.iterations) {
    const i = iteration % streams.chunksPerPass;
    if (i === 0) {
      // A new pass: the streams jump back to their starts, so the carried state no longer applies.
      offset = offsetGen.nextInt(0, cfg.seqLen);
      state = null;
    }
    const t0 = performance.now();
    const { x, y } = streams.chunk(i, offset);
    const r = trainChunk(model, optimizer, x, y, state, cfg.clip);
    state = r.state;
    const seconds = (performance.now() - t0) / 1000;
    trainSeconds += seconds;
    iteration++;
    progress.step(iteration, r.loss, seconds);
    if (iteration % cfg.evalInterval === 0 || iteration === cfg.iterations) {
      lastVal = valLoss();
      console.log(`iter ${iteration}: validation loss ${lastVal.toFixed(4)}`);
      save();
    }
  }
  return finishCharRun('char-lstm', {
    model,
    vocab,
    sampling: cfg,
    checkpoint,
    valLoss: lastVal,
    iteration,
    firstIteration,
    trainSeconds,
    started,
  });
}

export const example: Example = {
  name: 'char-lstm',
  description: 'character-level LSTM on Tiny Shakespeare (--epochs N sets the iterations, default 5000)',
  run,
  evaluate: evaluateCharCheckpoint,
};
