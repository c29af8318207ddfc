import type { DatasetVersionDetail, ExportFormat, Split } from '../contract/index';

export interface CardInput {
  version: DatasetVersionDetail;
  format: ExportFormat;
  split: Split | null;
  fileName: string;
  examples: number;
  bytes: number;
  sha256: string;
  exportedAt: number;
}

/** The card's facts as JSON: counts, labels, redaction summary (counts only, never the mapping), splits, hashes. */
export function cardJson(c: CardInput): Record<string, unknown> {
  const r = c.version.report;
  const s = r.steps;
  return {
    dataset: c.version.datasetName,
    version: c.version.version,
    versionId: c.version.id,
    versionContentHash: c.version.contentHash,
    createdAt: new Date(c.version.createdAt).toISOString(),
    exportedAt: new Date(c.exportedAt).toISOString(),
    task: r.filter.task,
    file: {
      name: c.fileName,
      format: c.format,
      split: c.split ?? 'all',
      examples: c.examples,
      bytes: c.bytes,
      sha256: c.sha256,
    },
    splits: { train: s.split.train, validation: s.split.validation, test: s.split.test, groups: s.split.groups },
    labelDistribution: s.split.byLabel,
    stratifiedBy: r.options.split.stratifyBy,
    seed: r.options.seed,
    pipeline: {
      selected: s.selected,
      invalid: s.validation.invalid,
      invalidByRule: s.validation.byRule,
      duplicatesDroppedExact: s.dedup.droppedExact,
      duplicatesDroppedNear: s.dedup.droppedNear,
      dedupThreshold: r.options.dedup.threshold,
      keptPerCluster: r.options.dedup.keepPerCluster,
      sampledToMax: s.limits.sampled,
      overTokenLimit: s.tokens.in - s.tokens.out,
    },
    redaction: {
      secretsFound: s.redaction.secretsFound,
      secretsRedacted: s.redaction.secretsRedacted,
      examplesExcludedForSecrets: s.redaction.excluded,
      secretsClean: r.secretsClean,
      pseudonymised: r.options.pseudonymise,
      pseudonymsByKind: c.version.pseudonyms,
      allowlistedValues: s.redaction.allowlisted,
    },
    tokens: {
      target: r.options.target,
      tokenizer: s.tokens.tokenizer,
      encoding: s.tokens.encoding,
      limit: s.tokens.limit,
      total: s.tokens.total,
      max: s.tokens.max,
      mean: s.tokens.mean,
    },
    costEstimate: r.cost,
  };
}

export function cardMarkdown(c: CardInput): string {
  const j = cardJson(c) as ReturnType<typeof cardJson> & Record<string, never>;
  const r = c.version.report;
  const s = r.steps;
  const labels = s.split.byLabel.map((l) => `| ${l.label} | ${l.train} | ${l.validation} | ${l.test} |`).join('\n');
  const pseudo = Object.entries(c.version.pseudonyms)
    .map(([k, n]) => `${k}: ${n}`)
    .join(', ');
  const cost =
    r.cost.usd === null
      ? 'no price known for this model'
      : `≈ $${r.cost.usd.toFixed(2)} (${r.cost.epochs} epochs × ${r.cost.billedTokensPerEpoch} tokens at $${r.cost.usdPerMillion}/1M)`;
  return `# ${c.version.datasetName} — version ${c.version.version}

- Task: ${r.filter.task}
- Format: ${c.format} (${c.fileName}), split: ${c.split ?? 'all'}, ${c.examples} examples, ${c.bytes} bytes
- File sha256: \`${c.sha256}\`
- Version content hash: \`${c.version.contentHash}\`
- Created: ${String(j.createdAt)}; exported: ${String(j.exportedAt)}

## Splits

Grouped by incident/source record so no group is in two splits; stratified by ${r.options.split.stratifyBy}; seed ${r.options.seed}.

| split | examples |
|---|---|
| train | ${s.split.train} |
| validation | ${s.split.validation} |
| test | ${s.split.test} |

## Label distribution

| label | train | validation | test |
|---|---|---|---|
${labels || '| (none) | 0 | 0 | 0 |'}

## How it was built

- Approved examples selected: ${s.selected}
- Invalid (OpenAI's and our format rules): ${s.validation.invalid}
- Duplicates dropped: ${s.dedup.droppedExact} exact, ${s.dedup.droppedNear} near (Jaccard ≥ ${r.options.dedup.threshold}, ${r.options.dedup.keepPerCluster} kept per cluster)
- Sampled down to the maximum: ${s.limits.sampled ? 'yes' : 'no'} (limits ${s.limits.min}–${s.limits.max})
- Over the token limit (refused, never truncated): ${s.tokens.in - s.tokens.out}
- Tokens (${s.tokens.tokenizer}, ${s.tokens.encoding}, limit ${s.tokens.limit}): total ${s.tokens.total}, max ${s.tokens.max}, mean ${s.tokens.mean}
- Cost estimate for ${r.cost.model}: ${cost}

## Redaction

- Secrets found: ${s.redaction.secretsFound}; redacted to <SECRET_n>: ${s.redaction.secretsRedacted}; examples excluded: ${s.redaction.excluded}; clean: ${r.secretsClean ? 'yes' : 'no'}
- Personal data pseudonymised: ${r.options.pseudonymise ? 'yes' : 'no'} (${pseudo}); allowlisted values kept: ${s.redaction.allowlisted}
- The pseudonym mapping stays in the workspace and is not part of this export.
`;
}
