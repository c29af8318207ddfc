import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../src-main/db/connection';
import { EventBus } from '../../src-main/core/eventBus';
import { createLogger } from '../../src-main/core/logger';
import { createDispatcher, mergeHandlers, type InvokeResult } from '../../src-main/core/dispatcher';
import type { ServiceRegistry } from '../../src-main/core/capability';
import { datasetsCapability } from '../../src-main/datasets/datasetsCapability';
import { appendMessage, insertConversation } from '../../src-main/conversations/conversationsRepo';
import type { Db } from '../../src-main/db/connection';
import type { Severity, SourceKind, Verdict } from '../../src-main/contract/index';

export function tmpDir(prefix = 'tw-datasets-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface TestBench {
  dataDir: string;
  db: Db;
  bus: EventBus;
  invoke(name: string, args: unknown): Promise<InvokeResult>;
  close(): Promise<void>;
}

/**
 * The datasets capability behind the real dispatcher, on a real migrated DB in its own temp dir.
 * Only this capability is mounted, so these tests do not depend on the other features' handlers.
 */
export async function openWorkbench(): Promise<TestBench> {
  const dataDir = tmpDir();
  const db = openDatabase(path.join(dataDir, 'workbench.db'));
  const bus = new EventBus();
  const services = {
    get: () => {
      throw new Error('no services in dataset tests');
    },
    set: () => undefined,
  } as unknown as ServiceRegistry;
  const abort = new AbortController();
  const baseCtx = { db, bus, dataDir, log: createLogger(dataDir), services, signal: abort.signal };
  const invoke = createDispatcher(mergeHandlers([datasetsCapability]), baseCtx);
  return {
    dataDir,
    db,
    bus,
    invoke: (name, args) => invoke(name, args, 'tester'),
    async close() {
      abort.abort();
      db.close();
    },
  };
}

const WORDS = [
  'kerberoasting',
  'lateral',
  'movement',
  'powershell',
  'encoded',
  'command',
  'mimikatz',
  'lsass',
  'dump',
  'phishing',
  'attachment',
  'macro',
  'beacon',
  'cobalt',
  'strike',
  'dns',
  'tunnel',
  'exfiltration',
  'rdp',
  'brute',
  'force',
  'password',
  'spray',
  'okta',
  'mfa',
  'fatigue',
  'token',
  'theft',
  'cloudtrail',
  'iam',
  'policy',
  'change',
  's3',
  'bucket',
  'public',
  'acl',
  'guardduty',
  'crypto',
  'miner',
  'container',
  'escape',
  'privileged',
  'pod',
  'kubectl',
  'exec',
  'service',
  'account',
  'scheduled',
  'task',
  'persistence',
  'registry',
  'run',
  'key',
  'wmi',
  'subscription',
  'defender',
  'tamper',
  'disabled',
  'backup',
  'deletion',
  'ransomware',
  'note',
  'shadow',
  'copy',
  'vssadmin',
];

/** Deterministic filler text: different per index, so unrelated examples never look like duplicates. */
export function words(i: number, n = 18): string {
  let x = (i + 1) * 2654435761;
  const out: string[] = [];
  for (let k = 0; k < n; k++) {
    x = (Math.imul(x ^ (x >>> 13), 0x5bd1e995) + k * 7919) >>> 0;
    out.push(WORDS[x % WORDS.length]!);
  }
  return out.join(' ');
}

export interface SeedExample {
  title?: string;
  alert?: Record<string, unknown> | null;
  question?: string;
  answer?: string;
  corrected?: string | null;
  verdict?: Verdict | null;
  severity?: Severity | null;
  threatType?: string | null;
  techniques?: string[];
  quality?: number | null;
  labeller?: string;
  status?: 'approved' | 'pending' | 'rejected';
  groupKey?: string | null;
  sourceKind?: SourceKind;
  labelledAt?: number;
  /** Raw extra messages inserted before the answer (tool calls etc.). */
  extra?: { role: 'user' | 'assistant' | 'tool'; content: string; toolCalls?: unknown[]; toolCallId?: string }[];
}

/** Inserts one labelled conversation with its review; returns the conversation id. */
export function addExample(db: Db, e: SeedExample, i = 0): number {
  const id = insertConversation(db, {
    sourceKind: e.sourceKind ?? 'imported_alert',
    sourceFormat: 'cloudtrail',
    title: e.title ?? `Alert ${i}: ${words(i, 4)}`,
    task: 'triage',
    alertPayload:
      e.alert === null ? undefined : (e.alert ?? { eventName: words(i, 3), detail: words(i + 1000, 20), n: i }),
    groupKey: e.groupKey === undefined ? `incident-${i}` : e.groupKey,
  })!;
  appendMessage(db, id, { role: 'user', content: e.question ?? `What happened here? ${words(i + 5000, 8)}` });
  for (const x of e.extra ?? [])
    appendMessage(db, id, {
      role: x.role,
      content: x.content,
      toolCalls: x.toolCalls ?? null,
      toolCallId: x.toolCallId ?? null,
    });
  const answerId = appendMessage(db, id, {
    role: 'assistant',
    content: e.answer ?? `Assessment: ${words(i + 9000, 24)}`,
  });
  const at = e.labelledAt ?? 1_700_000_000_000 + i * 1000;
  const label = db
    .prepare(
      `INSERT INTO training_labels (conversation_id, message_id, verdict, threat_type, severity, techniques, quality, notes, corrected_answer, labeller, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, '', ?, ?, ?, ?)`,
    )
    .run(
      id,
      answerId,
      e.verdict === undefined ? (['true_positive', 'benign', 'false_positive'] as const)[i % 3] : e.verdict,
      e.threatType === undefined ? 'credential_access' : e.threatType,
      e.severity === undefined ? (['low', 'medium', 'high'] as const)[i % 3] : e.severity,
      JSON.stringify(e.techniques ?? ['T1078.004']),
      e.quality === undefined ? 4 : e.quality,
      e.corrected === undefined ? null : e.corrected,
      e.labeller ?? 'alice',
      at,
      at,
    );
  db.prepare('INSERT INTO reviews (label_id, status, reviewer, decided_at, updated_at) VALUES (?, ?, ?, ?, ?)').run(
    Number(label.lastInsertRowid),
    e.status ?? 'approved',
    'bob',
    at,
    at,
  );
  return id;
}

export function addMany(db: Db, n: number, make: (i: number) => SeedExample = () => ({}), start = 0): number[] {
  return db.transaction(() => Array.from({ length: n }, (_, k) => addExample(db, make(start + k), start + k)))();
}

export function ok<T>(r: { ok: true; value: unknown } | { ok: false; error: { code: string; message: string } }): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value as T;
}
