import { RecordError } from '../recordError';
import { compact, isObj, pick, str, titleOf, type AlertItem, type FormatSpec, type Obj } from './fields';
import type { KeyFields } from '../../contract/index';

const SECURITY_EVENTS: Record<string, string> = {
  '1102': 'The audit log was cleared',
  '4624': 'An account was successfully logged on',
  '4625': 'An account failed to log on',
  '4634': 'An account was logged off',
  '4648': 'A logon was attempted using explicit credentials',
  '4662': 'An operation was performed on an object',
  '4672': 'Special privileges assigned to new logon',
  '4688': 'A new process has been created',
  '4697': 'A service was installed in the system',
  '4698': 'A scheduled task was created',
  '4699': 'A scheduled task was deleted',
  '4701': 'A scheduled task was disabled',
  '4720': 'A user account was created',
  '4722': 'A user account was enabled',
  '4724': 'An attempt was made to reset an account password',
  '4726': 'A user account was deleted',
  '4728': 'A member was added to a security-enabled global group',
  '4732': 'A member was added to a security-enabled local group',
  '4740': 'A user account was locked out',
  '4768': 'A Kerberos authentication ticket (TGT) was requested',
  '4769': 'A Kerberos service ticket was requested',
  '4776': 'The computer attempted to validate the credentials for an account',
  '5140': 'A network share object was accessed',
  '5145': 'A network share object was checked for access',
  '5156': 'The Windows Filtering Platform has permitted a connection',
  '7045': 'A service was installed in the system',
  '4103': 'PowerShell module logging',
  '4104': 'PowerShell script block logging',
};

const SYSMON_EVENTS: Record<string, string> = {
  '1': 'Process creation',
  '2': 'A process changed a file creation time',
  '3': 'Network connection',
  '5': 'Process terminated',
  '6': 'Driver loaded',
  '7': 'Image loaded',
  '8': 'CreateRemoteThread',
  '10': 'Process accessed',
  '11': 'File created',
  '12': 'Registry object added or deleted',
  '13': 'Registry value set',
  '14': 'Registry object renamed',
  '15': 'File stream created',
  '16': 'Sysmon configuration change',
  '17': 'Pipe created',
  '18': 'Pipe connected',
  '22': 'DNS query',
  '23': 'File delete archived',
  '25': 'Process tampering',
};

/** The parts of any Windows event shape that key fields are read from. */
interface WinEvent {
  eventId?: string;
  channel?: string;
  provider?: string;
  computer?: string;
  time?: string;
  sid?: string;
  data: Obj;
}

export function isWindowsEvent(v: Obj): boolean {
  if (isObj(v.Event) && isObj(v.Event.System)) return true;
  if (isObj(v.winlog) && v.winlog.event_id !== undefined) return true;
  return (
    v.EventID !== undefined &&
    ['Channel', 'Computer', 'Hostname', 'ProviderName', 'SourceName', 'EventLog'].some((k) => v[k] !== undefined)
  );
}

function textOf(v: unknown): string | undefined {
  return isObj(v) ? str(v['#text']) : str(v);
}

/** evtx JSON (`Event.System`/`Event.EventData`), Winlogbeat (`winlog.*`) or flat rows (OTRF, Sentinel SecurityEvent). */
export function normaliseWindowsEvent(v: Obj): WinEvent {
  if (isObj(v.Event) && isObj(v.Event.System)) {
    const sys = v.Event.System;
    const data: Obj = {
      ...(isObj(v.Event.EventData) ? v.Event.EventData : {}),
      ...(isObj(v.Event.UserData) ? flattenOnce(v.Event.UserData) : {}),
    };
    return {
      eventId: textOf(sys.EventID),
      channel: str(sys.Channel),
      provider: pick(sys, 'Provider.#attributes.Name', 'Provider.Name'),
      computer: str(sys.Computer),
      time: pick(sys, 'TimeCreated.#attributes.SystemTime', 'TimeCreated.SystemTime'),
      sid: pick(sys, 'Security.#attributes.UserID', 'Security.UserID'),
      data,
    };
  }
  if (isObj(v.winlog)) {
    const w = v.winlog;
    return {
      eventId: str(w.event_id),
      channel: str(w.channel),
      provider: str(w.provider_name),
      computer: str(w.computer_name),
      time: str(v['@timestamp']),
      sid: pick(w, 'user.identifier'),
      data: isObj(w.event_data) ? w.event_data : {},
    };
  }
  const nested = isObj(v.EventData) ? v.EventData : isObj(v.ExtraEventData) ? v.ExtraEventData : {};
  return {
    eventId: str(v.EventID),
    channel: pick(v, 'Channel', 'EventLog'),
    provider: pick(v, 'ProviderName', 'SourceName', 'EventSourceName', 'Source'),
    computer: pick(v, 'Computer', 'Hostname', 'ComputerName'),
    time: pick(v, 'TimeCreated', 'UtcTime', 'TimeGenerated', '@timestamp', 'EventTime'),
    sid: pick(v, 'UserID', 'UserSid'),
    data: { ...v, ...nested },
  };
}

