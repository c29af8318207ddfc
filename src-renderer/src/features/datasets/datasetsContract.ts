/** The dataset builder's slice of the contract (types and constants only). */
export {
  EXPORT_FORMATS,
  SECRET_FIXES,
  SEVERITIES,
  SOURCE_KINDS,
  STRATIFY_BY,
  TASKS,
  VERDICTS,
} from '../../../../src-main/contract/index';
export type {
  BuildOptionsInput,
  BuildReport,
  DatasetFilter,
  DatasetSummary,
  DatasetVersionDetail,
  DatasetVersionSummary,
  ExportFormat,
  ExportResult,
  SecretFix,
  Severity,
  SourceKind,
  StratifyBy,
  Task,
  Verdict,
} from '../../../../src-main/contract/index';
