/**
 * A record that cannot be imported. `offset` is an absolute byte offset in the file and `line` an
 * absolute 1-based line; either may be left out and is then filled in with the record's own start.
 */
export class RecordError extends Error {
  constructor(
    readonly reason: string,
    readonly offset: number | null = null,
    readonly line: number | null = null,
  ) {
    super(reason);
    this.name = 'RecordError';
  }
}

/** A problem with the whole file (wrong container, not JSON Lines): the import stops and nothing is kept. */
export class FatalImportError extends Error {
  constructor(
    readonly reason: string,
    readonly line: number,
    readonly offset: number | null,
  ) {
    super(reason);
    this.name = 'FatalImportError';
  }
}
