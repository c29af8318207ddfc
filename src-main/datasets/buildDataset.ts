import crypto from 'node:crypto';
import type { Db } from '../db/connection';
import {
  REPORT_LIST_CAP,
  WorkbenchError,
  type BuildOptions,
  type BuildReport,
  type DatasetFilter,
  type Split,
  type ValidationFailure,
} from '../contract/index';
import { redactExamples } from '../redaction/redactExamples';
import type { PseudonymEntry } from '../redaction/pseudonymizer';
import { applyLimits } from './applyLimits';
import { canonicalJson } from './canonicalJson';
import { estimateCost } from './costEstimate';
import { createTokenCounter } from './countTokens';
import { dedupExamples } from './dedupExamples';
import { selectExamples } from './selectExamples';
import { splitDataset } from './splitDataset';
import type { Candidate } from './types';
import { validateExample } from './validateExample';

export interface BuiltExample {
  item: Candidate;
  split: Split;
  group: string;
  tokens: number;
  /** What is stored and exported as the OpenAI line: compact JSON, role and content first. */
  json: string;
  contentHash: string;
}

export interface BuildResult {
  report: BuildReport;
  examples: BuiltExample[];
  mapping: PseudonymEntry[];
  /** sha256 over every example's split and canonical JSON, in order. */
  contentHash: string;
}

export interface BuildContext {
  /** Allowlist and price table from settings, merged with the options. */
  allowlist: readonly string[];
  prices: Record<string, number>;
  localTokenize?: ((text: string) => number) | null;
  onProgress?: (stage: string, done: number, total: number) => void;
}

export const BUILD_STAGES = ['select', 'validate', 'dedup', 'limits', 'redact', 'tokens', 'split'] as const;

/**
 * The whole pipeline, pure apart from reading the DB: select → validate → dedup → limits →
 * redact → tokens → split → cost. Nothing is written; `createVersion` stores what this returns.
 */
