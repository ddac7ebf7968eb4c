import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Tensor } from '../../src/index.js';
import { DTypeError, Generator, IndexError, ShapeError, arange, pad, tensor } from '../../src/index.js';
import { Compose, Normalize, RandomCrop, RandomHorizontalFlip } from '../../src/vision/index.js';
import { assertClose, assertThrowsMatch, forEachBackend } from '../helpers.js';

/** [C, H, W] image whose pixel values 1, 2, 3, … give away their position (0 is only ever padding). */
function rampImage(c: number, h: number, w: number): Tensor {
  return arange(1, c * h * w + 1, 1, { dtype: 'float32' }).reshape([c, h, w]);
}

/** Copies of one image as a batch [N, C, H, W]. */
function batchOf(img: Tensor, n: number): Tensor {
  const v = img.dataSync();
  const out = new Float32Array(n * v.length);
  for (let i = 0; i < n; i++) out.set(v, i * v.length);
  return tensor(out, { shape: [n, ...img.shape] });
}

/** Sample i of a batch as a flat array. */
function sample(x: Tensor, i: number): number[] {
  const size = x.shape.slice(1).reduce((a, b) => a * b, 1);
  return Array.from(x.dataSync().slice(i * size, (i + 1) * size));
}

/** The th × tw window at (top, left) of an image [C, H, W], by plain indexing. */
function windowAt(img: Tensor, top: number, left: number, th: number, tw: number): number[] {
  const [c, h, w] = img.shape;
  const v = img.dataSync();
  const out: number[] = [];
  for (let ch = 0; ch < c; ch++) {
    for (let y = 0; y < th; y++) for (let x = 0; x < tw; x++) out.push(v[(ch * h + top + y) * w + left + x]);
  }
  return out;
}

