import { describe, expect, it } from 'vitest';
import { maskedSnippet, scanSecrets, scanSecretsSync } from '../../src-main/redaction/secretScanner';
import { CANARY, PEM, canaryNeedles, canaryText } from './canaries';

function redact(text: string, spans: { start: number; end: number }[]): string {
  let out = '';
  let at = 0;
  for (const s of spans) {
    out += text.slice(at, s.start) + '<X>';
    at = s.end;
  }
  return out + text.slice(at);
}

describe('secret scanner', () => {
  it('finds every planted canary, each by its own rule', async () => {
    const text = canaryText();
    const spans = await scanSecrets(text);
    const single: [string, string][] = [
      ['openai-api-key', `key ${CANARY.openai}`],
      ['aws-access-key-id', `id ${CANARY.awsKeyId}`],
      ['aws-secret-access-key', `aws_secret_access_key=${CANARY.awsSecret}`],
      ['private-key', PEM],
      ['jwt', `cookie ${CANARY.jwt}`],
      ['password-in-url', `https://svc:${CANARY.urlPassword}@db.example.com/`],
    ];
    for (const [rule, t] of single) expect(scanSecretsSync(t).map((s) => s.ruleId)).toContain(rule);
    const cleaned = redact(text, spans);
    for (const needle of canaryNeedles()) expect(cleaned).not.toContain(needle);
  });

  it('finds secrets inside JSON alert payloads', () => {
    const payload = JSON.stringify({
      requestParameters: { secretAccessKey: CANARY.awsSecret, password: 'hunter2hunter2', key: PEM },
    });
    const spans = scanSecretsSync(payload);
    const cleaned = redact(payload, spans);
    expect(cleaned).not.toContain(CANARY.awsSecret);
    expect(cleaned).not.toContain('hunter2hunter2');
    expect(cleaned).not.toContain(CANARY.pemBody);
  });

  it('finds GitHub tokens, generic password= and bearer tokens', () => {
    const text =
      'token ghp_abcdefghijklmnopqrstuvwxyz0123456789 and password=S3cretValue! and Authorization: Bearer abcdefghijklmnop.qrstuv';
    const cleaned = redact(text, scanSecretsSync(text));
    expect(cleaned).not.toContain('ghp_abcdefghijklmnopqrstuvwxyz0123456789');
    expect(cleaned).not.toContain('S3cretValue!');
    expect(cleaned).not.toContain('abcdefghijklmnop.qrstuv');
  });

  it('leaves ordinary alert text and placeholders alone', async () => {
    const text =
      'User alice logged in from 10.0.0.5; password=<SECRET_1>; "password": "********"; eventName=ConsoleLogin; mfaAuthenticated=true';
    expect(await scanSecrets(text)).toEqual([]);
  });

  it('masks snippets: a finding never shows the secret', () => {
    const text = `export OPENAI_API_KEY=${CANARY.openai}`;
    const spans = scanSecretsSync(text);
    const masked = maskedSnippet(text, spans[0]!, spans);
    expect(masked).not.toContain(CANARY.openai.slice(8));
    expect(masked).toContain('characters hidden');
  });
});
