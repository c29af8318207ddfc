import { RecordError } from '../recordError';
import { findUnsafeValue } from '../safeJson';
import { compact, get, isObj, pick, str, titleOf, type AlertItem, type FormatSpec, type Obj } from './fields';
import type { KeyFields } from '../../contract/index';

/** Native audit.k8s.io events, AKS diagnostic records (`properties.log`) and GKE Cloud Audit Logs. */
export function isK8sAudit(v: Obj): boolean {
  if (v.kind === 'Event' && (typeof v.auditID === 'string' || String(v.apiVersion ?? '').startsWith('audit.k8s.io')))
    return true;
  if (typeof v.auditID === 'string' && typeof v.verb === 'string') return true;
  if (v.category === 'kube-audit' && isObj(v.properties)) return true;
  return isObj(v.protoPayload) && get(v, 'protoPayload.serviceName') === 'k8s.io';
}

/** The audit event inside an AKS diagnostic record, parsed with the same care as the file. */
function aksInner(e: Obj): Obj | null {
  const log = get(e, 'properties.log');
  if (typeof log !== 'string') return null;
  try {
    const inner: unknown = JSON.parse(log);
    return isObj(inner) && !findUnsafeValue(inner) ? inner : null;
  } catch {
    return null;
  }
}

export function k8sFields(e: Obj): KeyFields {
  const ev = aksInner(e) ?? e;
  const gke = isObj(e.protoPayload) ? e.protoPayload : null;
  let verb = pick(ev, 'verb');
  let resource = pick(ev, 'objectRef.resource');
  const sub = pick(ev, 'objectRef.subresource');
  if (!verb && gke) {
    const method = str(gke.methodName) ?? '';
    const parts = method.split('.');
    verb = parts[parts.length - 1];
    resource = parts[parts.length - 2];
  }
  return compact({
    time:
      pick(ev, 'requestReceivedTimestamp', 'stageTimestamp', 'timestamp', 'metadata.creationTimestamp') ??
      pick(e, 'timestamp', 'time', 'receiveTimestamp', 'p_event_time'),
    host: pick(e, 'p_source_label', 'resource.labels.cluster_name', 'properties.pod'),
    user: pick(ev, 'user.username', 'impersonatedUser.username') ?? pick(gke, 'authenticationInfo.principalEmail'),
    sourceIp: pick(ev, 'sourceIPs.0') ?? pick(gke, 'requestMetadata.callerIP'),
    verb,
    resource: resource ? `${resource}${sub ? `/${sub}` : ''}` : undefined,
    namespace: pick(ev, 'objectRef.namespace'),
    name: pick(ev, 'objectRef.name') ?? (gke ? pick(gke, 'resourceName') : undefined),
    decision: isObj(ev.annotations) ? str(ev.annotations['authorization.k8s.io/decision']) : undefined,
    status: pick(ev, 'responseStatus.code'),
  });
}

export const k8sAuditFormat: FormatSpec = {
  id: 'k8s_audit',
  sourceKind: 'imported_alert',
  containers: ['json', 'jsonl'],
  matches: isK8sAudit,
  map(v): AlertItem {
    const e = v as Obj;
    if (!isK8sAudit(e))
      throw new RecordError(
        'not a Kubernetes audit event (needs kind "Event" with auditID/verb, or an AKS/GKE audit record)',
      );
    const kf = k8sFields(e);
    const target = [kf.resource, kf.namespace && kf.name ? `${kf.namespace}/${kf.name}` : kf.name]
      .filter(Boolean)
      .join(' ');
    return {
      kind: 'alert',
      title: titleOf(kf.verb, target, kf.user ? `by ${kf.user}` : undefined),
      task: 'audit_log',
      keyFields: kf,
      groupKey: null,
      payload: e,
    };
  },
};
