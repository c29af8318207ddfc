/**
 * The contract between the core and any renderer: command names with request schemas and
 * response types, event names with payload schemas, and error codes. Pure TypeScript + zod:
 * no Node or DOM imports, so the renderer can import it too.
 */
import type { z } from 'zod';
import { commands, type Commands, type CommandName } from './commands/index';
import type { CommandDef } from './define';

export * from './common';
export * from './errors';
export * from './events';
export * from './commands/app';
export * from './commands/conversations';
export * from './commands/datasets';
export * from './commands/models';
export * from './commands/chat';
export * from './triage';
export * from './commands/imports';
export * from './commands/attack';
export * from './commands/labels';
export * from './commands/review';
export * from './commands/jobs';
export * from './bridge';
export * from './commands/endpoints';
export * from './commands/training';
export * from './commands/evaluation';
export * from './commands/registry';
export * from './commands/abtest';
export { commands, type Commands, type CommandName };

export type CommandRequest<K extends CommandName> = z.input<Commands[K]['request']>;
export type ParsedRequest<K extends CommandName> = z.output<Commands[K]['request']>;
export type CommandResponse<K extends CommandName> = Commands[K] extends CommandDef<z.ZodType, infer R> ? R : never;

export const COMMAND_NAMES = Object.keys(commands) as CommandName[];

export function isCommandName(name: unknown): name is CommandName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(commands, name);
}
