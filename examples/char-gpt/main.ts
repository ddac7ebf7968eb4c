/**
 * A small GPT on Tiny Shakespeare characters: nanoGPT's "baby GPT" for a CPU (4 layers, 4 heads,
 * width 128, context 64, batch 12, no dropout; PyTorch with this configuration reached a validation
 * loss of 1.891 after 2,000 iterations on our machine). The MLP uses GPT-2's tanh form of GELU (see
 * GPTConfig.gelu). AdamW lr 1e-3 with betas (0.9, 0.99) and weight decay 0.1 on the 2-D weights only, 100 warm-up iterations, then cosine decay to 1e-4 by the last iteration, gradient
 * norm clipped to 1. Iterations are the unit (default 2,000); --epochs N sets the number of
 * iterations (the learning-rate schedule stretches to the run).
 *
 *   npx chainrule train char-gpt --data ../shared/data/tinyshakespeare
 *   npx chainrule sample runs/char-gpt/checkpoint.safetensors --prompt "ROMEO:"
 */
import { join } from 'node:path';
import type { Tensor } from '../../src/index.js';
import { defaultGenerator, Generator, manualSeed, nn, optim, reshape } from '../../src/index.js';
import { loadCheckpoint, saveCheckpoint } from '../../src/node/index.js';
import type { CharExtra } from '../char-common.js';
import {
  estimateValLoss,
  evaluateCharCheckpoint,
  finishCharRun,
  loadCharText,
  ProgressLog,
  randomBatch,
} from '../char-common.js';
import type { Example, ExampleOptions, Summary } from '../common.js';
import { GPT } from './model.js';

const CONFIG = {
  iterations: 2000,
  batchSize: 12,
  blockSize: 64,
  nLayer: 4,
  nHead: 4,
  nEmbd: 128,
  dropout: 0,
  bias: true,
  gelu: 'tanh' as 'none' | 'tanh',
  lr: 1e-3,
  minLr: 1e-4,
  warmupIters: 100,
  betas: [0.9, 0.99] as [number, number],
  weightDecay: 0.1,
  gradClip: 1,
  seed: 0,
  evalInterval: 250,
  logInterval: 50,
  /** Windows per forward pass when estimating the validation loss. */
  evalBatchSize: 64,
  samplePrompt: 'ROMEO:',
  sampleLength: 500,
  temperature: 0.8,
  topK: null as number | null,
  /** Validation characters used by --quick (else the whole validation split). */
  valChars: null as number | null,
};

/*
 * The larger configuration, nanoGPT's config/train_shakespeare_char.py (about 10.7M parameters; on a
 * GPU it reaches a validation loss near 1.47). Swap it in for CONFIG to train it:
 *
 * const CONFIG = {
 *   iterations: 5000, batchSize: 64, blockSize: 256, nLayer: 6, nHead: 6, nEmbd: 384,
 *   dropout: 0.2, bias: true, gelu: 'tanh' as 'none' | 'tanh', lr: 1e-3, minLr: 1e-4, warmupIters: 100,
 *   betas: [0.9, 0.99] as [number, number], weightDecay: 0.1, gradClip: 1, seed: 0,
 *   evalInterval: 250, logInterval: 10, evalBatchSize: 64, samplePrompt: 'ROMEO:',
 *   sampleLength: 500, temperature: 0.8, topK: 200 as number | null, valChars: null as number | null,
 * };
 */

/** --quick: a smoke test of a few seconds. */
const QUICK = { iterations: 20, evalInterval: 10, logInterval: 5, sampleLength: 30, valChars: 1000 };

type GptRunConfig = typeof CONFIG;

/**
 * nanoGPT's get_lr: linear warm-up over warmupIters, then a cosine from lr down to minLr, reached at
 * decayIters (here the run's last iteration) and kept after it. `it` counts from 0.
 */
export function lrAt(
  it: number,
  cfg: Pick<GptRunConfig, 'lr' | 'minLr' | 'warmupIters'>,
  decayIters: number,
): number {
  if (it < cfg.warmupIters) return (cfg.lr * (it + 1)) / (cfg.warmupIters + 1);
  if (it >= decayIters) return cfg.minLr;
  const ratio = (it - cfg.warmupIters) / (decayIters - cfg.warmupIters);
  return cfg.minLr + 0.5 * (1 + Math.cos(Math.PI * ratio)) * (cfg.lr - cfg.minLr);
}

/**
 * AdamW with weight decay on the 2-D tensors only (the Linear weights and the embeddings, the
 * tied head among them), none on biases and LayerNorm parameters, as nanoGPT.
 */
export function makeAdamW(model: nn.Module, cfg: GptRunConfig): optim.AdamW {
  const params = model.parameters();
  return new optim.AdamW(
    [
      { params: params.filter((p) => p.ndim >= 2), weightDecay: cfg.weightDecay },
      { params: params.filter((p) => p.ndim < 2), weightDecay: 0 },
    ],
    { lr: cfg.lr, betas: cfg.betas },
  );
}

