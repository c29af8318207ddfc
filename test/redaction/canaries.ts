/** Planted secrets: none of these may ever appear in an export, a report or a log. */
export const CANARY = {
  openai: 'sk-proj-CANARYcanary0123456789abcdefABCDEF0123456789',
  awsKeyId: 'AKIACANARY0123456789',
  awsSecret: 'CanarySecretKey0123456789abcdefghijKLMNO',
  pemBody: 'MIIEowIBAAKCAQEAcanaryPEMbody0123456789abcdefghij',
  jwt: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjYW5hcnkifQ.canarySignature0123456789abc',
  urlPassword: 'CanaryPassw0rd!',
};

export const PEM = `-----BEGIN RSA PRIVATE KEY-----\n${CANARY.pemBody}\nQ2FuYXJ5IGxpbmUgdHdv\n-----END RSA PRIVATE KEY-----`;

/** A realistic alert text holding every canary. */
export function canaryText(): string {
  return [
    `curl -H "Authorization: Bearer ${CANARY.openai}" https://api.example.com/v1/models`,
    `aws configure set aws_access_key_id ${CANARY.awsKeyId}`,
    `aws_secret_access_key = ${CANARY.awsSecret}`,
    `key file:\n${PEM}`,
    `session cookie ${CANARY.jwt}`,
    `db url postgres://svc_backup:${CANARY.urlPassword}@db01.internal.corp:5432/prod`,
  ].join('\n');
}

/** The distinctive parts to look for, raw and as JSON would escape them. */
export function canaryNeedles(): string[] {
  return Object.values(CANARY).flatMap((v) => [v, JSON.stringify(v).slice(1, -1)]);
}
