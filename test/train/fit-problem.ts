import { Generator, data, manualSeed, nn, optim } from '../../src/index.js';

/** The fit tests' problem: two moons, a small MLP and Adam, all seeded. */
export function problem(seed = 0) {
  manualSeed(seed);
  const { x, y } = data.moons(128, { noise: 0.1, generator: new Generator(seed) });
  const ds = new data.TensorDataset(x, y);
  const loader = new data.DataLoader(ds, {
    batchSize: 32,
    shuffle: true,
    generator: new Generator(seed + 1),
  });
  const model = new nn.Sequential(new nn.Linear(2, 16), new nn.Tanh(), new nn.Linear(16, 2));
  return { loader, model, optimizer: new optim.Adam(model.parameters(), { lr: 0.05 }) };
}
