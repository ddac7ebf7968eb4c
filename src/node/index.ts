/**
 * chainrule/node: the parts that need Node (files, gzip). The main entry point stays browser-safe.
 */
export { writeFileAtomic, readFileBytes, gunzipIfNeeded, saveSafetensors, loadSafetensors } from './files.js';
export type { LoadCsvOptions, FashionMnistOptions } from './datasets.js';
export { FASHION_MNIST_DIR, builtinDigitsPath, loadDigits, loadCsv, loadFashionMnist } from './datasets.js';
export { FormatError, MissingFileError } from '../io/errors.js';
export type { SafetensorsContents } from '../io/safetensors.js';
export type { ProgressOptions } from './progress.js';
export { ProgressBar, formatLogs } from './progress.js';
export { CsvLogger, JsonlLogger } from './loggers.js';
export type {
  CheckpointContents,
  CheckpointOptimizer,
  CheckpointScheduler,
  GeneratorState,
  LoadCheckpointOptions,
  SaveCheckpointOptions,
} from './checkpoint.js';
export {
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  saveCheckpoint,
  loadCheckpoint,
  readCheckpoint,
} from './checkpoint.js';
export type { ModelCheckpointOptions } from './model-checkpoint.js';
export { ModelCheckpoint } from './model-checkpoint.js';
export type { RgbaImage, Color } from '../vision/raster.js';
export { Canvas, PALETTE } from '../vision/raster.js';
export { writePng, readPng, encodePng } from './png.js';
export type {
  ImageGridOptions,
  HeatmapOptions,
  LineSeries,
  LinePlotOptions,
  ScatterGroup,
  ScatterPlotOptions,
} from './plot.js';
export { imageGrid, heatmap, linePlot, scatterPlot } from './plot.js';
export { useSyncCollector } from './wasm-collector.js';
