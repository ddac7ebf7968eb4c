/** fit() with the Node-side callbacks: CSV/JSONL loggers and the terminal progress bar. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, it } from 'node:test';
import { fit, nn } from '../../src/index.js';
import { CsvLogger, JsonlLogger, ProgressBar } from '../../src/node/index.js';
import { forEachBackend } from '../helpers.js';
import { problem } from '../train/fit-problem.js';

const dir = mkdtempSync(join(tmpdir(), 'chainrule-fit-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A stream that records what is written, optionally claiming to be a terminal. */
function capture(isTTY: boolean): { stream: NodeJS.WriteStream; text: () => string } {
  let out = '';
  const w = new Writable({
    write(chunk, _enc, cb) {
      out += String(chunk);
      cb();
    },
  }) as unknown as NodeJS.WriteStream;
  Object.assign(w, {
    isTTY,
    columns: 120,
    cursorTo: () => true,
    clearLine: () => true,
    moveCursor: () => true,
  });
  return { stream: w, text: () => out };
}

forEachBackend('fit with loggers', () => {
  it('logs to CSV and JSONL files and prints plain progress lines off a terminal', async () => {
    const { loader, model, optimizer } = problem();
    const out = capture(false);
    await fit(model, loader, {
      epochs: 2,
      optimizer,
      lossFn: new nn.CrossEntropyLoss(),
      valData: loader,
      metrics: ['accuracy'],
      callbacks: [
        new CsvLogger(join(dir, 'log.csv')),
        new JsonlLogger(join(dir, 'log.jsonl')),
        new ProgressBar({ total: loader.length, stream: out.stream }),
      ],
    });
    const csv = readFileSync(join(dir, 'log.csv'), 'utf8').trim().split('\n');
    assert.equal(csv.length, 3);
    assert.match(csv[0], /^epoch,loss,accuracy,valLoss,valAccuracy,seconds,samplesPerSecond,lr$/);
    const jsonl = readFileSync(join(dir, 'log.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      jsonl.map((r) => r.epoch),
      [0, 1],
    );
    assert.equal(typeof jsonl[1].valAccuracy, 'number');
    const lines = out.text().trim().split('\n');
    assert.equal(lines.length, 2);
    assert.match(
      lines[0],
      /^epoch 1 {2}loss \d\.\d{4} {2}accuracy .* valLoss .* \(\d+\.\d s, \d+ samples\/s\)$/,
    );
  });

  it('draws a progress bar with loss, speed and ETA on a terminal', async () => {
    const { loader, model, optimizer } = problem();
    const out = capture(true);
    await fit(model, loader, {
      epochs: 1,
      optimizer,
      lossFn: new nn.CrossEntropyLoss(),
      callbacks: [new ProgressBar({ total: loader.length, stream: out.stream })],
    });
    const text = out.text();
    assert.match(text, /epoch 1 \[.*\] \d\/4 loss \d\.\d{4} \| \d+ samples\/s \| ETA/);
    assert.match(text, /epoch 1 {2}loss \d\.\d{4}/);
  });
});
