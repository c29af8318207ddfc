/** Bounds that keep an import's memory flat whatever the file holds. */
export const IMPORT_LIMITS = {
  /** Largest single record (a JSONL line, a CSV row, an XML event, one element of a JSON array). */
  maxRecordBytes: 16 * 1024 * 1024,
  /** Bytes per read from disk: few async round trips, which are slow when the machine is busy. */
  readBytes: 1024 * 1024,
  /**
   * Bytes parsed between two writes: each slice's records are written before the next slice is
   * parsed, so records stay short-lived (young-generation garbage) and the heap stays small.
   */
  chunkBytes: 64 * 1024,
  /** Longest stretch of work before the event loop gets a turn (cancel, other commands, the UI). */
  yieldEveryMs: 25,
  /** Records written per transaction. */
  batchSize: 2000,
  /** SQLite page cache while an import runs (KiB): random content-hash keys need more than the default 2 MB. */
  importCacheKiB: 32 * 1024,
  /** WAL pages between automatic checkpoints while an import runs (SQLite's default is 1000). */
  importCheckpointPages: 10_000,
  /** Rejections kept in the report (all are counted). */
  maxRejectionsKept: 1000,
  /** Minimum gap between two progress events. */
  progressIntervalMs: 150,
  /** Deepest JSON nesting accepted. */
  maxJsonDepth: 512,
  /** Bytes read to detect a format and build the preview. */
  detectBytes: 1024 * 1024,
} as const;

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024 * 1024) return `${(n / (1024 * 1024 * 1024)).toFixed(1)} GiB`;
  if (n >= 1024 * 1024) return `${Math.round(n / (1024 * 1024))} MiB`;
  if (n >= 1024) return `${Math.round(n / 1024)} KiB`;
  return `${n} bytes`;
}
