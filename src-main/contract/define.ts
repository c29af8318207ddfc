import type { z } from 'zod';

/**
 * A command: a zod schema for the request and a phantom type for the response.
 * `query` commands only read; `action` commands change something and are written to the audit log.
 */
export interface CommandDef<Req extends z.ZodType, Res> {
  readonly kind: 'query' | 'action';
  readonly request: Req;
  /** Type-only marker; never read at run time. */
  readonly response?: Res;
}

export function query<Res>() {
  return <Req extends z.ZodType>(request: Req): CommandDef<Req, Res> => ({ kind: 'query', request });
}

export function action<Res>() {
  return <Req extends z.ZodType>(request: Req): CommandDef<Req, Res> => ({ kind: 'action', request });
}
