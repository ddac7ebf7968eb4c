import { ChainruleError } from '../tensor/errors.js';

/** Bytes or text that do not have the expected format: a damaged, truncated or foreign file. */
export class FormatError extends ChainruleError {}

/** A file that a loader needs is not there; the message names the path and what was expected. */
export class MissingFileError extends ChainruleError {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
  }
}
