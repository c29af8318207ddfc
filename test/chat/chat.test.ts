import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  TriageAnswerSchema,
  type ChatSendResult,
  type ConversationDetail,
  type EventPayload,
} from '../../src-main/contract/index';
import { createWorkbench, type Workbench } from '../../src-main/core/workbench';

let wb: Workbench | null = null;

afterEach(async () => {
  await wb?.close();
  wb = null;
});

async function open(): Promise<Workbench> {
  wb = await createWorkbench({ dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'tw-chat-')), seed: false });
  // One thread: fast and steady on a shared 2-core machine (see automaticRuntimeDefaults).
  await ok(wb, 'settings.set', { key: 'runtime.local', value: { threads: 1 } });
  return wb;
}

async function ok<T>(w: Workbench, name: string, args: unknown): Promise<T> {
  const r = await w.invoke(name, args);
  if (!r.ok) throw new Error(`${name} failed: ${r.error.code} ${r.error.message}`);
  return r.value as T;
}

async function conversation(w: Workbench, title = 'Failed SSH burst'): Promise<number> {
  return (await ok<ConversationDetail>(w, 'conversations.create', { title })).id;
}

function waitDone(w: Workbench, messageId: number): Promise<EventPayload<'chat.done'>> {
  return new Promise((resolve) => {
    const off = w.bus.on('chat.done', (e) => {
      if (e.messageId === messageId) {
        off();
        resolve(e);
      }
    });
  });
}

