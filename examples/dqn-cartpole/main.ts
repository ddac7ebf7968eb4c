/**
 * Deep Q-learning (Mnih et al. 2015) on CartPole-v1, with the settings of PyTorch's DQN tutorial:
 * a 4-128-128-2 ReLU MLP, replay memory 10,000, batch 128, γ 0.99, ε-greedy exploration decaying
 * from 0.9 to 0.01 (time constant 2,500 steps), a target network tracking the policy network by
 * soft updates (τ 0.005), Huber loss, AdamW 3e-4 with AMSGrad and gradient values clipped at 100.
 *
 * Every 25 training episodes the greedy policy plays 100 evaluation episodes; the task counts as
 * solved when their average return reaches 475. Training stops when solved or after 600 episodes
 * (--epochs sets that maximum). Writes learning-curve.csv, learning-curve.png and a checkpoint into --out.
 *
 *   npx chainrule train dqn-cartpole --seed 0
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Tensor } from '../../src/index.js';
import { defaultGenerator, Generator, manualSeed, nn, noGrad, optim, tensor } from '../../src/index.js';
import { linePlot, saveCheckpoint, writePng } from '../../src/node/index.js';
import { CartPole } from '../../src/rl/cartpole.js';
import { ReplayMemory } from '../../src/rl/replay.js';
import type { Example, ExampleOptions, Summary } from '../common.js';
import { round, withOptions } from '../common.js';

const CONFIG = {
  /** The most training episodes. */
  epochs: 600,
  batchSize: 128,
  lr: 3e-4,
  seed: 0,
  gamma: 0.99,
  epsStart: 0.9,
  epsEnd: 0.01,
  epsDecay: 2500,
  tau: 0.005,
  memory: 10_000,
  hidden: 128,
  clipValue: 100,
  evalEvery: 25,
  evalEpisodes: 100,
  solvedReturn: 475,
  /** --quick (a smoke test): training episodes, evaluation interval and episodes. */
  quickEpisodes: 12,
  quickEvalEvery: 6,
  quickEvalEpisodes: 10,
};

const OBS = 4;
const ACTIONS = 2;

export function buildQNetwork(hidden = CONFIG.hidden): nn.Sequential {
  return new nn.Sequential(
    new nn.Linear(OBS, hidden),
    new nn.ReLU(),
    new nn.Linear(hidden, hidden),
    new nn.ReLU(),
    new nn.Linear(hidden, ACTIONS),
  );
}

/** The index of the largest of the `width` values in row `row` (the first on ties, like argmax). */
function argmaxRow(q: ArrayLike<number>, row: number, width: number): number {
  let best = 0;
  for (let a = 1; a < width; a++) if (q[row * width + a] > q[row * width + best]) best = a;
  return best;
}

/**
 * Plays `episodes` greedy episodes side by side, one batched forward per time step, each episode
 * starting from the generator's next initial state; returns their returns in order.
 */
export function evaluateGreedy(policy: nn.Module, episodes: number, generator: Generator): number[] {
  const envs = Array.from({ length: episodes }, () => new CartPole({ generator }));
  const obs = envs.map((e) => e.reset());
  const returns = new Array<number>(episodes).fill(0);
  let active = envs.map((_, i) => i);
  while (active.length > 0) {
    const x = new Float32Array(active.length * OBS);
    active.forEach((i, k) => x.set(obs[i], k * OBS));
    const q = noGrad(() => (policy.forward(tensor(x, { shape: [active.length, OBS] })) as Tensor).dataSync());
    active = active.filter((i, k) => {
      const r = envs[i].step(argmaxRow(q, k, ACTIONS));
      returns[i] += r.reward;
      obs[i] = r.observation;
      return !(r.terminated || r.truncated);
    });
  }
  return returns;
}

/** Steps between returns to the event loop (see nextTask). */
const YIELD_EVERY = 50;

/** Resolves in a later event-loop task (after timers already due), where finalizers may run. */
const nextTask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(xs.length, 1);

