import { RecordError } from '../recordError';
import { compact, isObj, pick, str, titleOf, type AlertItem, type FormatSpec, type Obj } from './fields';
import type { KeyFields } from '../../contract/index';

export function isCloudTrail(v: Obj): boolean {
  return typeof v.eventName === 'string' && typeof v.eventSource === 'string';
}

export function cloudTrailFields(e: Obj): KeyFields {
  return compact({
    time: pick(e, 'eventTime', '@timestamp'),
    host: pick(e, 'eventSource'),
    user: pick(
      e,
      'userIdentity.userName',
      'userIdentity.sessionContext.sessionIssuer.userName',
      'userIdentity.arn',
      'userIdentity.principalId',
      'userIdentity.invokedBy',
      'userIdentity.type',
    ),
    sourceIp: pick(e, 'sourceIPAddress'),
    event: pick(e, 'eventName'),
    region: pick(e, 'awsRegion'),
    account: pick(e, 'recipientAccountId', 'userIdentity.accountId'),
    error: pick(e, 'errorCode'),
  });
}

export function cloudTrailTitle(e: Obj, kf: KeyFields): string {
  const err = str(e.errorCode) ?? (isObj(e.responseElements) ? str(e.responseElements.ConsoleLogin) : undefined);
  return titleOf(
    kf.event,
    err && err !== 'Success' ? `(${err})` : undefined,
    kf.user ? `by ${kf.user}` : undefined,
    kf.host ? `via ${kf.host}` : undefined,
  );
}

export const cloudtrailFormat: FormatSpec = {
  id: 'cloudtrail',
  sourceKind: 'imported_alert',
  containers: ['json', 'jsonl'],
  matches: isCloudTrail,
  map(v): AlertItem {
    const e = v as Obj;
    if (!isCloudTrail(e)) throw new RecordError('not a CloudTrail record (needs eventName and eventSource)');
    const keyFields = cloudTrailFields(e);
    return {
      kind: 'alert',
      title: cloudTrailTitle(e, keyFields),
      task: 'audit_log',
      keyFields,
      groupKey: null,
      payload: e,
    };
  },
};