function trainStep(model: GPT, optimizer: optim.AdamW, x: Tensor, y: Tensor, clip: number): number {
  const logits = model.forward(x);
  const [B, T, V] = logits.shape;
  const loss = nn.functional.crossEntropy(reshape(logits, [B * T, V]), reshape(y, [B * T]));
  optimizer.zeroGrad();
  loss.backward();
  nn.utils.clipGradNorm(model.parameters(), clip);
  optimizer.step();
  return loss.item() as number;
}

async function run(opts: ExampleOptions): Promise<Summary> {
  if (opts.optimizer !== undefined && opts.optimizer !== 'adamw') {
    throw new Error(
      `char-gpt: trains with AdamW (decay on 2-D weights only); --optimizer ${opts.optimizer} is not offered`,
    );
  }
  const cfg: GptRunConfig = {
    ...CONFIG,
    ...(opts.quick ? QUICK : {}),
    batchSize: opts.batchSize ?? CONFIG.batchSize,
    lr: opts.lr ?? CONFIG.lr,
    seed: opts.seed ?? CONFIG.seed,
  };
  if (opts.epochs !== undefined) cfg.iterations = opts.epochs;
  // A run shorter than ten warm-ups warms up over its first tenth instead.
  const warmupIters = Math.min(cfg.warmupIters, Math.floor(cfg.iterations / 10));
  const schedule = { ...cfg, warmupIters };
  const started = Date.now();
  manualSeed(cfg.seed);
  const text = loadCharText(opts.data);
  const { vocab } = text;
  const val = cfg.valChars === null ? text.val : text.val.subarray(0, cfg.valChars);
  const modelConfig = {
    blockSize: cfg.blockSize,
    nLayer: cfg.nLayer,
    nHead: cfg.nHead,
    nEmbd: cfg.nEmbd,
    dropout: cfg.dropout,
    bias: cfg.bias,
    gelu: cfg.gelu,
  };
  const model = new GPT({ ...modelConfig, vocabSize: vocab.size }, new Generator(cfg.seed));
  const optimizer = makeAdamW(model, cfg);
  const batchGen = new Generator(cfg.seed + 1);
  const generators = { default: defaultGenerator, batches: batchGen };

  let iteration = 0;
  if (opts.resume) {
    const { epoch, extra } = loadCheckpoint(opts.resume, { model, optimizer, generators });
    if ((extra as CharExtra | undefined)?.vocab !== vocab.toString()) {
      throw new Error(`char-gpt: ${opts.resume} was trained on a different text (its vocabulary differs)`);
    }
    iteration = epoch ?? 0;
    console.log(`resumed from ${opts.resume} after iteration ${iteration}`);
  }
  if (iteration >= cfg.iterations) {
    throw new Error(
      `char-gpt: nothing to train (the checkpoint has ${iteration} iterations; ask for more with --epochs N)`,
    );
  }
  const out = opts.out ?? join('runs', 'char-gpt');
  const checkpoint = join(out, 'checkpoint.safetensors');
  const save = () =>
    saveCheckpoint(checkpoint, {
      model,
      optimizer,
      epoch: iteration,
      generators,
      extra: {
        example: 'char-gpt',
        config: { ...cfg, ...modelConfig },
        vocab: vocab.toString(),
        iteration,
      } satisfies CharExtra,
    });

  console.log(model.toString());
  console.log(
    `${(model.numParams() / 1e6).toFixed(2)}M parameters; ${text.train.length} training / ${val.length} ` +
      `validation characters from ${text.path}, vocabulary ${vocab.size}; iterations ${iteration + 1}-${cfg.iterations}`,
  );
  const progress = new ProgressLog(cfg.iterations, cfg.logInterval);
  const firstIteration = iteration;
  let trainSeconds = 0;
  let lastVal = NaN;
  while (iteration < cfg.iterations) {
    const lr = lrAt(iteration, schedule, cfg.iterations);
    for (const g of optimizer.paramGroups) g.lr = lr;
    const t0 = performance.now();
    const { x, y } = randomBatch(text.train, cfg.batchSize, cfg.blockSize, batchGen);
    const loss = trainStep(model, optimizer, x, y, cfg.gradClip);
    const seconds = (performance.now() - t0) / 1000;
    trainSeconds += seconds;
    iteration++;
    progress.step(iteration, loss, seconds, `lr ${lr.toExponential(2)}`);
    if (iteration % cfg.evalInterval === 0 || iteration === cfg.iterations) {
      lastVal = estimateValLoss(model, val, { batchSize: cfg.evalBatchSize });
      console.log(`iter ${iteration}: validation loss ${lastVal.toFixed(4)}`);
      save();
    }
  }
  return finishCharRun('char-gpt', {
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
  name: 'char-gpt',
  description:
    'nanoGPT-style character GPT on Tiny Shakespeare (--epochs N sets the iterations, default 2000)',
  run,
  evaluate: evaluateCharCheckpoint,
};