async function run(opts: ExampleOptions): Promise<Summary> {
  const cfg = withOptions(CONFIG, opts, CONFIG.quickEpisodes);
  const evalEvery = opts.quick ? cfg.quickEvalEvery : cfg.evalEvery;
  const evalEpisodes = opts.quick ? cfg.quickEvalEpisodes : cfg.evalEpisodes;
  const started = Date.now();
  manualSeed(cfg.seed);
  // One generator per source of randomness, so that each stream is reproducible on its own.
  const gens = {
    default: defaultGenerator,
    env: new Generator(cfg.seed + 1),
    explore: new Generator(cfg.seed + 2),
    replay: new Generator(cfg.seed + 3),
    eval: new Generator(cfg.seed + 4),
  };
  const env = new CartPole({ generator: gens.env });
  const policy = buildQNetwork();
  const target = buildQNetwork();
  target.loadStateDict(policy.stateDict());
  const optimizer = new optim.AdamW(policy.parameters(), { lr: cfg.lr, amsgrad: true });
  const lossFn = new nn.SmoothL1Loss();
  const memory = new ReplayMemory(cfg.memory, OBS);
  const policyParams = policy.parameters();
  const targetParams = target.parameters();
  const B = cfg.batchSize;
  console.log(policy.toString());

  /** One gradient step on a replayed minibatch toward r + γ·max_a Q′(s′, a) (0 after termination). */
  const optimizeStep = (): void => {
    const batch = memory.sample(B, gens.replay);
    const nextQ = noGrad(() =>
      target.forward(tensor(batch.nextObservations, { shape: [B, OBS] })).dataSync(),
    );
    const expected = new Float32Array(B);
    for (let b = 0; b < B; b++) {
      const best = nextQ[b * ACTIONS + argmaxRow(nextQ, b, ACTIONS)];
      expected[b] = batch.rewards[b] + cfg.gamma * (1 - batch.terminated[b]) * best;
    }
    const q = policy
      .forward(tensor(batch.observations, { shape: [B, OBS] }))
      .gather(1, tensor(batch.actions, { shape: [B, 1] }));
    const loss = lossFn.forward(q, tensor(expected, { shape: [B, 1] }));
    optimizer.zeroGrad();
    loss.backward();
    nn.utils.clipGradValue(policyParams, cfg.clipValue);
    optimizer.step();
    // θ′ ← τθ + (1 − τ)θ′, in place.
    noGrad(() => {
      for (let i = 0; i < policyParams.length; i++) {
        targetParams[i].mul_(1 - cfg.tau).add_(policyParams[i], { alpha: cfg.tau });
      }
    });
  };

  const episodeReturns: number[] = [];
  const evaluations: { episode: number; averageReturn: number }[] = [];
  let steps = 0;
  let trainSeconds = 0;
  let evalAverageReturn = NaN;
  let episodesToSolve: number | null = null;
  for (let episode = 1; episode <= cfg.epochs && episodesToSolve === null; episode++) {
    const t0 = performance.now();
    let obs = env.reset();
    let ret = 0;
    for (;;) {
      const eps = cfg.epsEnd + (cfg.epsStart - cfg.epsEnd) * Math.exp(-steps / cfg.epsDecay);
      steps++;
      let action: number;
      if (gens.explore.nextDouble() > eps) {
        const q = noGrad(() => policy.forward(tensor(obs, { shape: [1, OBS] })).dataSync());
        action = argmaxRow(q, 0, ACTIONS);
      } else {
        action = gens.explore.nextInt(0, ACTIONS);
      }
      const r = env.step(action);
      ret += r.reward;
      // A truncated episode's last state still has a future: only termination zeroes the target.
      memory.push(obs, action, r.reward, r.observation, r.terminated);
      obs = r.observation;
      if (memory.length >= B) optimizeStep();
      if (r.terminated || r.truncated) break;
      // Back to the event loop now and then, so that the backend can free the steps' garbage.
      if (steps % YIELD_EVERY === 0) await nextTask();
    }
    await nextTask();
    trainSeconds += (performance.now() - t0) / 1000;
    episodeReturns.push(ret);
    if (episode % 10 === 0 || opts.quick) {
      const recent = mean(episodeReturns.slice(-10));
      const eps = cfg.epsEnd + (cfg.epsStart - cfg.epsEnd) * Math.exp(-steps / cfg.epsDecay);
      console.log(
        `episode ${episode}  return ${ret}  mean10 ${recent.toFixed(1)}  eps ${eps.toFixed(3)}  ` +
          `steps ${steps}  steps/s ${Math.round(steps / trainSeconds)}`,
      );
    }
    if (episode % evalEvery === 0 || episode === cfg.epochs) {
      evalAverageReturn = mean(evaluateGreedy(policy, evalEpisodes, gens.eval));
      evaluations.push({ episode, averageReturn: evalAverageReturn });
      console.log(
        `eval after episode ${episode}: average return ${evalAverageReturn.toFixed(1)} over ${evalEpisodes} greedy episodes`,
      );
      if (evalAverageReturn >= cfg.solvedReturn) {
        episodesToSolve = episode;
        console.log(`solved after ${episode} episodes (${steps} steps)`);
      }
    }
  }

  const out = opts.out ?? join('runs', 'dqn-cartpole');
  mkdirSync(out, { recursive: true });
  const curve = join(out, 'learning-curve.csv');
  const evalAt = new Map(evaluations.map((e) => [e.episode, e.averageReturn]));
  const rows = episodeReturns.map(
    (r, i) => `${i + 1},${r},${evalAt.has(i + 1) ? round(evalAt.get(i + 1)!) : ''}`,
  );
  writeFileSync(curve, ['episode,return,evalAverage', ...rows].join('\n') + '\n');
  const plot = join(out, 'learning-curve.png');
  writePng(
    plot,
    linePlot(
      [
        { name: 'training episode return', x: episodeReturns.map((_, i) => i + 1), y: episodeReturns },
        {
          name: 'greedy evaluation (average)',
          x: evaluations.map((e) => e.episode),
          y: evaluations.map((e) => e.averageReturn),
        },
        {
          name: 'solved (475)',
          x: [1, Math.max(episodeReturns.length, 2)],
          y: [cfg.solvedReturn, cfg.solvedReturn],
        },
      ],
      { title: `DQN on CartPole (seed ${cfg.seed})`, xLabel: 'episode', yLabel: 'return' },
    ),
  );
  const checkpoint = join(out, 'checkpoint.safetensors');
  saveCheckpoint(checkpoint, {
    model: policy,
    optimizer,
    epoch: episodeReturns.length,
    generators: gens,
    extra: { steps, episodesToSolve, evalAverageReturn },
  });
  return {
    example: 'dqn-cartpole',
    evalAverageReturn: round(evalAverageReturn, 2),
    episodesToSolve,
    evalEpisodes,
    episodes: episodeReturns.length,
    steps,
    seconds: round((Date.now() - started) / 1000, 1),
    stepsPerSecond: Math.round(steps / trainSeconds),
    episodeReturns,
    evaluations: evaluations.map((e) => ({ episode: e.episode, averageReturn: round(e.averageReturn, 2) })),
    learningCurve: curve,
    pictures: [plot],
    checkpoint,
  };
}

export const example: Example = {
  name: 'dqn-cartpole',
  description: 'Deep Q-learning on CartPole-v1 (PyTorch DQN tutorial settings)',
  run,
};
