import { RecordError } from '../recordError';
import { compact, titleOf, type AlertItem, type FormatSpec } from './fields';
import type { KeyFields } from '../../contract/index';

// RFC 3164 ("Feb 12 14:10:21 host sshd[123]: …") or an ISO timestamp ("2024-05-01T10:00:00+00:00 host …").
const SYSLOG =
  /^(?<time>[A-Z][a-z]{2} {1,2}\d{1,2} \d{2}:\d{2}:\d{2}|\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?) (?<host>\S+) (?<program>[A-Za-z0-9_./-]+)(?:\[(?<pid>\d+)\])?: ?(?<message>.*)$/;

const IP = String.raw`(?<ip>\d{1,3}(?:\.\d{1,3}){3}|[0-9a-fA-F:]+:[0-9a-fA-F:.]+)`;

/** sshd / PAM / sudo message shapes: what happened, to whom, from where. */
const PATTERNS: { event: string; re: RegExp }[] = [
  {
    event: 'ssh_login_failed',
    re: new RegExp(
      String.raw`^Failed (?:password|publickey|none|keyboard-interactive/pam) for (?:invalid user )?(?<user>\S*) from ${IP}`,
    ),
  },
  { event: 'ssh_invalid_user', re: new RegExp(String.raw`^Invalid user (?<user>\S*) from ${IP}`) },
  { event: 'ssh_login_accepted', re: new RegExp(String.raw`^Accepted (?<method>\S+) for (?<user>\S+) from ${IP}`) },
  {
    event: 'ssh_preauth_disconnect',
    re: new RegExp(
      String.raw`^(?:Disconnected from|Connection closed by|Received disconnect from) (?:authenticating |invalid )?(?:user (?<user>\S+) )?${IP}`,
    ),
  },
  { event: 'ssh_kex_failed', re: new RegExp(String.raw`^Unable to negotiate with ${IP}`) },
  { event: 'ssh_auth_timeout', re: new RegExp(String.raw`^fatal: Timeout before authentication for ${IP}`) },
  { event: 'ssh_protocol_error', re: new RegExp(String.raw`^ssh_dispatch_run_fatal: Connection from ${IP}`) },
  {
    event: 'ssh_max_auth',
    re: new RegExp(
      String.raw`^(?:error: )?maximum authentication attempts exceeded for (?:invalid user )?(?<user>\S+) from ${IP}`,
    ),
  },
  { event: 'connection_refused', re: new RegExp(String.raw`^refused connect from \S+ \(${IP}\)`) },
  { event: 'auth_failure', re: /authentication failure;/ },
  { event: 'account_locked', re: /pam_tally2?\([^)]*\): user (?<user>\S+) \(\d+\) tally \d+, deny \d+/ },
  { event: 'sudo_command', re: /^\s*(?<user>\S+) : .*COMMAND=/ },
  { event: 'session_opened', re: /session opened for user (?<user>[^\s(]+)/ },
];

export function parseSyslogLine(line: string): { keyFields: KeyFields; message: string } {
  const m = SYSLOG.exec(line);
  if (!m?.groups) {
    throw new RecordError("not a syslog line (expected 'Mon DD HH:MM:SS host program[pid]: message')");
  }
  const g = m.groups;
  const message = g.message ?? '';
  let event: string | undefined;
  let user: string | undefined;
  let ip: string | undefined;
  for (const p of PATTERNS) {
    const pm = p.re.exec(message);
    if (!pm) continue;
    event = p.event;
    user = pm.groups?.user || undefined;
    ip = pm.groups?.ip || undefined;
    if (p.event === 'auth_failure') {
      // PAM's key=value tail: rhost may be empty, user may be missing.
      ip = /\brhost=(\S+)/.exec(message)?.[1];
      user = /\buser=(\S+)/.exec(message)?.[1];
    }
    break;
  }
  return {
    message,
    keyFields: compact({ time: g.time, host: g.host, user, sourceIp: ip, program: g.program, pid: g.pid, event }),
  };
}

export const syslogFormat: FormatSpec = {
  id: 'syslog',
  sourceKind: 'imported_alert',
  containers: ['lines'],
  map(v): AlertItem {
    const line = v as string;
    const { keyFields, message } = parseSyslogLine(line);
    return {
      kind: 'alert',
      title: titleOf(`${keyFields.program} on ${keyFields.host}:`, message),
      task: 'audit_log',
      keyFields,
      groupKey: keyFields.sourceIp ? `syslog:${keyFields.host}:${keyFields.sourceIp}` : null,
      payload: { line, ...keyFields, message },
    };
  },
};

export function looksLikeSyslog(line: string): boolean {
  return SYSLOG.test(line);
}
