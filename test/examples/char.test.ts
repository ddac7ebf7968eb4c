/**
 * The character-level language models: --quick runs of char-lstm and char-gpt (summary, checkpoint,
 * sampling from the checkpoint alone, exact resume), the truncated-BPTT streams and state, the
 * validation loss over every character, and the GPT's shape, weight tying and causal masking.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, it, mock } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Tensor } from '../../src/index.node.js';
import {
  Generator,
  IndexError,
  nn,
  optim,
  setBackend,
  setNumThreads,
  ShapeError,
  tensor,
  zeros,
} from '../../src/index.node.js';
import { readCheckpoint } from '../../src/node/index.js';
import type { CharModel, RecurrentState } from '../../examples/char-common.js';
import {
  estimateValLoss,
  generate,
  loadCharText,
  ProgressLog,
  randomBatch,
  sampleCheckpoint,
  Vocabulary,
} from '../../examples/char-common.js';
import type { Summary } from '../../examples/common.js';
import { example as gptExample, lrAt } from '../../examples/char-gpt/main.js';
import { GPT } from '../../examples/char-gpt/model.js';
import { example as lstmExample, StreamBatches, trainChunk } from '../../examples/char-lstm/main.js';
import { CharLSTM } from '../../examples/char-lstm/model.js';
import { assertThrowsMatch } from '../helpers.js';

// build/test/examples/ -> repository root
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const DATA = resolve(root, '../shared/data/tinyshakespeare');
const work = mkdtempSync(join(tmpdir(), 'chainrule-char-'));
after(() => rmSync(work, { recursive: true, force: true }));
before(() => {
  setBackend('wasm');
  setNumThreads(1);
});

async function quietRun(
  ex: typeof lstmExample,
  opts: Record<string, unknown>,
): Promise<{ summary: Summary; printed: string }> {
  const lines: string[] = [];
  const log = mock.method(console, 'log', (...args: unknown[]) => lines.push(args.map(String).join(' ')));
  try {
    const summary = await ex.run({ quick: true, data: DATA, ...opts });
    return { summary, printed: lines.join('\n') };
  } finally {
    log.mock.restore();
  }
}

function checkSummary(s: Summary, name: string, iterations: number): void {
  assert.equal(s.example, name);
  for (const k of ['valLoss', 'iterationsPerSecond', 'iterations', 'seconds']) {
    assert.equal(typeof s[k], 'number', k);
    assert.ok(Number.isFinite(s[k] as number), `${k} is finite: ${String(s[k])}`);
  }
  assert.equal(s.iterations, iterations);
  // An untrained model scores about ln 65 ≈ 4.17 nats; a few steps of training cannot make it worse.
  assert.ok((s.valLoss as number) > 2 && (s.valLoss as number) < 4.3, `valLoss ${String(s.valLoss)}`);
  assert.ok((s.sample as string).startsWith('ROMEO:'));
  assert.equal((s.sample as string).length, 'ROMEO:'.length + 30);
  assert.ok(existsSync(s.checkpoint as string));
}

/** A model whose logits are all zero, that counts the targets it is asked about. */
class ZeroModel extends nn.Module implements CharModel {
  tokensSeen = 0;
  statesIn: (RecurrentState | null)[] = [];
  constructor(
    readonly blockSize: number | null,
    readonly vocab: number,
  ) {
    super();
  }
  forward(): never {
    throw new Error('unused');
  }
  predict(tokens: Tensor, state?: RecurrentState | null): [Tensor, RecurrentState | null] {
    const [B, T] = tokens.shape;
    assert.ok(this.blockSize === null || T <= this.blockSize);
    this.tokensSeen += B * T;
    this.statesIn.push(state ?? null);
    const next: RecurrentState | null = this.blockSize === null ? [zeros([1, B, 1]), zeros([1, B, 1])] : null;
    return [zeros([B, T, this.vocab]), next];
  }
}