function flattenOnce(o: Obj): Obj {
  const out: Obj = {};
  for (const v of Object.values(o)) if (isObj(v)) Object.assign(out, v);
  return out;
}

const LOGON_EVENTS = new Set(['4624', '4625', '4634', '4648', '4768', '4769', '4771', '4776']);

export function windowsFields(v: Obj): KeyFields {
  const w = normaliseWindowsEvent(v);
  const d = w.data;
  const target = pick(d, 'TargetUserName', 'TargetAccount');
  const subject = pick(d, 'SubjectUserName', 'User', 'UserName', 'AccountName', 'Account', 'SubjectAccount');
  let user = w.eventId && LOGON_EVENTS.has(w.eventId) ? (target ?? subject) : (subject ?? target);
  const domain = user === target ? pick(d, 'TargetDomainName') : pick(d, 'SubjectDomainName');
  if (user && domain && !/[\\@]/.test(user)) user = `${domain}\\${user}`;
  return compact({
    time: w.time,
    host: w.computer,
    user: user ?? w.sid,
    sourceIp: pick(d, 'IpAddress', 'SourceIp', 'SourceAddress', 'ClientAddress', 'SourceNetworkAddress'),
    eventId: w.eventId,
    channel: w.channel,
    provider: w.provider,
    image: pick(d, 'Image', 'NewProcessName', 'ProcessName', 'Application'),
    commandLine: pick(d, 'CommandLine', 'ScriptBlockText'),
    parentImage: pick(d, 'ParentImage', 'ParentProcessName'),
    logonType: pick(d, 'LogonType'),
  });
}

export function windowsEventName(kf: KeyFields): string | undefined {
  const id = kf.eventId;
  if (!id) return undefined;
  const sysmon = /sysmon/i.test(`${kf.provider ?? ''} ${kf.channel ?? ''}`);
  return (sysmon ? SYSMON_EVENTS[id] : SECURITY_EVENTS[id]) ?? undefined;
}

export function windowsTitle(kf: KeyFields): string {
  const name = windowsEventName(kf);
  const label = kf.eventId
    ? `${/sysmon/i.test(kf.provider ?? kf.channel ?? '') ? 'Sysmon ' : ''}${kf.eventId}${name ? ` ${name}` : kf.channel ? ` (${kf.channel})` : ''}`
    : 'Windows event';
  const who = [kf.user, kf.host].filter(Boolean).join(' on ');
  return titleOf(label, who ? `— ${who}` : undefined);
}

function mapWindows(v: Obj): AlertItem {
  if (!isWindowsEvent(v))
    throw new RecordError('not a Windows event (needs Event.System, winlog, or EventID with Channel/Computer)');
  const keyFields = windowsFields(v);
  return { kind: 'alert', title: windowsTitle(keyFields), task: 'audit_log', keyFields, groupKey: null, payload: v };
}

export const windowsJsonFormat: FormatSpec = {
  id: 'windows_json',
  sourceKind: 'imported_alert',
  containers: ['json', 'jsonl'],
  matches: isWindowsEvent,
  map: (v) => mapWindows(v as Obj),
};

export const windowsXmlFormat: FormatSpec = {
  id: 'windows_xml',
  sourceKind: 'imported_alert',
  containers: ['xml'],
  map: (v) => mapWindows(v as Obj),
};
