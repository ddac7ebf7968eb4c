/** The data namespace (like torch.utils.data): datasets, loaders, splits and built-in data. */
export type { DatasetLike } from './dataset.js';
export { Dataset, TensorDataset, Subset, ConcatDataset, randomSplit } from './dataset.js';
export type { Collated } from './collate.js';
export { defaultCollate, permutation } from './collate.js';
export type { DataLoaderOptions } from './loader.js';
export { DataLoader } from './loader.js';
export type { SyntheticOptions, Synthetic } from './synthetic.js';
export { xor, moons, circles, spirals } from './synthetic.js';
export type { CsvOptions, CsvTable, CsvTensorOptions } from './csv.js';
export { parseCsv, csvToTensors } from './csv.js';
export type { IdxArray, IdxData, MnistOptions, MnistData } from './idx.js';
export { parseIdx, mnistFromIdx } from './idx.js';
export type { DigitsData } from './digits.js';
export { parseDigits } from './digits.js';
export { FormatError } from '../io/errors.js';
