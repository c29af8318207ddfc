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
import { isWindowsEvent, windowsFields, windowsTitle } from './windowsEvents';
import type { KeyFields, Task } from '../../contract/index';

type Kind =
  'rest_incident' | 'rest_alert' | 'rest_entity' | 'security_alert' | 'security_incident' | 'windows' | 'la_row';

export function sentinelKind(v: Obj): Kind | null {
  const type = str(v.type) ?? '';
  if (type.startsWith('Microsoft.SecurityInsights/') && isObj(v.properties)) {
    if (/incidents$/i.test(type)) return 'rest_incident';
    if (v.kind === 'SecurityAlert' || /alerts$/i.test(type)) return 'rest_alert';
    return 'rest_entity';
  }
  if (
    (typeof v.AlertName === 'string' || typeof v.AlertDisplayName === 'string') &&
    (v.AlertSeverity !== undefined || v.Severity !== undefined)
  ) {
    return 'security_alert';
  }
  if (v.Type === 'SecurityIncident' || (v.IncidentNumber !== undefined && typeof v.Title === 'string'))
    return 'security_incident';
  if (
    (v.Type === 'SecurityEvent' || v.Type === 'Event' || v.Type === 'WindowsEvent' || v.TimeGenerated !== undefined) &&
    isWindowsEvent(v)
  ) {
    return 'windows';
  }
  if (v.TimeGenerated !== undefined && (typeof v.Type === 'string' || typeof v.TenantId === 'string')) return 'la_row';
  return null;
}

/** Entities of a SecurityAlert row: a JSON string (as exported) or an array. */
function entitiesOf(v: unknown): Obj[] {
  let list: unknown = v;
  if (typeof v === 'string') {
    try {
      list = JSON.parse(v);
    } catch {
      return [];
    }
  }
  return Array.isArray(list) ? list.filter(isObj) : [];
}

function entity(list: Obj[], type: string, ...keys: string[]): string | undefined {
  for (const e of list) {
    if (String(e.Type ?? e.type ?? '').toLowerCase() !== type) continue;
    const s = pick(e, ...keys);
    if (s) return s;
  }
  return undefined;
}

export function sentinelFields(v: Obj, kind: Kind): KeyFields {
  const p = isObj(v.properties) ? v.properties : {};
  switch (kind) {
    case 'rest_incident':
      return compact({
        time: pick(p, 'createdTimeUtc', 'firstActivityTimeUtc'),
        user: pick(p, 'owner.userPrincipalName', 'owner.email'),
        rule: pick(p, 'title'),
        severity: normSeverity(p.severity),
        status: str(p.status),
        classification: str(p.classification),
        incidentNumber: str(p.incidentNumber),
        attack: techniqueIds(p.techniques),
      });
    case 'rest_alert':
      return compact({
        time: pick(p, 'timeGenerated', 'startTimeUtc'),
        host: pick(p, 'compromisedEntity'),
        rule: pick(p, 'alertDisplayName', 'alertType'),
        severity: normSeverity(p.severity),
        status: str(p.status),
        product: str(p.productName),
        attack: techniqueIds(p.techniques),
      });
    case 'rest_entity':
      return compact({
        entityKind: str(v.kind),
        host: pick(p, 'hostName', 'dnsDomain'),
        user: pick(p, 'accountName', 'userPrincipalName', 'upnSuffix'),
        sourceIp: pick(p, 'address'),
        name: pick(p, 'friendlyName'),
      });
    case 'security_alert': {
      const ents = entitiesOf(v.Entities);
      return compact({
        time: pick(v, 'TimeGenerated', 'StartTime', 'StartTimeUtc'),
        host: pick(v, 'CompromisedEntity') ?? entity(ents, 'host', 'HostName', 'FQDN', 'NetBiosName'),
        user: entity(ents, 'account', 'Name', 'UPNSuffix'),
        sourceIp: entity(ents, 'ip', 'Address'),
        rule: pick(v, 'AlertName', 'AlertDisplayName'),
        severity: normSeverity(v.AlertSeverity ?? v.Severity),
        provider: pick(v, 'ProviderName'),
        alertType: pick(v, 'AlertType'),
        attack: techniqueIds([str(v.Techniques) ?? '', str(v.Tactics) ?? '']),
      });
    }
    case 'security_incident':
      return compact({
        time: pick(v, 'CreatedTime', 'TimeGenerated'),
        user: pick(v, 'Owner.userPrincipalName', 'Owner.email'),
        rule: pick(v, 'Title'),
        severity: normSeverity(v.Severity),
        status: str(v.Status),
        classification: str(v.Classification),
        incidentNumber: str(v.IncidentNumber),
      });
    case 'windows':
      return windowsFields(v);
    case 'la_row':
      return compact({
        time: str(v.TimeGenerated),
        host: pick(v, 'Computer', 'HostName', 'DeviceName', 'OfficeWorkload'),
        user: pick(
          v,
          'UserPrincipalName',
          'InitiatingUserOrApp',
          'InitiatedBy.user.userPrincipalName',
          'UserId',
          'Account',
          'Caller',
        ),
        sourceIp: pick(v, 'IPAddress', 'ClientIP', 'Client_IPAddress', 'CallerIpAddress', 'SourceIP'),
        table: str(v.Type),
        operation: pick(v, 'OperationName', 'Operation', 'ActivityDisplayName', 'Activity'),
        result: pick(v, 'Result', 'ResultStatus', 'ResultType'),
      });
  }
}

const TASKS: Record<Kind, Task> = {
  rest_incident: 'incident',
  security_incident: 'incident',
  rest_alert: 'triage',
  security_alert: 'triage',
  rest_entity: 'triage',
  windows: 'audit_log',
  la_row: 'audit_log',
};

function sentinelTitle(kind: Kind, kf: KeyFields): string {
  switch (kind) {
    case 'rest_incident':
    case 'security_incident':
      return titleOf(kf.incidentNumber ? `Incident ${kf.incidentNumber}:` : 'Incident:', kf.rule);
    case 'rest_alert':
    case 'security_alert':
      return titleOf(kf.rule, kf.host ? `on ${kf.host}` : undefined);
    case 'rest_entity':
      return titleOf(`${kf.entityKind ?? 'Entity'}:`, kf.name ?? kf.user ?? kf.host ?? kf.sourceIp);
    case 'windows':
      return windowsTitle(kf);
    case 'la_row':
      return titleOf(`${kf.table ?? 'Log'}:`, kf.operation, kf.user ? `by ${kf.user}` : undefined);
  }
}

export function mapSentinel(v: Obj): AlertItem {
  const kind = sentinelKind(v);
  if (!kind)
    throw new RecordError(
      'not a recognised Sentinel record (REST incident/alert/entity, SecurityAlert row or Log Analytics row)',
    );
  const keyFields = sentinelFields(v, kind);
  return {
    kind: 'alert',
    title: sentinelTitle(kind, keyFields),
    task: TASKS[kind],
    keyFields,
    groupKey: null,
    payload: v,
  };
}

export const sentinelFormat: FormatSpec = {
  id: 'sentinel',
  sourceKind: 'imported_alert',
  containers: ['json', 'jsonl'],
  matches: (v) => sentinelKind(v) !== null,
  map: (v) => mapSentinel(v as Obj),
};
