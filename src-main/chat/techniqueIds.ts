import fs from 'node:fs';
import { z } from 'zod';
import { ATTACK_TECHNIQUE_ID } from '../contract/index';
import { resourcePath } from '../core/resources';

const Catalogue = z.object({
  techniques: z.array(z.object({ id: z.string(), deprecated: z.boolean().optional() }).loose()),
});

let cached: string[] | null = null;

/** Current ATT&CK technique ids from the shipped catalogue; the grammar lets a local model name only these. */
export function attackTechniqueIds(): string[] {
  if (cached) return cached;
  try {
    const raw = JSON.parse(fs.readFileSync(resourcePath('attack', 'enterprise-attack-v18.1.json'), 'utf8')) as unknown;
    const parsed = Catalogue.parse(raw);
    cached = parsed.techniques.filter((t) => !t.deprecated && ATTACK_TECHNIQUE_ID.test(t.id)).map((t) => t.id);
  } catch {
    // Without the catalogue the grammar falls back to id-shaped strings; the answer is still checked afterwards.
    cached = [];
  }
  return cached;
}
