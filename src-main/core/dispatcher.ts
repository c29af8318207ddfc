import {
  commands,
  isCommandName,
  toErrorPayload,
  WorkbenchError,
  type CommandName,
  type ErrorPayload,
} from '../contract/index';
import { appendAudit } from '../audit/auditLog';
import type { AuditNote, Capability, Handler, HandlerContext, HandlerMap } from './capability';

export type InvokeResult = { ok: true; value: unknown } | { ok: false; error: ErrorPayload };

/** Merges capability handler maps; a name defined twice or a command with no handler fails start-up. */
export function mergeHandlers(capabilities: readonly Capability[]): HandlerMap {
  const merged: Record<string, unknown> = {};
  for (const cap of capabilities) {
    for (const [name, handler] of Object.entries(cap.handlers)) {
      if (!isCommandName(name)) throw new Error(`capability ${cap.name} registers unknown command ${name}`);
      if (name in merged) throw new Error(`command ${name} registered twice (second by ${cap.name})`);
      merged[name] = handler;
    }
  }
  return merged as HandlerMap;
}

export function missingHandlers(handlers: HandlerMap): CommandName[] {
  return (Object.keys(commands) as CommandName[]).filter((n) => !handlers[n]);
}

/**
 * The single entry point every host uses: unknown names and invalid payloads come back as typed
 * errors before any handler runs, so they change nothing. Actions are audited once they succeed.
 */
export function createDispatcher(handlers: HandlerMap, baseCtx: Omit<HandlerContext, 'actor'>) {
  return async function invoke(name: unknown, args: unknown, actor: string): Promise<InvokeResult> {
    if (!isCommandName(name)) {
      return {
        ok: false,
        error: { code: 'unknown_command', message: `Unknown command: ${String(name).slice(0, 80)}` },
      };
    }
    const def = commands[name];
    const parsed = def.request.safeParse(args ?? {});
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      const where = first?.path.length ? ` at ${first.path.join('.')}` : '';
      return {
        ok: false,
        error: {
          code: 'invalid_request',
          message: `Invalid request for ${name}${where}: ${first?.message ?? 'invalid'}`,
        },
      };
    }
    const handler = handlers[name] as Handler<typeof name> | undefined;
    if (!handler) return { ok: false, error: { code: 'unknown_command', message: `Command not available: ${name}` } };
    const audit: AuditNote = {};
    const ctx: HandlerContext = { ...baseCtx, actor, audit };
    try {
      const value = await handler(parsed.data as never, ctx);
      if (def.kind === 'action') {
        const data = (parsed.data ?? {}) as Record<string, unknown>;
        const subject = audit.subject ?? (typeof data.id === 'number' ? String(data.id) : null);
        appendAudit(baseCtx.db, { actor, action: name, subject, details: audit.details ?? data });
        baseCtx.bus.emit('audit.appended', { action: name, subject });
      }
      return { ok: true, value };
    } catch (err) {
      if (!(err instanceof WorkbenchError)) {
        baseCtx.log.error('command failed', { command: name, error: String((err as Error)?.stack ?? err) });
      }
      return { ok: false, error: toErrorPayload(err) };
    }
  };
}
