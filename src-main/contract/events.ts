import { z } from 'zod';

/** Every event the core can push to a renderer; payloads are parsed before they are sent. */
export const events = {
  'conversations.changed': z.object({ ids: z.array(z.number().int()) }).strict(),
  'audit.appended': z.object({ action: z.string(), subject: z.string().nullable() }).strict(),
  'settings.changed': z.object({ key: z.string() }).strict(),
  'dataset.progress': z.object({ stage: z.string(), done: z.number().int(), total: z.number().int() }).strict(),
} as const;

export type Events = typeof events;
export type EventName = keyof Events;
export type EventPayload<K extends EventName> = z.infer<Events[K]>;
