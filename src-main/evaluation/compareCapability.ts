import { randomBytes, randomInt } from 'node:crypto';
import {
  TRIAGE_ANSWER_JSON_SCHEMA,
  WorkbenchError,
  toErrorPayload,
  triageGrammarSchema,
  type AbVote,
  type CompareSide,
  type CompareStarted,
  type CompareState,
  type ParsedRequest,
  type Side,
  type Task,
} from '../contract/index';
import { systemTurn } from '../chat/buildTurns';
import { attackTechniqueIds } from '../chat/techniqueIds';
import type { Capability, HandlerContext } from '../core/capability';
import { getConversation } from '../conversations/conversationsRepo';
import { getModelRecord, type ModelRecord } from '../models/modelsRepo';
import { localProvider } from '../runtime/local/localProvider';
import type { ChatProvider } from '../runtime/provider';
import { taskPreset } from '../tasks/taskPresets';
import { insertVote, voteStats } from './abVotesRepo';
import { localRequest, remoteProvider } from './answerExamples';

interface Session {
  id: string;
  prompt: string;
  task: Task;
  blind: boolean;
  models: Record<Side, ModelRecord>;
  answers: CompareState['answers'];
  abort: AbortController;
  done: Promise<void>;
  vote: AbVote | null;
  createdAt: number;
}

/** Sessions live in memory: a comparison is a few minutes' work; only its vote is stored. */
const MAX_SESSIONS = 50;
const TOKEN_FLUSH_MS = 25;

function sideOf(s: Session, side: Side, reveal: boolean): CompareSide {
  const m = s.models[side];
  return { side, modelId: reveal ? m.id : null, modelName: reveal ? m.name : null };
}

function started(s: Session): CompareStarted {
  const reveal = !s.blind || s.vote !== null;
  return { comparisonId: s.id, blind: s.blind, task: s.task, sides: [sideOf(s, 'a', reveal), sideOf(s, 'b', reveal)] };
}

function usable(ctx: HandlerContext, id: number): ModelRecord {
  const m = getModelRecord(ctx.db, id);
  if (!m) throw new WorkbenchError('not_found', `Model ${id} does not exist.`);
  if (m.archived) throw new WorkbenchError('conflict', `"${m.name}" is archived; restore it to compare it.`);
  return m;
}

function providerFor(ctx: HandlerContext, m: ModelRecord): ChatProvider {
  return m.kind === 'local_gguf'
    ? localProvider(ctx.services.get('localRuntime'), localRequest(ctx.db, m))
    : remoteProvider(ctx.services, m);
}

