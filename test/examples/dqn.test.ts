/**
 * Smoke test of the DQN CartPole example in its --quick configuration: it finishes fast, returns the
 * summary keys, writes the learning curve and a checkpoint, and repeats itself exactly per seed.
 */
import assert from 'node:assert/strict';
import { readPng } from '../../src/node/png.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it, mock } from 'node:test';
import { manualSeed, noGrad, tensor } from '../../src/index.js';
import { CartPole } from '../../src/rl/cartpole.js';
import { readCheckpoint } from '../../src/node/index.js';
import { Generator } from '../../src/tensor/random.js';
import type { Summary } from '../../examples/common.js';
import { buildQNetwork, evaluateGreedy, example } from '../../examples/dqn-cartpole/main.js';

const work = mkdtempSync(join(tmpdir(), 'chainrule-dqn-'));
after(() => rmSync(work, { recursive: true, force: true }));

async function quietRun(out: string, seed = 0): Promise<{ summary: Summary; printed: string }> {
  const lines: string[] = [];
  const log = mock.method(console, 'log', (...args: unknown[]) => lines.push(args.map(String).join(' ')));
  try {
    return { summary: await example.run({ quick: true, seed, out }), printed: lines.join('\n') };
  } finally {
    log.mock.restore();
  }
}

describe('dqn-cartpole example', () => {
  it('runs --quick in seconds with the summary keys, a learning curve and a checkpoint', async () => {
    const out = join(work, 'a');
    const t0 = Date.now();
    const { summary: s, printed } = await quietRun(out);
    const seconds = (Date.now() - t0) / 1000;
    assert.ok(seconds < 20, `took ${seconds} s`);
    assert.equal(example.name, 'dqn-cartpole');
    assert.equal(s.example, 'dqn-cartpole');
    assert.equal(typeof s.evalAverageReturn, 'number');
    // Every greedy episode lasts between 1 and 500 steps.
    assert.ok((s.evalAverageReturn as number) >= 1 && (s.evalAverageReturn as number) <= 500);
    assert.equal(s.episodesToSolve, null);
    assert.equal(s.episodes, 12);
    const returns = s.episodeReturns as number[];
    assert.equal(returns.length, 12);
    assert.equal(
      s.steps,
      returns.reduce((a, b) => a + b, 0),
    );
    for (const key of ['seconds', 'stepsPerSecond']) assert.equal(typeof s[key], 'number', key);
    assert.match(printed, /^episode 12 {2}return \d+/m);
    assert.match(printed, /^eval after episode 6: average return [\d.]+ over 10 greedy episodes/m);

    const csv = readFileSync(join(out, 'learning-curve.csv'), 'utf8').trim().split('\n');
    assert.equal(csv[0], 'episode,return,evalAverage');
    assert.equal(csv.length, 13);
    assert.equal(csv[1], `1,${returns[0]},`);
    assert.match(csv[6], /^6,\d+,[\d.]+$/);
    const png = readPng(join(out, 'learning-curve.png'));
    assert.ok(png.width > 300 && png.height > 200, 'the learning curve is drawn');
    assert.equal(Number(csv[12].split(',')[2]), s.evalAverageReturn);

    const ckpt = readCheckpoint(join(out, 'checkpoint.safetensors'));
    assert.equal(ckpt.epoch, 12);
    assert.deepEqual(ckpt.model['0.weight'].shape, [128, 4]);
    assert.deepEqual(ckpt.model['4.weight'].shape, [2, 128]);
    assert.deepEqual(Object.keys(ckpt.generators).sort(), ['default', 'env', 'eval', 'explore', 'replay']);

    // The same seed repeats the run exactly; another seed does not.
    const again = await quietRun(join(work, 'b'));
    assert.deepEqual(again.summary.episodeReturns, returns);
    assert.equal(again.summary.evalAverageReturn, s.evalAverageReturn);
    const other = await quietRun(join(work, 'c'), 1);
    assert.notDeepEqual(other.summary.episodeReturns, returns);
  });

  it('evaluates greedy episodes side by side, deterministically per generator', () => {
    manualSeed(0);
    const net = buildQNetwork(8);
    const a = evaluateGreedy(net, 5, new Generator(9));
    assert.deepEqual(evaluateGreedy(net, 5, new Generator(9)), a);
    assert.equal(a.length, 5);
    for (const r of a) assert.ok(Number.isInteger(r) && r >= 1 && r <= 500, String(r));
    // The same episodes played one at a time, one forward per step.
    const g = new Generator(9);
    const oneByOne = a.map(() => {
      const env = new CartPole({ generator: g });
      let obs = env.reset();
      for (let ret = 1; ; ret++) {
        const q = noGrad(() => net.forward(tensor(obs, { shape: [1, 4] })).dataSync());
        const r = env.step(q[1] > q[0] ? 1 : 0);
        if (r.terminated || r.truncated) return ret;
        obs = r.observation;
      }
    });
    assert.deepEqual(oneByOne, a);
  });
});
