/** Reading and writing tensors (browser-safe): the safetensors format and the errors of damaged files. */
export { FormatError, MissingFileError } from './errors.js';
export type { SafetensorsContents, SafetensorsDType, DecodeOptions } from './safetensors.js';
export * as safetensors from './safetensors.js';
