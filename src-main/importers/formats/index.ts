import type { ImportFormat } from '../../contract/index';
import type { FormatSpec, Obj } from './fields';
import { alpacaFormat, csvExamplesFormat, openAIChatFormat, shareGptFormat } from './examples';
import { cloudtrailFormat } from './cloudtrail';
import { k8sAuditFormat } from './k8sAudit';
import { defenderFormat } from './defender';
import { sentinelFormat } from './sentinel';
import { alertsCsvFormat } from './alertsCsv';
import { syslogFormat } from './syslog';
import { windowsJsonFormat, windowsXmlFormat } from './windowsEvents';
import { pantherFormat, sigmaFormat } from './labelled';

export const FORMATS: Record<ImportFormat, FormatSpec> = {
  openai_chat: openAIChatFormat,
  sharegpt: shareGptFormat,
  alpaca: alpacaFormat,
  csv_examples: csvExamplesFormat,
  defender: defenderFormat,
  sentinel: sentinelFormat,
  alerts_csv: alertsCsvFormat,
  cloudtrail: cloudtrailFormat,
  k8s_audit: k8sAuditFormat,
  syslog: syslogFormat,
  windows_xml: windowsXmlFormat,
  windows_json: windowsJsonFormat,
  panther_rule_tests: pantherFormat,
  sigma_regression: sigmaFormat,
};

// Most specific first: labelled wrappers and examples before the event shapes they may contain.
const JSON_SNIFF_ORDER: ImportFormat[] = [
  'panther_rule_tests',
  'sigma_regression',
  'openai_chat',
  'sharegpt',
  'alpaca',
  'cloudtrail',
  'k8s_audit',
  'defender',
  'sentinel',
  'windows_json',
];

/** The format a JSON record looks like, or null. */
export function sniffJsonRecord(v: Obj): ImportFormat | null {
  for (const id of JSON_SNIFF_ORDER) if (FORMATS[id].matches?.(v)) return id;
  return null;
}

export type { FormatSpec, ImportItem, AlertItem, ExampleItem, ExampleMessage, MapContext } from './fields';
