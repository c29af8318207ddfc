import { z } from 'zod';
import { query } from '../define';
import { Empty } from '../common';

/** `T1059` or `T1059.001`; lower case and spaces are tidied before the check. */
export const TechniqueId = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^T\d{4}(\.\d{3})?$/, 'ATT&CK technique ids look like T1059 or T1059.001');

export const TacticId = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^TA\d{4}$/, 'ATT&CK tactic ids look like TA0002');

export interface AttackTactic {
  id: string;
  shortname: string;
  name: string;
}

export interface AttackTechniqueSummary {
  id: string;
  name: string;
  /** For a sub-technique, the name of its parent (`Command and Scripting Interpreter`). */
  parentName: string | null;
  tactics: AttackTactic[];
  subtechnique: boolean;
  deprecated: boolean;
}

export interface AttackTechnique extends AttackTechniqueSummary {
  platforms: string[];
  summary: string;
  url: string;
}

export const attackCommands = {
  /** By id (`T1059`, `T1059.001`, a prefix such as `T105` or `1059`) or by words of the name. */
  'attack.search': query<{ items: AttackTechniqueSummary[]; total: number }>()(
    z
      .object({
        query: z.string().max(200),
        limit: z.number().int().min(1).max(100).default(20),
        includeDeprecated: z.boolean().default(false),
      })
      .strict(),
  ),
  'attack.get': query<AttackTechnique>()(z.object({ id: TechniqueId }).strict()),
  'attack.tactics': query<{ version: string; items: AttackTactic[] }>()(Empty),
} as const;
