import type { Migration } from './types';
import { migration0001 } from './0001_initial';
import { migration0003 } from './0003_endpoints';
import { migration0004 } from './0004_imports';
import { migration0005 } from './0005_review';
import { migration0006 } from './0006_datasets';
import { migration0007 } from './0007_job_results';
import { migration0008 } from './0008_evaluation';
import { migration0009 } from './0009_training';
import { migration0010 } from './0010_review_status_indexes';

/** Every migration, in increasing version order (gaps allowed); the last one's version is the schema this build writes. */
export const migrations: readonly Migration[] = [
  migration0001,
  migration0003,
  migration0004,
  migration0005,
  migration0006,
  migration0007,
  migration0008,
  migration0009,
  migration0010,
];

export const LATEST_SCHEMA_VERSION = migrations[migrations.length - 1]!.version;
