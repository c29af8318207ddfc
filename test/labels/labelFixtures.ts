import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase, type Db } from '../../src-main/db/connection';
import { EventBus } from '../../src-main/core/eventBus';
import { createLogger } from '../../src-main/core/logger';
import { createDispatcher, mergeHandlers, type InvokeResult } from '../../src-main/core/dispatcher';
import type { Capability, ServiceRegistry } from '../../src-main/core/capability';
import { appCapability } from '../../src-main/core/appCapability';
import { conversationsCapability } from '../../src-main/conversations/conversationsCapability';
import { attackCapability } from '../../src-main/attack/attackCapability';
import { labelsCapability } from '../../src-main/labels/labelsCapability';
import { createReviewCapability } from '../../src-main/review/reviewCapability';
import { appendMessage, insertConversation } from '../../src-main/conversations/conversationsRepo';
import type { CommandName, CommandResponse, ErrorCode, SourceKind } from '../../src-main/contract/index';

export interface TestWorkbench {
  dataDir: string;
  db: Db;
  bus: EventBus;
  invoke(name: unknown, args: unknown, actor?: string): Promise<InvokeResult>;
  close(): Promise<void>;
}

/**
 * A fresh, unseeded workspace in its own temp dir, served by the real dispatcher (so actions are
 * audited as in the app) with the capabilities these tests exercise: the real DB and migrations,
 * without depending on unrelated capabilities being complete.
 */
export async function emptyWorkbench(actor = 'alice'): Promise<TestWorkbench> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tw-review-'));
  const db = openDatabase(path.join(dataDir, 'workbench.db'));
  const bus = new EventBus();
  const services = new Map<string, unknown>();
  const registry: ServiceRegistry = {
    get: (name) => services.get(name) as never,
    set: (name, service) => void services.set(name, service),
  };
  const caps: Capability[] = [
    appCapability('http'),
    conversationsCapability,
    attackCapability,
    labelsCapability,
    createReviewCapability(),
  ];
  const baseCtx = {
    db,
    bus,
    dataDir,
    log: createLogger(dataDir),
    services: registry,
    signal: new AbortController().signal,
  };
  for (const c of caps) await c.start?.(baseCtx);
  const dispatch = createDispatcher(mergeHandlers(caps), baseCtx);
  return {
    dataDir,
    db,
    bus,
    invoke: (name, args, who) => dispatch(name, args, who ?? actor),
    close: async () => {
      db.close();
    },
  };
}

/** A conversation with a user question and an assistant answer; returns ids. */
export function addConversation(
  wb: TestWorkbench,
  opts: { title?: string; sourceKind?: SourceKind; user?: string; answer?: string | null; body?: string } = {},
): { conversationId: number; userMessageId: number; assistantMessageId: number | null } {
  const conversationId = insertConversation(wb.db, {
    sourceKind: opts.sourceKind ?? 'triage_chat',
    title: opts.title ?? 'Suspicious sign-in',
    keyFields: opts.body ? { rule: opts.body } : {},
  })!;
  const userMessageId = appendMessage(wb.db, conversationId, {
    role: 'user',
    content: opts.user ?? 'Is this sign-in malicious?',
  });
  const assistantMessageId =
    opts.answer === null
      ? null
      : appendMessage(wb.db, conversationId, {
          role: 'assistant',
          content: opts.answer ?? 'Likely benign: known VPN.',
        });
  return { conversationId, userMessageId, assistantMessageId };
}

export async function ok<K extends CommandName>(
  wb: TestWorkbench,
  name: K,
  args: unknown,
  actor?: string,
): Promise<CommandResponse<K>> {
  const r: InvokeResult = await wb.invoke(name, args, actor);
  if (!r.ok) throw new Error(`${name} failed: ${r.error.code}: ${r.error.message}`);
  return r.value as CommandResponse<K>;
}

export async function fails(
  wb: TestWorkbench,
  name: CommandName,
  args: unknown,
  actor?: string,
): Promise<{ code: ErrorCode; message: string }> {
  const r = await wb.invoke(name, args, actor);
  if (r.ok) throw new Error(`${name} unexpectedly succeeded`);
  return r.error;
}

export function tableSnapshot(wb: TestWorkbench): unknown {
  const q = (sql: string) => wb.db.prepare(sql).all();
  return {
    labels: q('SELECT * FROM training_labels ORDER BY id'),
    reviews: q('SELECT * FROM reviews ORDER BY id'),
    techniques: q('SELECT * FROM label_techniques ORDER BY label_id, technique'),
    audit: q('SELECT * FROM audit_log ORDER BY id'),
    batches: q('SELECT * FROM review_batches ORDER BY id'),
  };
}

export const baseLabel = {
  verdict: 'true_positive',
  threatType: 'Credential Access',
  severity: 'high',
  techniques: ['T1110.003'],
  quality: 4,
  notes: 'password spray from a TOR exit',
} as const;