forEachBackend('vision transforms', () => {
  test('RandomCrop with padding: every output is a window of the zero-padded image, and all offsets occur', () => {
    const img = rampImage(2, 4, 4);
    const padded = pad(img, [2, 2, 2, 2]); // independent padding: torch.nn.functional.pad semantics
    const crop = new RandomCrop(4, { padding: 2, generator: new Generator(3) });
    const out = crop.forward(batchOf(img, 300));
    assert.deepEqual(out.shape, [300, 2, 4, 4]);
    const windows = new Map<string, string>();
    for (let t = 0; t <= 4; t++)
      for (let l = 0; l <= 4; l++) windows.set(windowAt(padded, t, l, 4, 4).join(','), `${t},${l}`);
    const seen = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const at = windows.get(sample(out, i).join(','));
      assert.ok(
        at !== undefined,
        `sample ${i} is not a window of the padded image: ${sample(out, i).join(',')}`,
      );
      seen.add(at);
    }
    assert.equal(seen.size, 25, 'every (top, left) offset in [0, 4]² is drawn');
  });

  test('RandomCrop offsets follow the generator: top then left, uniform over the valid range', () => {
    const img = rampImage(1, 5, 6);
    const out = new RandomCrop([3, 2], { padding: [1, 0], generator: new Generator(11) }).forward(
      batchOf(img, 20),
    );
    const replay = new Generator(11);
    const padded = pad(img, [1, 1, 0, 0]);
    for (let i = 0; i < 20; i++) {
      const top = replay.nextInt(0, 5 - 3 + 1);
      const left = replay.nextInt(0, 8 - 2 + 1);
      assert.deepEqual(sample(out, i), windowAt(padded, top, left, 3, 2), `sample ${i}`);
    }
  });

  test('RandomCrop of the whole padded image is exact, with asymmetric padding, fill and per-channel fill', () => {
    const img = rampImage(2, 2, 3);
    const out = new RandomCrop([3, 6], { padding: [1, 0, 2, 1], fill: [-1, -2] }).forward(img);
    assertClose(out, [
      [
        [-1, 1, 2, 3, -1, -1],
        [-1, 4, 5, 6, -1, -1],
        [-1, -1, -1, -1, -1, -1],
      ],
      [
        [-2, 7, 8, 9, -2, -2],
        [-2, 10, 11, 12, -2, -2],
        [-2, -2, -2, -2, -2, -2],
      ],
    ]);
  });

  test('RandomCrop padding modes match torchvision: edge, reflect, symmetric', () => {
    const row = tensor([[[1, 2, 3, 4]]]);
    const full = (mode: 'edge' | 'reflect' | 'symmetric') =>
      new RandomCrop([1, 8], { padding: [2, 0], paddingMode: mode }).forward(row);
    assertClose(full('edge'), [[[1, 1, 1, 2, 3, 4, 4, 4]]]);
    assertClose(full('reflect'), [[[3, 2, 1, 2, 3, 4, 3, 2]]]);
    assertClose(full('symmetric'), [[[2, 1, 1, 2, 3, 4, 4, 3]]]);
    // padIfNeeded grows both sides of a short axis by the shortfall.
    const grown = new RandomCrop([1, 6], { padIfNeeded: true, generator: new Generator(0) }).forward(row);
    assert.deepEqual(grown.shape, [1, 1, 6]);
  });

  test('RandomCrop keeps the dtype (integer images)', () => {
    const img = arange(0, 16, 1, { dtype: 'int32' }).reshape([1, 4, 4]);
    const out = new RandomCrop(2, { generator: new Generator(1) }).forward(img);
    assert.equal(out.dtype, 'int32');
    assert.deepEqual(out.shape, [1, 2, 2]);
  });

  test('RandomHorizontalFlip: p = 1 mirrors exactly, p = 0 copies, p = 0.5 does each per image', () => {
    const img = rampImage(2, 2, 3);
    const flipped = [
      [
        [3, 2, 1],
        [6, 5, 4],
      ],
      [
        [9, 8, 7],
        [12, 11, 10],
      ],
    ];
    assertClose(new RandomHorizontalFlip(1).forward(img), flipped);
    assertClose(new RandomHorizontalFlip(0).forward(img), img);
    const out = new RandomHorizontalFlip(0.5, { generator: new Generator(2) }).forward(batchOf(img, 64));
    const plain = sample(batchOf(img, 1), 0).join(',');
    const mirrored = flipped.flat(2).join(',');
    let nFlipped = 0;
    for (let i = 0; i < 64; i++) {
      const s = sample(out, i).join(',');
      assert.ok(s === plain || s === mirrored, `sample ${i} is neither the image nor its mirror`);
      if (s === mirrored) nFlipped++;
    }
    assert.ok(nFlipped > 16 && nFlipped < 48, `about half flipped, got ${nFlipped} of 64`);
  });

  test('Normalize subtracts the mean and divides by the std per channel, exactly', () => {
    const x = tensor([[[1, 2]], [[3, 5]]], { dtype: 'float64' });
    assertClose(new Normalize([0.5, 1], [0.5, 2]).forward(x), [[[1, 3]], [[1, 2]]]);
    const batch = tensor(
      [
        [[[0.25]], [[0.5]], [[1]]],
        [[[1]], [[0]], [[0.5]]],
      ],
      { dtype: 'float64' },
    );
    assertClose(new Normalize([0.5, 0.5, 0.5], [0.25, 0.5, 0.5]).forward(batch), [
      [[[-1]], [[0]], [[1]]],
      [[[2]], [[-1]], [[0]]],
    ]);
    // One value for every channel.
    assertClose(new Normalize(1, 2).forward(x), [[[0, 0.5]], [[1, 2]]]);
  });

  test('same seed, same output; another seed, another output', () => {
    const x = batchOf(rampImage(1, 6, 6), 16);
    const make = (seed: number) =>
      new Compose([
        new RandomCrop(6, { padding: 2, generator: new Generator(seed) }),
        new RandomHorizontalFlip(0.5, { generator: new Generator(seed + 100) }),
      ]);
    const a = make(7).forward(x).dataSync();
    const b = make(7).forward(x).dataSync();
    const c = make(8).forward(x).dataSync();
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
  });

  test('a batch gives what the images give one by one (same generator stream)', () => {
    const x = tensor(
      Float32Array.from({ length: 5 * 3 * 4 * 4 }, (_, i) => (i * 37) % 101),
      { shape: [5, 3, 4, 4] },
    );
    const transforms = (seed: number) => [
      new RandomCrop(3, { padding: 1, paddingMode: 'reflect', generator: new Generator(seed) }),
      new RandomHorizontalFlip(0.5, { generator: new Generator(seed + 1) }),
      new Normalize([1, 2, 3], [2, 4, 8]),
    ];
    for (const [k, batched] of transforms(5).entries()) {
      const single = transforms(5)[k];
      const whole = batched.forward(x);
      for (let i = 0; i < 5; i++) {
        const one = single.forward(tensor(sample(x, i), { shape: [3, 4, 4] }));
        assert.deepEqual(Array.from(one.dataSync()), sample(whole, i), `${String(batched)}: sample ${i}`);
      }
    }
  });

  test('transforms record no autograd history', () => {
    const x = tensor(
      Float64Array.from({ length: 8 }, (_, i) => i),
      { shape: [2, 2, 2], requiresGrad: true },
    );
    const out = new Compose([
      new RandomCrop(2, { padding: 1 }),
      new RandomHorizontalFlip(),
      new Normalize(0, 1),
    ]).forward(x);
    assert.equal(out.requiresGrad, false);
    assert.equal(out.gradFn, null);
  });

  test('Compose applies transforms and functions in order', () => {
    const x = rampImage(1, 1, 3);
    const out = new Compose([(t: Tensor) => t.mul(2), new RandomHorizontalFlip(1)]).forward(x);
    assertClose(out, [[[6, 4, 2]]]);
    assert.match(
      String(new Compose([new RandomHorizontalFlip(0.3)])),
      /Compose\(\n {4}RandomHorizontalFlip\(p=0.3\)\n\)/,
    );
  });

  test('bad sizes and arguments throw clear errors', () => {
    const img = rampImage(3, 4, 4);
    assertThrowsMatch(
      () => new RandomCrop(6, { padding: 0 }).forward(img),
      ShapeError,
      /^RandomCrop: crop size \[6, 6\] is larger than the image \[4, 4\] \(input \[3,4,4\]\)/,
    );
    assertThrowsMatch(
      () => new RandomCrop(9, { padding: 2 }).forward(img),
      ShapeError,
      /^RandomCrop: crop size \[9, 9\] is larger than the padded image \[8, 8\]/,
    );
    assertThrowsMatch(() => new RandomCrop(0), IndexError, /^RandomCrop: size must be a positive integer/);
    assertThrowsMatch(
      () => new RandomCrop(2, { padding: [1, 2, 3] }),
      IndexError,
      /^RandomCrop: padding must be/,
    );
    assertThrowsMatch(
      () => new RandomCrop(4, { padding: 4, paddingMode: 'reflect' }).forward(img),
      IndexError,
      /^RandomCrop: reflect padding \[4, 4, 4, 4\] must be at most one less than the image size \[4, 4\]/,
    );
    assertThrowsMatch(
      () => new RandomCrop(4, { padding: 1, fill: [0, 0] }).forward(img),
      ShapeError,
      /^RandomCrop: fill has 2 values for 3 channels/,
    );
    for (const t of [new RandomCrop(2), new RandomHorizontalFlip(), new Normalize(0, 1)]) {
      assertThrowsMatch(
        () => t.forward(tensor([1, 2, 3])),
        ShapeError,
        /: expected an image \[C, H, W\] or a batch \[N, C, H, W\], got \[3\]$/,
      );
    }
    assertThrowsMatch(
      () => new RandomHorizontalFlip(1.5),
      IndexError,
      /^RandomHorizontalFlip: p must be in \[0, 1\], got 1.5/,
    );
    assertThrowsMatch(() => new Normalize([0.5], [0]), IndexError, /^Normalize: std must not be zero/);
    assertThrowsMatch(
      () => new Normalize([0.5, 0.5], [1, 1]).forward(img),
      ShapeError,
      /^Normalize: mean has 2 values for 3 channels/,
    );
    assertThrowsMatch(
      () => new Normalize(0, 1).forward(arange(0, 4, 1, { dtype: 'int32' }).reshape([1, 2, 2])),
      DTypeError,
      /^Normalize: expected a floating-point image, got dtype int32/,
    );
    assertThrowsMatch(() => new Compose([42 as never]), IndexError, /^Compose: transform 0 is neither/);
  });
});
