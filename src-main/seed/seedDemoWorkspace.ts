import fs from 'node:fs';
import crypto from 'node:crypto';
import type { Db } from '../db/connection';
import type { Logger } from '../core/logger';
import type { KeyFields } from '../contract/index';
import { insertConversation } from '../conversations/conversationsRepo';
import { getSetting, setSetting } from '../settings/settingsRepo';
import { resourcePath } from '../core/resources';

interface PantherTest {
  rule_id: string;
  rule_name: string;
  severity: string;
  mitre_attack?: string[];
  test_name: string;
  expected_alert: boolean;
  source_file: string;
  event: Record<string, unknown>;
}

const SEED_FILES: { file: string[]; format: string; take: number }[] = [
  { file: ['samples', 'aws-cloudtrail', 'panther-cloudtrail-rule-tests.jsonl'], format: 'cloudtrail', take: 12 },
  { file: ['samples', 'kubernetes-audit', 'panther-k8s-audit-rule-tests.jsonl'], format: 'k8s_audit', take: 6 },
  { file: ['samples', 'microsoft-defender', 'panther-microsoft-rule-tests.jsonl'], format: 'defender', take: 4 },
];

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v ? v : typeof v === 'number' ? String(v) : undefined;
}

function pick(obj: Record<string, unknown>, ...paths: string[]): string | undefined {
  for (const p of paths) {
    let cur: unknown = obj;
    for (const part of p.split('.')) cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[part] : undefined;
    const s = str(cur);
    if (s) return s;
  }
  return undefined;
}

/** First start only: demo conversations built from real labelled samples shipped in resources/. */
export function seedDemoWorkspace(db: Db, log: Logger): number {
  if (getSetting(db, 'workspace.seeded')) return 0;
  let added = 0;
  db.transaction(() => {
    for (const src of SEED_FILES) {
      const lines = fs.readFileSync(resourcePath(...src.file), 'utf8').split('\n').filter(Boolean);
      for (const line of lines.slice(0, src.take)) {
        const t = JSON.parse(line) as PantherTest;
        const e = t.event;
        const keyFields: KeyFields = {
          time: pick(e, 'eventTime', 'requestReceivedTimestamp', 'createdDateTime', 'CreationTime', 'timestamp'),
          host: pick(e, 'eventSource', 'objectRef.resource', 'p_source_label'),
          user: pick(e, 'userIdentity.userName', 'userIdentity.arn', 'user.username', 'UserId', 'userPrincipalName'),
          sourceIp: pick(e, 'sourceIPAddress', 'sourceIPs.0', 'ClientIP', 'ipAddress'),
          rule: t.rule_name,
          severity: t.severity,
        };
        for (const k of Object.keys(keyFields)) if (keyFields[k] === undefined) delete keyFields[k];
        const id = insertConversation(db, {
          sourceKind: 'imported_alert',
          sourceFormat: src.format,
          title: `${t.rule_name} — ${t.test_name}`,
          task: 'triage',
          alertPayload: e,
          keyFields,
          contentHash: crypto.createHash('sha256').update(`seed:${line}`).digest('hex'),
          groupKey: `${t.source_file}#${t.test_name}`,
        });
        if (id !== null) added++;
      }
    }
    setSetting(db, 'workspace.seeded', { at: Date.now(), conversations: added });
  })();
  log.info('seeded demo workspace', { conversations: added });
  return added;
}