export async function buildDataset(
  db: Db,
  filter: DatasetFilter,
  options: BuildOptions,
  ctx: BuildContext,
): Promise<BuildResult> {
  const progress = (stage: (typeof BUILD_STAGES)[number]) =>
    ctx.onProgress?.(stage, BUILD_STAGES.indexOf(stage), BUILD_STAGES.length);
  if (options.limits.min > options.limits.max) {
    throw new WorkbenchError(
      'invalid_request',
      `The minimum (${options.limits.min}) is above the maximum (${options.limits.max}).`,
    );
  }
  progress('select');
  const selected = selectExamples(db, filter, { systemPrompt: options.systemPrompt, labelHints: options.labelHints });

  progress('validate');
  const failures: ValidationFailure[] = [];
  const byRule: Record<string, number> = {};
  const valid: Candidate[] = [];
  for (const c of selected) {
    const f = validateExample(c.example);
    if (!f.length) {
      valid.push(c);
      continue;
    }
    for (const x of f) {
      byRule[x.ruleId] = (byRule[x.ruleId] ?? 0) + 1;
      if (failures.length < REPORT_LIST_CAP) failures.push({ conversationId: c.conversationId, title: c.title, ...x });
    }
  }

  progress('dedup');
  const dedup = dedupExamples(valid, options.dedup);

  progress('limits');
  const limited = applyLimits(dedup.kept, {
    ...options.limits,
    seed: options.seed,
    stratifyBy: options.split.stratifyBy,
  });

  progress('redact');
  const redaction = await redactExamples(limited.items, {
    fix: options.secrets.fix,
    perConversation: options.secrets.perConversation,
    pseudonymise: options.pseudonymise,
    allowlist: [...ctx.allowlist, ...options.allowlist],
  });

  progress('tokens');
  const counter = await createTokenCounter({
    kind: options.target.kind,
    model: options.target.model,
    limit: options.target.tokenLimit,
    localTokenize: ctx.localTokenize ?? null,
  });
  const refused: BuildReport['steps']['tokens']['refused'] = [];
  const counted: { item: Candidate; tokens: number }[] = [];
  for (const item of redaction.kept) {
    const tokens = counter.count(item.example);
    // Over the limit is refused with its count: OpenAI would silently cut it, we never do.
    if (tokens > counter.limit) {
      if (refused.length < REPORT_LIST_CAP)
        refused.push({ conversationId: item.conversationId, title: item.title, tokens, limit: counter.limit });
    } else counted.push({ item, tokens });
  }
  const tokensOf = new Map(counted.map((c) => [c.item, c.tokens]));

  progress('split');
  const split = splitDataset(
    counted.map((c) => c.item),
    { ...options.split, seed: options.seed, clusterOf: dedup.clusterOf },
  );
  const examples: BuiltExample[] = split.assigned.map(({ item, split: s, group }) => {
    const canonical = canonicalJson(item.example);
    return {
      item,
      split: s,
      group,
      tokens: tokensOf.get(item)!,
      json: JSON.stringify(item.example),
      contentHash: crypto.createHash('sha256').update(canonical).digest('hex'),
    };
  });
  const hash = crypto.createHash('sha256');
  for (const e of examples) hash.update(`${e.split}\t${canonicalJson(e.item.example)}\n`);

  const tokenCounts = examples.map((e) => e.tokens);
  const total = tokenCounts.reduce((s, n) => s + n, 0);
  const cost = estimateCost({
    model: options.target.model,
    trainTokenCounts: examples.filter((e) => e.split === 'train').map((e) => e.tokens),
    limit: counter.limit,
    epochs: options.epochs,
    prices: { ...ctx.prices, ...options.prices },
  });

  const blockers: string[] = [];
  const belowMin = examples.length < options.limits.min;
  if (belowMin) {
    blockers.push(
      `Only ${examples.length} example${examples.length === 1 ? '' : 's'} remain after the build steps; at least ${options.limits.min} are needed. Widen the filter, approve more examples, or lower the minimum.`,
    );
  }
  if (redaction.blocking > 0) {
    blockers.push(
      `${redaction.blocking} example${redaction.blocking === 1 ? ' holds' : 's hold'} secrets. Choose to redact them to <SECRET_n> or to exclude those examples before exporting.`,
    );
  }
  if (examples.length > 0 && split.counts.train === 0)
    blockers.push('The training split is empty: lower the validation and test fractions.');

  const report: BuildReport = {
    filter,
    options,
    steps: {
      selected: selected.length,
      validation: {
        in: selected.length,
        valid: valid.length,
        invalid: selected.length - valid.length,
        byRule,
        failures,
      },
      dedup: {
        in: valid.length,
        kept: dedup.kept.length,
        droppedExact: dedup.droppedExact,
        droppedNear: dedup.droppedNear,
        clusters: dedup.clusters.slice(0, REPORT_LIST_CAP),
      },
      limits: {
        in: dedup.kept.length,
        out: limited.items.length,
        min: options.limits.min,
        max: options.limits.max,
        sampled: limited.sampled,
        belowMin,
      },
      redaction: {
        in: limited.items.length,
        out: redaction.kept.length,
        secretsFound: redaction.secretsFound,
        secretExamples: redaction.secretExamples,
        secretsRedacted: redaction.secretsRedacted,
        excluded: redaction.excluded,
        blocking: redaction.blocking,
        findings: redaction.findings.slice(0, REPORT_LIST_CAP),
        entities: redaction.entities,
        samples: redaction.samples,
        allowlisted: redaction.allowlisted,
      },
      tokens: {
        in: redaction.kept.length,
        out: counted.length,
        tokenizer: counter.tokenizer,
        encoding: counter.encoding,
        limit: counter.limit,
        refused,
        total,
        max: tokenCounts.length ? Math.max(...tokenCounts) : 0,
        mean: tokenCounts.length ? Math.round(total / tokenCounts.length) : 0,
      },
      split: { ...split.counts, groups: split.groups, byLabel: split.byLabel },
    },
    cost,
    secretsClean: redaction.blocking === 0,
    blockers,
    examples: examples.length,
  };
  // Keep mapping entries only for tokens that appear in the stored examples.
  const used = new Set<string>();
  for (const e of examples) for (const m of e.json.matchAll(/<(?:IP|HOST|USER|EMAIL|ACCOUNT)_\d+>/g)) used.add(m[0]);
  const mapping = redaction.mapping.filter((m) => used.has(m.token));
  return { report, examples, mapping, contentHash: hash.digest('hex') };
}
