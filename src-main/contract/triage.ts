import { z } from 'zod';
import { SEVERITIES, VERDICTS } from './common';

/** ATT&CK technique or sub-technique id, e.g. T1078 or T1078.004. */
export const ATTACK_TECHNIQUE_ID = /^T\d{4}(\.\d{3})?$/;

/** The structured triage answer: what the local grammar, OpenAI structured output and evaluation agree on. */
export const TriageAnswerSchema = z
  .object({
    verdict: z.enum(VERDICTS),
    threat_type: z.string().trim().min(1).max(200),
    severity: z.enum(SEVERITIES),
    techniques: z.array(z.string().regex(ATTACK_TECHNIQUE_ID, 'ATT&CK ids look like T1078 or T1078.004')).max(20),
    rationale: z.string().max(4000),
  })
  .strict();

export type TriageAnswer = z.infer<typeof TriageAnswerSchema>;

/**
 * The same answer as a JSON Schema in the subset OpenAI's strict structured output accepts
 * (every property required, no additional properties).
 */
export const TRIAGE_ANSWER_JSON_SCHEMA = {
  type: 'object',
  properties: {
    verdict: { type: 'string', enum: [...VERDICTS], description: 'true_positive, benign or false_positive' },
    threat_type: { type: 'string', description: 'Short name of the threat, e.g. credential access' },
    severity: { type: 'string', enum: [...SEVERITIES] },
    techniques: {
      type: 'array',
      items: { type: 'string', pattern: ATTACK_TECHNIQUE_ID.source },
      description: 'MITRE ATT&CK technique ids',
    },
    rationale: { type: 'string', description: 'Why, in two or three sentences' },
  },
  required: ['verdict', 'threat_type', 'severity', 'techniques', 'rationale'],
  additionalProperties: false,
} as const;

/** Grammar-friendly bounds for local decoding (a grammar cannot express `pattern`, and small models ramble). */
export const TRIAGE_GRAMMAR_LIMITS = { threatType: 60, rationale: 400, techniques: 5 } as const;

/**
 * The triage schema rewritten for grammar-constrained decoding: technique ids come from the ATT&CK
 * catalogue (so the model can only name techniques that exist) and strings have upper bounds.
 */
export function triageGrammarSchema(techniqueIds: readonly string[]): Record<string, unknown> {
  const ids = techniqueIds.filter((id) => ATTACK_TECHNIQUE_ID.test(id));
  return {
    type: 'object',
    properties: {
      verdict: { enum: [...VERDICTS] },
      threat_type: { type: 'string', minLength: 1, maxLength: TRIAGE_GRAMMAR_LIMITS.threatType },
      severity: { enum: [...SEVERITIES] },
      techniques: {
        type: 'array',
        items: ids.length ? { enum: ids } : { type: 'string', minLength: 5, maxLength: 9 },
        maxItems: TRIAGE_GRAMMAR_LIMITS.techniques,
      },
      rationale: { type: 'string', maxLength: TRIAGE_GRAMMAR_LIMITS.rationale },
    },
    additionalProperties: false,
  };
}
