import type { CommandName, CommandResponse, ParsedRequest } from '../contract/index';
import type { Db } from '../db/connection';
import type { EventBus } from './eventBus';
import type { Logger } from './logger';

/** What every handler gets besides its parsed request. */
export interface HandlerContext {
  db: Db;
  bus: EventBus;
  dataDir: string;
  log: Logger;
  /** Who is acting: the OS user in the desktop app, the configured analyst name in the headless host. */
  actor: string;
  /** Services other capabilities registered, by name. */
  services: ServiceRegistry;
  /** Aborted when the host shuts down. */
  signal: AbortSignal;
  /**
   * Set by the dispatcher for actions: a handler may name what it acted on (default: the request's
   * `id`) and replace the request as the audit details (e.g. a batch id instead of 100,000 label ids).
   */
  audit?: AuditNote;
}

export interface AuditNote {
  subject?: string;
  details?: Record<string, unknown>;
}

export type Handler<K extends CommandName> = (
  args: ParsedRequest<K>,
  ctx: HandlerContext,
) => CommandResponse<K> | Promise<CommandResponse<K>>;

export type HandlerMap = { [K in CommandName]?: Handler<K> };

/** Typed service lookup; each capability augments this interface with its services. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface Services {}

export interface ServiceRegistry {
  get<K extends keyof Services>(name: K): Services[K];
  set<K extends keyof Services>(name: K, service: Services[K]): void;
}

/** A capability: a set of handlers plus optional start-up and shut-down work. */
export interface Capability {
  name: string;
  handlers: HandlerMap;
  start?(ctx: Omit<HandlerContext, 'actor'>): void | Promise<void>;
  /** Runs once every capability has started (e.g. the job engine resumes jobs once all runners exist). */
  afterStart?(ctx: Omit<HandlerContext, 'actor'>): void | Promise<void>;
  stop?(): void | Promise<void>;
}
