import { z } from 'zod';
import { query, action } from '../define';
import { Empty, type Task } from '../common';

export interface AppInfo {
  version: string;
  dataDir: string;
  schemaVersion: number;
  host: 'electron' | 'http';
  activeModels: { task: Task; modelId: number; modelName: string }[];
  counts: { conversations: number; pendingReviews: number; models: number };
}

export interface AuditEntry {
  id: number;
  at: number;
  actor: string;
  action: string;
  subject: string | null;
  details: Record<string, unknown>;
}

const SettingKey = z.string().regex(/^[a-z][a-z0-9_.]{0,63}$/, 'setting keys are lower-case dotted names');

export const appCommands = {
  'app.info': query<AppInfo>()(Empty),
  'settings.get': query<{ key: string; value: unknown }>()(z.object({ key: SettingKey }).strict()),
  'settings.set': action<{ key: string; value: unknown }>()(z.object({ key: SettingKey, value: z.json() }).strict()),
  'audit.list': query<{ items: AuditEntry[] }>()(
    z.object({ limit: z.number().int().min(1).max(500).default(100) }).strict(),
  ),
} as const;
