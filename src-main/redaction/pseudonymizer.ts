import net from 'node:net';
import type { EntityKind } from '../contract/index';

export const ENTITY_PREFIX: Record<EntityKind, string> = {
  ip: 'IP',
  host: 'HOST',
  user: 'USER',
  email: 'EMAIL',
  account: 'ACCOUNT',
};

export interface PseudonymEntry {
  token: string;
  kind: EntityKind;
  original: string;
}

const USER_KEYS =
  'user(?:_?name)?|username|userid|user_id|targetusername|subjectusername|accountname|account_name|samaccountname|login|principal_?name|actor|sessionissuer_username';
const HOST_KEYS =
  'host(?:_?name)?|computer(?:_?name)?|devicename|device_name|workstation(?:_?name)?|machine(?:_?name)?|src_host|dest_host|dst_host|source_host';
const ACCOUNT_KEYS = 'account_?id|recipientaccountid|aws_?account(?:_?id)?|subscription_?id|tenant_?id';

/** `"key": "value"` or `key=value` where the key names a person, a machine or an account. */
const KEYED = new RegExp(
  `["']?\\b(${USER_KEYS}|${HOST_KEYS}|${ACCOUNT_KEYS})["']?\\s*[:=]\\s*(?:"([^"\\n]{1,200})"|'([^'\\n]{1,200})'|([^\\s"',;}{)\\]]{1,200}))`,
  'gi',
);
const USER_KEY = new RegExp(`^(?:${USER_KEYS})$`, 'i');
const HOST_KEY = new RegExp(`^(?:${HOST_KEYS})$`, 'i');
const EMAIL = /\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b/g;
const IPV4 = /(?<![\d.])(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}(?![\d.]\d)/g;
const IPV6 = /(?<![\w:])(?:[0-9A-Fa-f]{1,4}:){1,7}(?::|(?::?[0-9A-Fa-f]{1,4}){1,7})(?![\w:])/g;
const ARN = /\barn:aws[\w-]*:[\w-]*:[\w-]*:(\d{12})?:([\w+=,.@/-]+)/g;
const INTERNAL_HOST =
  /\b(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:local|corp|internal|lan|intra|intranet|localdomain|home\.arpa)\b/gi;
const DOMAIN_USER = /\b[A-Z][A-Z0-9-]{1,14}\\([A-Za-z][A-Za-z0-9._-]{1,63})\b/g;

// Not personal: generic accounts, placeholders, and public service domains analysts need as context.
const GENERIC = new Set(
  [
    'root',
    'admin',
    'administrator',
    'system',
    'nt authority',
    'local service',
    'network service',
    'guest',
    'nobody',
    'daemon',
    'anonymous',
    'unknown',
    'n/a',
    'na',
    'none',
    'null',
    'true',
    'false',
    '-',
    'localhost',
    'test',
    'user',
  ].map((s) => s.toLowerCase()),
);
const PUBLIC_SERVICE =
  /(?:^|\.)(?:amazonaws\.com|amazon\.com|aws\.amazon\.com|microsoft\.com|microsoftonline\.com|windows\.net|azure\.com|office\.com|office365\.com|googleapis\.com|google\.com|github\.com|githubusercontent\.com|cloudflare\.com|okta\.com)$/i;

/**
 * Personal data → consistent pseudonyms (`<IP_1>`, `<HOST_2>`, `<USER_3>`, `<EMAIL_4>`, `<ACCOUNT_5>`).
 * One instance per dataset version: a value gets one token wherever it appears; the mapping stays local.
 */
export class Pseudonymizer {
  private readonly tokens = new Map<string, PseudonymEntry>();
  private readonly counters: Record<EntityKind, number> = { ip: 0, host: 0, user: 0, email: 0, account: 0 };
  private readonly allow: Set<string>;
  private pattern: RegExp | null = null;
  allowlisted = 0;

  constructor(allowlist: Iterable<string> = []) {
    this.allow = new Set([...allowlist].map((s) => s.trim().toLowerCase()).filter(Boolean));
  }

  /** Pass 1: finds the entities in a text and gives each new one its token. */
  collect(text: string): void {
    for (const [kind, value] of findEntities(text)) this.register(kind, value);
  }

  private register(kind: EntityKind, raw: string): void {
    const value = raw.trim();
    const key = value.toLowerCase();
    if (value.length < 2 || value.startsWith('<') || GENERIC.has(key) || this.tokens.has(key)) return;
    if (this.allow.has(key)) {
      this.allowlisted++;
      return;
    }
    if (kind === 'host' && (PUBLIC_SERVICE.test(value) || net.isIP(value))) return;
    if (kind === 'ip' && (value === '0.0.0.0' || value.startsWith('127.') || value === '::1' || value === '::')) return;
    this.counters[kind]++;
    this.tokens.set(key, { token: `<${ENTITY_PREFIX[kind]}_${this.counters[kind]}>`, kind, original: value });
    this.pattern = null;
  }

  /** Pass 2: replaces every known value, longest first, on word-ish boundaries. */
  apply(text: string): string {
    if (this.tokens.size === 0) return text;
    if (!this.pattern) {
      const values = [...this.tokens.values()].map((e) => e.original).sort((a, b) => b.length - a.length);
      const alternation = values.map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
      this.pattern = new RegExp(`(?<![A-Za-z0-9_@.-])(?:${alternation})(?![A-Za-z0-9_@-]|\\.[A-Za-z0-9])`, 'gi');
    }
    return text.replace(this.pattern, (m) => this.tokens.get(m.toLowerCase())?.token ?? m);
  }

  /** Collects and applies in one go (a single text, as in the before/after preview). */
  pseudonymise(text: string): string {
    this.collect(text);
    return this.apply(text);
  }

  entries(): PseudonymEntry[] {
    return [...this.tokens.values()];
  }

  counts(): Record<EntityKind, number> {
    return { ...this.counters };
  }
}

/** Every entity candidate in a text, in order of appearance; specific patterns before generic ones. */
export function findEntities(text: string): [EntityKind, string][] {
  const out: [EntityKind, string][] = [];
  for (const m of text.matchAll(EMAIL)) out.push(['email', m[0]]);
  for (const m of text.matchAll(ARN)) {
    if (m[1]) out.push(['account', m[1]]);
    const resource = m[2] ?? '';
    const user = /^(?:user|assumed-role\/[\w+=,.@-]+)\/([\w+=,.@-]+)$/.exec(resource);
    if (user?.[1]) out.push(['user', user[1]]);
  }
  for (const m of text.matchAll(KEYED)) {
    const key = m[1]!;
    const value = m[2] ?? m[3] ?? m[4] ?? '';
    if (!value || value.includes('@')) continue; // emails are found on their own
    if (USER_KEY.test(key)) out.push(['user', value]);
    else if (HOST_KEY.test(key)) out.push([net.isIP(value) ? 'ip' : 'host', value]);
    else if (/^\d{6,}$|^[0-9a-f-]{36}$/i.test(value)) out.push(['account', value]);
  }
  for (const m of text.matchAll(DOMAIN_USER)) out.push(['user', m[1]!]);
  for (const m of text.matchAll(INTERNAL_HOST)) out.push(['host', m[0]]);
  for (const m of text.matchAll(IPV4)) out.push(['ip', m[0]]);
  for (const m of text.matchAll(IPV6)) {
    const v = m[0];
    // Times (12:30:45) and MAC-like runs look like IPv6 groups: require a real address with "::" or all 8 groups.
    if (net.isIPv6(v) && (v.includes('::') || v.split(':').length === 8) && /[a-f]|::/i.test(v)) out.push(['ip', v]);
  }
  return out;
}
