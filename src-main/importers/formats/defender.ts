import { RecordError } from '../recordError';
import {
  compact,
  isObj,
  normSeverity,
  pick,
  str,
  techniqueIds,
  titleOf,
  type AlertItem,
  type FormatSpec,
  type Obj,
} from './fields';
import type { KeyFields, Task } from '../../contract/index';

type Kind = 'incident' | 'mde_alert' | 'graph_alert' | 'hunting' | 'm365_audit';

/** Which Microsoft Defender / 365 shape a record has, if any. */
export function defenderKind(v: Obj): Kind | null {
  if (v.incidentId !== undefined && typeof v.incidentName === 'string') return 'incident';
  const odata = str(v['@odata.type']) ?? '';
  if (
    odata.includes('microsoft.graph.security.alert') ||
    (typeof v.title === 'string' && typeof v.serviceSource === 'string' && v.createdDateTime !== undefined)
  ) {
    return 'graph_alert';
  }
  if (
    typeof v.title === 'string' &&
    (v.alertCreationTime !== undefined || v.detectionSource !== undefined || v.machineId !== undefined)
  )
    return 'mde_alert';
  if (typeof v.ActionType === 'string' && v.Timestamp !== undefined) return 'hunting';
  if (typeof v.Operation === 'string' && typeof v.Workload === 'string' && v.CreationTime !== undefined)
    return 'm365_audit';
  return null;
}

/** Values of one property across a list of evidence/entity objects. */
function fromList(list: unknown, ...keys: string[]): string | undefined {
  if (!Array.isArray(list)) return undefined;
  for (const k of keys) {
    for (const item of list) {
      const s = pick(item, k);
      if (s) return s;
    }
  }
  return undefined;
}

function allAlerts(v: Obj): Obj[] {
  return Array.isArray(v.alerts) ? v.alerts.filter(isObj) : [];
}

export function defenderFields(v: Obj, kind: Kind): KeyFields {
  switch (kind) {
    case 'incident': {
      const alerts = allAlerts(v);
      const entities = alerts.flatMap((a) => (Array.isArray(a.entities) ? a.entities : []));
      const devices = alerts.flatMap((a) => (Array.isArray(a.devices) ? a.devices : []));
      return compact({
        time: pick(v, 'createdTime', 'lastUpdateTime'),
        host: fromList(devices, 'deviceDnsName', 'deviceName') ?? fromList(entities, 'deviceName'),
        user: fromList(entities, 'userPrincipalName', 'accountName', 'mailboxAddress'),
        sourceIp: fromList(entities, 'ipAddress'),
        rule: alerts.length ? pick(alerts[0], 'title') : undefined,
        severity: normSeverity(v.severity),
        status: str(v.status),
        classification: str(v.classification),
        determination: str(v.determination),
        alerts: String(alerts.length),
        attack: techniqueIds(alerts.flatMap((a) => (Array.isArray(a.mitreTechniques) ? a.mitreTechniques : []))),
      });
    }
    case 'mde_alert': {
      const ev = v.evidence;
      const related = isObj(v.relatedUser) ? v.relatedUser : null;
      const relatedUser =
        related && str(related.userName)
          ? `${str(related.domainName) ? `${str(related.domainName)}\\` : ''}${str(related.userName)}`
          : undefined;
      return compact({
        time: pick(v, 'alertCreationTime', 'firstEventTime'),
        host: pick(v, 'computerDnsName', 'machineId'),
        user: relatedUser ?? fromList(ev, 'userPrincipalName', 'accountName'),
        sourceIp: fromList(ev, 'ipAddress'),
        rule: str(v.title),
        severity: normSeverity(v.severity),
        category: str(v.category),
        status: str(v.status),
        detectionSource: str(v.detectionSource),
        threat: pick(v, 'threatFamilyName', 'threatName'),
        attack: techniqueIds(v.mitreTechniques),
      });
    }
    case 'graph_alert': {
      const ev = v.evidence;
      return compact({
        time: pick(v, 'createdDateTime', 'firstActivityDateTime'),
        host: fromList(ev, 'deviceDnsName', 'hostName'),
        user: fromList(ev, 'userAccount.userPrincipalName', 'userAccount.accountName'),
        sourceIp: fromList(ev, 'ipAddress'),
        rule: str(v.title),
        severity: normSeverity(v.severity),
        category: str(v.category),
        status: str(v.status),
        detectionSource: pick(v, 'serviceSource', 'detectionSource'),
        attack: techniqueIds(v.mitreTechniques),
      });
    }
    case 'hunting':
      return compact({
        time: str(v.Timestamp),
        host: pick(v, 'DeviceName', 'DestinationDeviceName'),
        user: pick(
          v,
          'AccountUpn',
          'AccountName',
          'InitiatingProcessAccountUpn',
          'InitiatingProcessAccountName',
          'AccountDisplayName',
        ),
        sourceIp: pick(v, 'RemoteIP', 'IPAddress', 'LocalIP', 'FileOriginIP'),
        action: str(v.ActionType),
        application: str(v.Application),
        process: pick(v, 'FileName', 'InitiatingProcessFileName'),
        commandLine: pick(v, 'ProcessCommandLine', 'InitiatingProcessCommandLine'),
      });
    case 'm365_audit':
      return compact({
        time: str(v.CreationTime),
        host: str(v.Workload),
        user: pick(v, 'UserId', 'UserKey'),
        sourceIp: pick(v, 'ClientIP', 'ClientIPAddress', 'ActorIpAddress'),
        operation: str(v.Operation),
        result: pick(v, 'ResultStatus'),
      });
  }
}

function defenderTitle(v: Obj, kind: Kind, kf: KeyFields): string {
  switch (kind) {
    case 'incident':
      return titleOf(`Incident ${str(v.incidentId) ?? ''}:`, str(v.incidentName));
    case 'mde_alert':
    case 'graph_alert':
      return titleOf(str(v.title), kf.host ? `on ${kf.host}` : kf.user ? `for ${kf.user}` : undefined);
    case 'hunting':
      return titleOf(kf.action, kf.host ? `on ${kf.host}` : undefined, kf.user ? `(${kf.user})` : undefined);
    case 'm365_audit':
      return titleOf(kf.operation, `(${kf.host})`, kf.user ? `by ${kf.user}` : undefined);
  }
}

const TASKS: Record<Kind, Task> = {
  incident: 'incident',
  mde_alert: 'triage',
  graph_alert: 'triage',
  hunting: 'audit_log',
  m365_audit: 'audit_log',
};

export function mapDefender(v: Obj): AlertItem {
  const kind = defenderKind(v);
  if (!kind)
    throw new RecordError(
      'not a recognised Defender record (an alert, an incident, an advanced-hunting row or a Microsoft 365 audit record)',
    );
  const keyFields = defenderFields(v, kind);
  return {
    kind: 'alert',
    title: defenderTitle(v, kind, keyFields),
    task: TASKS[kind],
    keyFields,
    groupKey: null,
    payload: v,
  };
}

export const defenderFormat: FormatSpec = {
  id: 'defender',
  sourceKind: 'imported_alert',
  containers: ['json', 'jsonl'],
  matches: (v) => defenderKind(v) !== null,
  map: (v) => mapDefender(v as Obj),
};
