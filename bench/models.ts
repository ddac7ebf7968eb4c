/**
 * The benchmark's networks, one definition for the Node harness (bench/chainrule.ts) and the WebGPU
 * page (test/webgpu/bench.ts): browser-safe, so it imports the library's plain entry.
 */
import * as cr from '../src/index.js';

/** An MLP: Linear layers of the given sizes with ReLU between them. */
export function benchMlp(sizes: readonly number[]): cr.nn.Module {
  const layers: cr.nn.Module[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    layers.push(new cr.nn.Linear(sizes[i], sizes[i + 1]));
    if (i + 2 < sizes.length) layers.push(new cr.nn.ReLU());
  }
  return new cr.nn.Sequential(...layers);
}

/** conv3×3 → ReLU → maxpool 2, twice, then Linear → ReLU → Linear; sizes [cin, c1, c2, hidden, classes]. */
export function benchCnn(sizes: readonly number[], image: number): cr.nn.Module {
  const [cin, c1, c2, hidden, classes] = sizes;
  const side = Math.floor(Math.floor(image / 2) / 2);
  return new cr.nn.Sequential(
    new cr.nn.Conv2d(cin, c1, 3, { padding: 1 }),
    new cr.nn.ReLU(),
    new cr.nn.MaxPool2d(2),
    new cr.nn.Conv2d(c1, c2, 3, { padding: 1 }),
    new cr.nn.ReLU(),
    new cr.nn.MaxPool2d(2),
    new cr.nn.Flatten(),
    new cr.nn.Linear(c2 * side * side, hidden),
    new cr.nn.ReLU(),
    new cr.nn.Linear(hidden, classes),
  );
}