describe('char-lstm example', () => {
  it('--quick trains, saves, samples from the checkpoint alone and resumes exactly', async () => {
    const a = await quietRun(lstmExample, { out: join(work, 'lstm-a'), epochs: 4, batchSize: 8 });
    checkSummary(a.summary, 'char-lstm', 4);
    assert.match(a.printed, /^iter 4\/4 {2}loss [\d.]+ {2}[\d.]+ it\/s/m);
    assert.match(a.printed, /8 streams of \d+ characters, read in chunks of 50/);
    const ck = readCheckpoint(a.summary.checkpoint as string);
    const extra = ck.extra as { example: string; vocab: string; iteration: number };
    assert.equal(extra.example, 'char-lstm');
    assert.equal(extra.vocab.length, 65);
    assert.equal(ck.epoch, 4);

    const text = sampleCheckpoint(a.summary.checkpoint as string, { prompt: 'ROMEO:', length: 20, seed: 3 });
    assert.ok(text.startsWith('ROMEO:'));
    assert.equal(text.length, 26);
    assert.equal(
      sampleCheckpoint(a.summary.checkpoint as string, { prompt: 'ROMEO:', length: 20, seed: 3 }),
      text,
    );

    // 4 iterations, then 2 more from the checkpoint, equal 6 iterations in one go (state and offsets too).
    const b = await quietRun(lstmExample, {
      out: join(work, 'lstm-b'),
      epochs: 6,
      batchSize: 8,
      resume: a.summary.checkpoint,
    });
    assert.match(b.printed, /resumed from .* after iteration 4/);
    assert.doesNotMatch(b.printed, /^iter 4\//m);
    const c = await quietRun(lstmExample, { out: join(work, 'lstm-c'), epochs: 6, batchSize: 8 });
    assert.equal(b.summary.iterations, 6);
    assert.equal(b.summary.valLoss, c.summary.valLoss);
    assert.equal(b.summary.sample, c.summary.sample);
  });

  it('each batch row reads consecutive chunks of its own stream', () => {
    const data = Int32Array.from({ length: 1000 }, (_, i) => i % 60);
    const s = new StreamBatches(data, 4, 10);
    assert.equal(s.streamLen, Math.floor((1000 - 10) / 4));
    const c0 = s.chunk(0, 3);
    const c1 = s.chunk(1, 3);
    const x0 = c0.x.toArray() as number[][];
    const y0 = c0.y.toArray() as number[][];
    const x1 = c1.x.toArray() as number[][];
    for (let b = 0; b < 4; b++) {
      const start = b * s.streamLen + 3;
      assert.deepEqual(x0[b], Array.from(data.subarray(start, start + 10)));
      assert.deepEqual(y0[b], Array.from(data.subarray(start + 1, start + 11)));
      // The next chunk of row b starts right after this one: its first input is this one's last target.
      assert.equal(x1[b][0], y0[b][9]);
    }
  });

  it('carries the state between chunks detached, so the graph does not grow', () => {
    const model = new CharLSTM(
      { vocabSize: 7, embeddingDim: 4, hiddenSize: 5, numLayers: 2 },
      new Generator(0),
    );
    const opt = new optim.Adam(model.parameters(), { lr: 1e-2 });
    const g = new Generator(1);
    const x = tensor(
      Int32Array.from({ length: 12 }, () => g.nextInt(0, 7)),
      { shape: [2, 6] },
    );
    const y = tensor(
      Int32Array.from({ length: 12 }, () => g.nextInt(0, 7)),
      { shape: [2, 6] },
    );
    const first = trainChunk(model, opt, x, y, null, 5);
    for (const t of first.state) {
      assert.deepEqual(t.shape, [2, 2, 5]);
      assert.equal(t.gradFn, null);
      assert.equal(t.requiresGrad, false);
    }
    const [, [h]] = model.forward(x, first.state);
    assert.notEqual(h.gradFn, null, 'the forward itself is recorded');
    const second = trainChunk(model, opt, x, y, first.state, 5);
    assert.equal(second.state[0].gradFn, null);
    assert.ok(Number.isFinite(second.loss));
  });
});

describe('char-gpt example', () => {
  it('--quick trains, saves, samples and resumes from the saved iteration', async () => {
    const a = await quietRun(gptExample, { out: join(work, 'gpt-a'), epochs: 3, batchSize: 4 });
    checkSummary(a.summary, 'char-gpt', 3);
    assert.match(a.printed, /lr [\d.]+e-\d/);
    const text = sampleCheckpoint(a.summary.checkpoint as string, { prompt: 'ROMEO:', length: 10, topK: 5 });
    assert.ok(text.startsWith('ROMEO:'));
    assert.equal(text.length, 16);
    const ev = await gptExample.evaluate!(a.summary.checkpoint as string, { quick: true, data: DATA });
    assert.equal(ev.valLoss, a.summary.valLoss, 'chainrule eval reloads the same model');
    const b = await quietRun(gptExample, {
      out: join(work, 'gpt-b'),
      epochs: 5,
      batchSize: 4,
      resume: a.summary.checkpoint,
    });
    assert.match(b.printed, /resumed from .* after iteration 3/);
    assert.match(b.printed, /^iter 5\/5 /m);
    assert.doesNotMatch(b.printed, /^iter 3\//m);
    assert.equal(b.summary.iterations, 5);
    assert.equal(readCheckpoint(b.summary.checkpoint as string).epoch, 5);
  });

  it('warms up, then decays the learning rate on a cosine to minLr', () => {
    const cfg = { lr: 1e-3, minLr: 1e-4, warmupIters: 100 };
    assert.equal(lrAt(0, cfg, 2000), 1e-3 / 101);
    assert.ok(Math.abs(lrAt(99, cfg, 2000) - (1e-3 * 100) / 101) < 1e-15);
    assert.equal(lrAt(100, cfg, 2000), 1e-3);
    assert.ok(Math.abs(lrAt(1050, cfg, 2000) - 5.5e-4) < 1e-12, 'halfway down the cosine');
    assert.equal(lrAt(2000, cfg, 2000), 1e-4);
    assert.equal(lrAt(3000, cfg, 2000), 1e-4);
  });
});

describe('GPT model', () => {
  const config = { vocabSize: 11, blockSize: 8, nLayer: 2, nHead: 2, nEmbd: 16, dropout: 0, bias: true };

  it('maps [B, T] ids to [B, T, vocab] logits and refuses contexts longer than blockSize', () => {
    const model = new GPT(config, new Generator(0));
    const logits = model.forward(tensor(Int32Array.from([1, 2, 3, 4, 5, 6]), { shape: [2, 3] }));
    assert.deepEqual(logits.shape, [2, 3, 11]);
    assertThrowsMatch(
      () => model.forward(zeros([1, 9], { dtype: 'int32' })),
      ShapeError,
      /^GPT: cannot read a sequence of length 9, the block size is only 8/,
    );
  });

  it('ties the head to the token embedding and has nanoGPT parameter names', () => {
    const model = new GPT(config, new Generator(0));
    assert.equal(model.lm_head.weight, model.transformer.wte.weight);
    const names = model.namedParameters().map(([n]) => n);
    assert.ok(names.includes('transformer.wte.weight'));
    assert.ok(!names.includes('lm_head.weight'), 'the tied weight is one parameter');
    assert.ok(names.includes('transformer.h.1.attn.c_attn.weight'));
    assert.ok(names.includes('transformer.h.0.mlp.c_proj.bias'));
    assert.ok('lm_head.weight' in model.stateDict(), 'the state dict keeps both keys, as PyTorch');
    // nanoGPT's init: N(0, 0.02), residual projections N(0, 0.02/√(2·nLayer)).
    const std = (t: Tensor) =>
      Math.sqrt((t.toArray() as number[][]).flat().reduce((a, v) => a + v * v, 0) / t.numel());
    assert.ok(Math.abs(std(model.transformer.h.at(0).mlp.c_fc.weight) - 0.02) < 0.003);
    assert.ok(Math.abs(std(model.transformer.h.at(0).mlp.c_proj.weight) - 0.01) < 0.0015);
    const before = model.transformer.wte.weight.toArray();
    const opt = new optim.SGD(model.parameters(), { lr: 0.1 });
    const logits = model.forward(tensor(Int32Array.from([1, 2, 3]), { shape: [1, 3] }));
    logits.sum().backward();
    opt.step();
    assert.notDeepEqual(model.lm_head.weight.toArray(), before);
    assert.deepEqual(model.lm_head.weight.toArray(), model.transformer.wte.weight.toArray());
  });

  it('is causal: a later token does not change earlier logits', () => {
    const model = new GPT(config, new Generator(1));
    const a = model.forward(tensor(Int32Array.from([3, 1, 4, 1, 5, 9, 2, 6]), { shape: [1, 8] }));
    const b = model.forward(tensor(Int32Array.from([3, 1, 4, 1, 5, 0, 2, 6]), { shape: [1, 8] }));
    const la = a.toArray() as number[][][];
    const lb = b.toArray() as number[][][];
    for (let t = 0; t < 5; t++) assert.deepEqual(lb[0][t], la[0][t], `position ${t}`);
    for (let t = 5; t < 8; t++) assert.notDeepEqual(lb[0][t], la[0][t], `position ${t}`);
  });
});

describe('char-common', () => {
  it('encodes with the sorted characters of the text and names unknown ones', () => {
    const v = Vocabulary.fromText('hello world');
    assert.equal(v.toString(), ' dehlorw');
    assert.deepEqual(Array.from(v.encode('hold')), [3, 5, 4, 1]);
    assert.equal(v.decode(v.encode('low')), 'low');
    assertThrowsMatch(() => v.encode('hex'), IndexError, /^Vocabulary\.encode: character "x" is not in/);
  });

  it('splits Tiny Shakespeare 90/10 with 65 characters', () => {
    const t = loadCharText(DATA);
    assert.equal(t.vocab.size, 65);
    assert.equal(t.train.length, Math.floor((t.train.length + t.val.length) * 0.9));
    assert.equal(t.vocab.decode(t.train.subarray(0, 14)), 'First Citizen:');
    assert.throws(() => loadCharText(join(work, 'nowhere')), /no input\.txt in .*nowhere/);
  });

  it('draws random windows whose targets are the inputs shifted by one', () => {
    const data = Int32Array.from({ length: 100 }, (_, i) => i);
    const { x, y } = randomBatch(data, 3, 5, new Generator(0));
    const xs = x.toArray() as number[][];
    const ys = y.toArray() as number[][];
    for (let b = 0; b < 3; b++) {
      for (let t = 0; t < 5; t++) assert.equal(ys[b][t], xs[b][t] + 1);
      assert.equal(xs[b][1], xs[b][0] + 1, 'a contiguous window');
    }
    assert.deepEqual(randomBatch(data, 3, 5, new Generator(0)).x.toArray(), xs, 'seeded');
  });

  it('scores every validation character exactly once, windowed or recurrent', () => {
    const data = Int32Array.from({ length: 103 }, (_, i) => i % 7);
    for (const model of [new ZeroModel(10, 7), new ZeroModel(null, 7)]) {
      // Zero logits give ln 7 per counted character; padding or double counting would change the mean.
      const loss = estimateValLoss(model, data, { batchSize: 4, seqLen: 6 });
      assert.ok(Math.abs(loss - Math.log(7)) < 1e-6, `${model.blockSize}: ${loss}`);
    }
    const recurrent = new ZeroModel(null, 7);
    estimateValLoss(recurrent, data, { batchSize: 4, seqLen: 6 });
    // 4 streams of 26 characters in chunks of 6: the first starts from nothing, the rest carry a state.
    assert.equal(recurrent.statesIn.length, 5);
    assert.equal(recurrent.statesIn[0], null);
    assert.ok(recurrent.statesIn.slice(1).every((s) => s !== null));
  });

  it('the LSTM loss read in chunks with carried state equals one pass over the whole text', () => {
    const model = new CharLSTM(
      { vocabSize: 7, embeddingDim: 3, hiddenSize: 4, numLayers: 2 },
      new Generator(2),
    );
    const data = Int32Array.from({ length: 30 }, (_, i) => (i * i) % 7);
    const chunked = estimateValLoss(model, data, { batchSize: 1, seqLen: 7 });
    const [logits] = model.forward(tensor(data.subarray(0, 29), { shape: [1, 29] }));
    const whole = nn.functional
      .crossEntropy(logits.reshape([29, 7]), tensor(data.subarray(1)))
      .item() as number;
    assert.ok(Math.abs(chunked - whole) < 1e-5, `${chunked} vs ${whole}`);
  });

  it('generates prompt + length characters, cropping a windowed context to blockSize', () => {
    const vocab = new Vocabulary('\nabcdefghij');
    const gpt = new GPT({
      vocabSize: 11,
      blockSize: 8,
      nLayer: 1,
      nHead: 2,
      nEmbd: 8,
      dropout: 0,
      bias: true,
    });
    const text = generate(gpt, vocab, 'abcdefghijabc', 5, { generator: new Generator(0) });
    assert.ok(text.startsWith('abcdefghijabc'));
    assert.equal(text.length, 18);
    const lstm = new CharLSTM({ vocabSize: 11, embeddingDim: 3, hiddenSize: 4, numLayers: 1 });
    const greedy = generate(lstm, vocab, 'abc', 6, { temperature: 0 });
    assert.equal(generate(lstm, vocab, 'abc', 6, { temperature: 0 }), greedy, 'temperature 0 is greedy');
    assert.equal(
      generate(lstm, vocab, '', 2, { temperature: 0 }).length,
      3,
      'an empty prompt starts at a newline',
    );
  });

  it('prints a progress line every N iterations with the mean loss and iterations/s', () => {
    const lines: string[] = [];
    const p = new ProgressLog(4, 2, (l) => lines.push(l));
    p.step(1, 3, 0.5);
    p.step(2, 1, 0.5);
    p.step(3, 2, 0.25, 'lr 1e-3');
    assert.deepEqual(lines, ['iter 2/4  loss 2.0000  2.00 it/s']);
    p.step(4, 4, 0.25, 'lr 1e-3');
    assert.equal(lines[1], 'iter 4/4  loss 3.0000  4.00 it/s  lr 1e-3');
  });
});