describe('chat service', () => {
  it('streams an answer as events and stores both messages with token counts and latency', async () => {
    const w = await open();
    const id = await conversation(w);
    const tokens: string[] = [];
    w.bus.on('chat.token', (e) => tokens.push(e.text));
    const sent = await ok<ChatSendResult>(w, 'chat.send', {
      conversationId: id,
      content: 'Is 40 failed root logins then a success from one IP a true positive?',
      maxTokens: 30,
      temperature: 0,
    });
    const done = await waitDone(w, sent.messageId);
    expect(done).toMatchObject({ conversationId: id, stopped: false });
    expect(done.error).toBeUndefined();
    const conv = await ok<ConversationDetail>(w, 'conversations.get', { id });
    expect(conv.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
    const [user, answer] = conv.messages;
    expect(user!.id).toBe(sent.userMessageId);
    expect(answer!.id).toBe(sent.messageId);
    expect(answer!.content).toBe(tokens.join(''));
    expect(answer!.content.length).toBeGreaterThan(0);
    expect(answer!.modelId).toBe(sent.modelId);
    expect(answer!.completionTokens).toBeGreaterThan(0);
    expect(answer!.completionTokens).toBeLessThanOrEqual(30);
    expect(answer!.promptTokens).toBeGreaterThan(50); // the task's system prompt is in there
    expect(answer!.latencyMs).toBeGreaterThanOrEqual(0);
    expect(answer!.stopped).toBe(false);
    expect(done.completionTokens).toBe(answer!.completionTokens);
    const audit = w.db.prepare("SELECT subject, details FROM audit_log WHERE action = 'chat.send'").get() as {
      subject: string;
      details: string;
    };
    expect(audit.subject).toBe(String(id));
    expect(audit.details).not.toContain('failed root logins');
  });

  it('stops on request and keeps the partial answer, marked stopped', async () => {
    const w = await open();
    const id = await conversation(w);
    let stopAsked = false;
    w.bus.on('chat.token', (e) => {
      if (!stopAsked && e.conversationId === id) {
        stopAsked = true;
        void w.invoke('chat.stop', { conversationId: id });
      }
    });
    const sent = await ok<ChatSendResult>(w, 'chat.send', {
      conversationId: id,
      content: 'Explain this alert at length.',
      maxTokens: 3000,
      temperature: 0,
    });
    const busy = await w.invoke('chat.send', { conversationId: id, content: 'again' });
    expect(busy.ok).toBe(false);
    const done = await waitDone(w, sent.messageId);
    expect(done.stopped).toBe(true);
    const conv = await ok<ConversationDetail>(w, 'conversations.get', { id });
    const answer = conv.messages.find((m) => m.id === sent.messageId)!;
    expect(answer.stopped).toBe(true);
    expect(answer.content.length).toBeGreaterThan(0);
    expect(answer.completionTokens).toBeLessThan(3000);
    expect(await ok(w, 'chat.stop', { conversationId: id })).toEqual({ stopped: false });
  });

  it('returns the structured triage answer, parsed against the schema, and stores it', async () => {
    const w = await open();
    const id = await conversation(w);
    const sent = await ok<ChatSendResult>(w, 'chat.send', {
      conversationId: id,
      content: 'Triage this alert.',
      structured: true,
      temperature: 0.8,
      maxTokens: 1500,
    });
    const done = await waitDone(w, sent.messageId);
    expect(done.error).toBeUndefined();
    const answer = (await ok<ConversationDetail>(w, 'conversations.get', { id })).messages.find(
      (m) => m.id === sent.messageId,
    )!;
    const parsed = TriageAnswerSchema.parse(answer.structured);
    expect(parsed.techniques.every((t) => /^T\d{4}(\.\d{3})?$/.test(t))).toBe(true);
    expect(JSON.parse(answer.content)).toMatchObject({ verdict: parsed.verdict, severity: parsed.severity });
  });

  it('gives a clear error for a missing conversation, a missing model file, and an unavailable remote provider', async () => {
    const w = await open();
    const missing = await w.invoke('chat.send', { conversationId: 9999, content: 'hi' });
    expect(missing).toMatchObject({ ok: false, error: { code: 'not_found' } });
    const id = await conversation(w);
    const demo = (await ok<{ items: { id: number; path: string }[] }>(w, 'models.list', {})).items[0]!;
    fs.renameSync(demo.path, `${demo.path}.moved`);
    const gone = await w.invoke('chat.send', { conversationId: id, content: 'hi', modelId: demo.id });
    expect(gone).toMatchObject({ ok: false, error: { code: 'not_found' } });
    fs.renameSync(`${demo.path}.moved`, demo.path);
    let hasRemote = true;
    try {
      w.services.get('remoteProviders');
    } catch {
      hasRemote = false;
    }
    if (!hasRemote) {
      const endpointId = Number(
        w.db
          .prepare(
            "INSERT INTO endpoints (name, kind, base_url, created_at) VALUES ('e', 'openai', 'https://api.openai.com/v1', 0)",
          )
          .run().lastInsertRowid,
      );
      const remote = await ok<{ id: number }>(w, 'models.addRemote', {
        endpointId,
        remoteModel: 'gpt-4o-mini',
        name: 'Mini',
      });
      const r = await w.invoke('chat.send', { conversationId: id, content: 'hi', modelId: remote.id });
      expect(r).toMatchObject({ ok: false, error: { code: 'provider_error' } });
    }
    // Nothing was stored for the refused sends.
    expect((await ok<ConversationDetail>(w, 'conversations.get', { id })).messages).toHaveLength(0);
  });

  it('quitting while the model loads ends the request cleanly', async () => {
    const w = await open();
    const id = await conversation(w);
    const rejections: unknown[] = [];
    const onRejection = (r: unknown) => rejections.push(r);
    process.on('unhandledRejection', onRejection);
    try {
      const done = new Promise<EventPayload<'chat.done'>>((resolve) => w.bus.on('chat.done', resolve));
      const sent = await ok<ChatSendResult>(w, 'chat.send', { conversationId: id, content: 'hello', temperature: 0 });
      const dataDir = w.dataDir;
      await w.close(); // the worker is still starting or loading: no token has come yet
      wb = null;
      expect(await done).toMatchObject({ messageId: sent.messageId, stopped: true });
      await new Promise((r) => setTimeout(r, 200));
      expect(rejections).toEqual([]);
      wb = await createWorkbench({ dataDir, seed: false });
      const answer = (await ok<ConversationDetail>(wb, 'conversations.get', { id })).messages.at(-1)!;
      expect(answer).toMatchObject({ role: 'assistant', stopped: true });
    } finally {
      process.off('unhandledRejection', onRejection);
    }
  });

  it('closing the workbench mid-generation leaves no unhandled rejection and stores the partial answer', async () => {
    const w = await open();
    const id = await conversation(w);
    const rejections: unknown[] = [];
    const onRejection = (r: unknown) => rejections.push(r);
    process.on('unhandledRejection', onRejection);
    try {
      const firstToken = new Promise<void>((resolve) => w.bus.on('chat.token', () => resolve()));
      const sent = await ok<ChatSendResult>(w, 'chat.send', {
        conversationId: id,
        content: 'Go on and on.',
        maxTokens: 5000,
        temperature: 0,
      });
      await firstToken;
      const dbFile = path.join(w.dataDir, 'workbench.db');
      await w.close();
      wb = null;
      await new Promise((r) => setTimeout(r, 300));
      expect(rejections).toEqual([]);
      const reopened = await createWorkbench({ dataDir: path.dirname(dbFile), seed: false });
      wb = reopened;
      const answer = (await ok<ConversationDetail>(reopened, 'conversations.get', { id })).messages.find(
        (m) => m.id === sent.messageId,
      )!;
      expect(answer.stopped).toBe(true);
      expect(answer.content.length).toBeGreaterThan(0);
    } finally {
      process.off('unhandledRejection', onRejection);
    }
  });
});
