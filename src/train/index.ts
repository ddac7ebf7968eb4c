/** The training loop helper, its callbacks and metrics (browser-safe; file-writing callbacks live in chainrule/node). */
export { fit, evaluate, evaluateAsync } from './fit.js';
export type { FitOptions, OptimizerLike, LossFn, Metric } from './fit.js';
export { EarlyStopping, SchedulerStep, monitorMode } from './callbacks.js';
export type { Callback, EpochLogs, History, TrainState, MonitorOptions, SchedulerLike } from './callbacks.js';
export { accuracy, accuracyAsync, topKAccuracy, topKAccuracyAsync } from './metrics.js';
export { confusionMatrix, perClassAccuracy } from './confusion.js';
