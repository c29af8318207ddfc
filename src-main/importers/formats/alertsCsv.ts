import { column, compact, normSeverity, titleOf, type AlertItem, type FormatSpec, type Obj } from './fields';
import { sentinelFields, sentinelKind } from './sentinel';
import type { KeyFields } from '../../contract/index';

/** Column names that usually hold each key field, in order of preference. */
const GUESS = {
  title: [
    'AlertDisplayName',
    'AlertName',
    'Title',
    'RuleName',
    'Rule',
    'EventName',
    'Signature',
    'Alert',
    'Name',
    'Description',
  ],
  time: ['TimeGenerated', 'StartTimeUtc', 'Timestamp', 'Time', 'EventTime', 'Event DateTime', 'CreatedTime', 'Date'],
  host: ['CompromisedEntity', 'Computer', 'Host', 'HostName', 'Hostname', 'DeviceName', 'Device'],
  user: ['User', 'UserName', 'UserPrincipalName', 'Account', 'AccountName'],
  sourceIp: ['SourceIp', 'Source IP', 'SrcIp', 'src_ip', 'IPAddress', 'ClientIP', 'RemoteIP'],
  rule: ['RuleName', 'Rule', 'AlertName', 'AlertType', 'Signature'],
  severity: ['Severity', 'AlertSeverity', 'Level', 'Priority'],
};

/** Key fields of a CSV alert row: Sentinel SecurityAlert columns when present, otherwise guessed from column names. */
export function csvAlertFields(row: Obj): { keyFields: KeyFields; title: string } {
  const kind = sentinelKind(row);
  if (kind === 'security_alert') {
    const kf = sentinelFields(row, kind);
    return { keyFields: kf, title: titleOf(kf.rule, kf.host ? `on ${kf.host}` : undefined) };
  }
  const kf = compact({
    time: column(row, ...GUESS.time),
    host: column(row, ...GUESS.host),
    user: column(row, ...GUESS.user),
    sourceIp: column(row, ...GUESS.sourceIp),
    rule: column(row, ...GUESS.rule),
    severity: normSeverity(column(row, ...GUESS.severity)),
  });
  const name = column(row, ...GUESS.title);
  return {
    keyFields: kf,
    title: titleOf(
      name ?? 'Alert',
      kf.sourceIp ? `from ${kf.sourceIp}` : undefined,
      kf.host ? `on ${kf.host}` : undefined,
    ),
  };
}

export const alertsCsvFormat: FormatSpec = {
  id: 'alerts_csv',
  sourceKind: 'imported_alert',
  containers: ['csv'],
  map(v): AlertItem {
    const row = v as Obj;
    const { keyFields, title } = csvAlertFields(row);
    return { kind: 'alert', title, task: 'triage', keyFields, groupKey: null, payload: row };
  },
};