/** Side by side and blind A/B: two models answer one prompt in two streaming columns; the vote is stored. */
export function createCompareCapability(): Capability {
  const sessions = new Map<string, Session>();

  function mustGet(id: string): Session {
    const s = sessions.get(id);
    if (!s) throw new WorkbenchError('not_found', 'This comparison is no longer open; start it again.');
    return s;
  }

  function startCompare(args: ParsedRequest<'compare.start'>, ctx: HandlerContext): CompareStarted {
    const first = usable(ctx, args.modelAId);
    const second = usable(ctx, args.modelBId);
    const providers = new Map([
      [first.id, providerFor(ctx, first)],
      [second.id, providerFor(ctx, second)],
    ]);
    // Blind: which model is A is a coin flip, so position cannot give it away.
    const swap = args.blind && randomInt(2) === 1;
    const models: Record<Side, ModelRecord> = swap ? { a: second, b: first } : { a: first, b: second };
    let alert: unknown = null;
    if (args.conversationId !== undefined) {
      const c = getConversation(ctx.db, args.conversationId);
      if (!c) throw new WorkbenchError('not_found', `Conversation ${args.conversationId} does not exist.`);
      alert = c.alertPayload;
    }
    const turns = [
      systemTurn(taskPreset(args.task).systemPrompt, alert, args.structured),
      { role: 'user' as const, content: args.prompt },
    ];
    const id = randomBytes(12).toString('hex');
    const abort = new AbortController();
    const onHostAbort = () => abort.abort();
    ctx.signal.addEventListener('abort', onHostAbort, { once: true });
    const empty = () => ({ text: '', done: false, error: null, latencyMs: null, completionTokens: null });
    const session: Session = {
      id,
      prompt: args.prompt,
      task: args.task,
      blind: args.blind,
      models,
      answers: { a: empty(), b: empty() },
      abort,
      done: Promise.resolve(),
      vote: null,
      createdAt: Date.now(),
    };

    const runSide = async (side: Side) => {
      const model = models[side];
      const provider = providers.get(model.id)!;
      let pending = '';
      let timer: NodeJS.Timeout | null = null;
      const flush = () => {
        if (timer) clearTimeout(timer);
        timer = null;
        if (!pending) return;
        ctx.bus.emit('compare.token', { comparisonId: id, side, text: pending });
        pending = '';
      };
      const answer = session.answers[side];
      try {
        const r = await provider.chat(turns, {
          temperature: taskPreset(args.task).temperature,
          maxTokens: args.maxTokens,
          ...(args.structured
            ? {
                jsonSchema:
                  provider.kind === 'local_gguf'
                    ? triageGrammarSchema(attackTechniqueIds())
                    : { ...TRIAGE_ANSWER_JSON_SCHEMA },
              }
            : {}),
          signal: abort.signal,
          onToken: (text) => {
            answer.text += text;
            pending += text;
            if (!timer) timer = setTimeout(flush, TOKEN_FLUSH_MS);
          },
        });
        answer.text = r.text;
        answer.latencyMs = r.latencyMs;
        answer.completionTokens = r.completionTokens;
        if (r.stopped) answer.error = 'Stopped.';
      } catch (err) {
        answer.error = toErrorPayload(err).message;
      }
      flush();
      answer.done = true;
      ctx.bus.emit('compare.done', {
        comparisonId: id,
        side,
        error: answer.error,
        latencyMs: answer.latencyMs,
        completionTokens: answer.completionTokens,
      });
    };
    // Both sides start together; two local models share the one worker and so answer one after the other.
    session.done = Promise.all([runSide('a'), runSide('b')])
      .then(() => undefined)
      .finally(() => ctx.signal.removeEventListener('abort', onHostAbort));
    sessions.set(id, session);
    while (sessions.size > MAX_SESSIONS) {
      const oldest = sessions.keys().next().value as string;
      sessions.get(oldest)?.abort.abort();
      sessions.delete(oldest);
    }
    if (ctx.audit) {
      ctx.audit.subject = id;
      ctx.audit.details = { task: args.task, blind: args.blind, modelIds: [first.id, second.id] };
    }
    return started(session);
  }

  return {
    name: 'compare',
    async stop() {
      for (const s of sessions.values()) s.abort.abort();
      await Promise.race([
        Promise.allSettled([...sessions.values()].map((s) => s.done)),
        new Promise((r) => setTimeout(r, 5000).unref()),
      ]);
    },
    handlers: {
      'compare.start': (args, ctx) => startCompare(args, ctx),
      'compare.get': (args) => {
        const s = mustGet(args.comparisonId);
        return { ...started(s), prompt: s.prompt, answers: s.answers, vote: s.vote };
      },
      'compare.stop': (args, { audit }) => {
        const s = mustGet(args.comparisonId);
        if (audit) audit.subject = s.id;
        const running = !s.answers.a.done || !s.answers.b.done;
        s.abort.abort();
        return { stopped: running };
      },
      'abtest.vote': (args, ctx) => {
        const s = mustGet(args.comparisonId);
        if (s.vote !== null) throw new WorkbenchError('conflict', 'This comparison already has a vote.');
        if (!s.answers.a.done || !s.answers.b.done) {
          throw new WorkbenchError('conflict', 'Wait for both answers before you vote.');
        }
        const voteId = insertVote(ctx.db, {
          prompt: s.prompt,
          task: s.task,
          modelAId: s.models.a.id,
          modelBId: s.models.b.id,
          vote: args.vote,
          analyst: ctx.actor,
          blind: s.blind,
          answerA: s.answers.a.text,
          answerB: s.answers.b.text,
        });
        s.vote = args.vote;
        if (ctx.audit) {
          ctx.audit.subject = String(voteId);
          ctx.audit.details = { vote: args.vote, modelAId: s.models.a.id, modelBId: s.models.b.id, blind: s.blind };
        }
        return { voteId, vote: args.vote, sides: [sideOf(s, 'a', true), sideOf(s, 'b', true)] };
      },
      'abtest.stats': (args, { db }) => voteStats(db, args.modelId),
    },
  };
}
