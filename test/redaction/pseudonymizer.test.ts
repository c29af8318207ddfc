import { describe, expect, it } from 'vitest';
import { Pseudonymizer, findEntities } from '../../src-main/redaction/pseudonymizer';

describe('pseudonymizer', () => {
  it('replaces IPs, hosts, users, emails and account ids with consistent tokens', () => {
    const p = new Pseudonymizer();
    const a =
      '{"sourceIPAddress":"203.0.113.7","userIdentity":{"userName":"jsmith","arn":"arn:aws:iam::123456789012:user/jsmith","accountId":"123456789012"},"hostname":"ws-fin-07.corp.local","email":"j.smith@acme-corp.com"}';
    const b =
      'Analyst note: jsmith logged in from 203.0.113.7 on ws-fin-07.corp.local; contact j.smith@acme-corp.com about account 123456789012.';
    p.collect(a);
    p.collect(b);
    const ra = p.apply(a);
    const rb = p.apply(b);
    for (const original of ['203.0.113.7', 'jsmith', '123456789012', 'ws-fin-07.corp.local', 'j.smith@acme-corp.com']) {
      expect(ra).not.toContain(original);
      expect(rb).not.toContain(original);
    }
    const tokens = (s: string) => [...s.matchAll(/<[A-Z]+_\d+>/g)].map((m) => m[0]);
    // The same value has the same token in both texts.
    expect(new Set(tokens(rb))).toEqual(new Set(tokens(ra)));
    expect(rb).toBe(
      'Analyst note: <USER_1> logged in from <IP_1> on <HOST_1>; contact <EMAIL_1> about account <ACCOUNT_1>.',
    );
  });

  it('keeps allowlisted indicators, generic accounts and public service domains', () => {
    const p = new Pseudonymizer(['198.51.100.23']);
    const text =
      'C2 at 198.51.100.23, victim 10.1.2.3, user root, "eventSource":"iam.amazonaws.com", "host":"s3.amazonaws.com", 127.0.0.1';
    const out = p.pseudonymise(text);
    expect(out).toContain('198.51.100.23');
    expect(out).toContain('root');
    expect(out).toContain('s3.amazonaws.com');
    expect(out).toContain('127.0.0.1');
    expect(out).not.toContain('10.1.2.3');
    expect(p.allowlisted).toBe(1);
  });

  it('does not take times or versions for addresses', () => {
    const kinds = findEntities('at 12:30:45 version 1.2.3 build 2024-01-01T10:00:00Z mac 00:1a:2b:3c:4d:5e').map(
      ([k]) => k,
    );
    expect(kinds).not.toContain('ip');
    expect(findEntities('from 2001:db8::1 to fe80::1ff:fe23:4567:890a').map(([k]) => k)).toEqual(['ip', 'ip']);
  });

  it('does not replace a user name inside a longer word', () => {
    const p = new Pseudonymizer();
    p.collect('"userName":"ann"');
    expect(p.apply('ann annual planning; ann.lee')).toBe('<USER_1> annual planning; ann.lee');
  });
});
