import { WorkbenchError, type BuildOptions, type DatasetFilter, type RedactionPreview } from '../contract/index';
import type { Capability, HandlerContext } from '../core/capability';
import { getSetting } from '../settings/settingsRepo';
import { exportDataset } from '../export/exportDataset';
import { Pseudonymizer } from '../redaction/pseudonymizer';
import { maskedSnippet, scanSecrets } from '../redaction/secretScanner';
import { buildDataset, type BuildResult } from './buildDataset';
import { DEFAULT_TRAINING_PRICES } from './costEstimate';
import { getVersion, insertVersion, listDatasets, listExamples } from './datasetsRepo';
import { VALIDATION_RULES } from './validateExample';

/** Settings this capability reads: indicators to keep as they are, and USD per 1M training tokens by model. */
export const ALLOWLIST_SETTING = 'datasets.allowlist';
export const PRICES_SETTING = 'datasets.prices';

function settingsAllowlist(ctx: Pick<HandlerContext, 'db'>): string[] {
  const v = getSetting<unknown>(ctx.db, ALLOWLIST_SETTING);
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function settingsPrices(ctx: Pick<HandlerContext, 'db'>): Record<string, number> {
  const v = getSetting<unknown>(ctx.db, PRICES_SETTING);
  const out: Record<string, number> = { ...DEFAULT_TRAINING_PRICES };
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    for (const [k, n] of Object.entries(v)) if (typeof n === 'number' && n >= 0) out[k] = n;
  }
  return out;
}

function build(filter: DatasetFilter, options: BuildOptions, ctx: HandlerContext): Promise<BuildResult> {
  return buildDataset(ctx.db, filter, options, {
    allowlist: settingsAllowlist(ctx),
    prices: settingsPrices(ctx),
    // TODO(models): count local-target tokens with the GGUF's own tokenizer once the model worker
    // offers one as a service; until then local targets are counted with o200k and reported as approximate.
    localTokenize: null,
    onProgress: (stage, done, total) => ctx.bus.emit('dataset.progress', { stage, done, total }),
  });
}

export const datasetsCapability: Capability = {
  name: 'datasets',
  handlers: {
    'datasets.rules': () => ({ rules: VALIDATION_RULES.map((r) => ({ ...r })) }),
    'datasets.preview': async (args, ctx) => (await build(args.filter, args.options, ctx)).report,
    'datasets.redactionPreview': async (args, ctx): Promise<RedactionPreview> => {
      const spans = await scanSecrets(args.text);
      let masked = '';
      let redacted = '';
      let at = 0;
      spans.forEach((s, i) => {
        masked += args.text.slice(at, s.start) + '████';
        redacted += args.text.slice(at, s.start) + `<SECRET_${i + 1}>`;
        at = s.end;
      });
      masked += args.text.slice(at);
      redacted += args.text.slice(at);
      const pseudo = new Pseudonymizer([...settingsAllowlist(ctx), ...args.allowlist]);
      const after = pseudo.pseudonymise(redacted);
      return {
        before: masked,
        after,
        secrets: spans.map((s) => ({ ruleId: s.ruleId, masked: maskedSnippet(args.text, s, spans) })),
        entities: pseudo.entries().map((e) => ({ kind: e.kind, token: e.token })),
      };
    },
    'datasets.createVersion': async (args, ctx) => {
      const existing = ctx.db.prepare('SELECT task FROM datasets WHERE name = ?').get(args.name) as
        { task: string } | undefined;
      if (existing && existing.task !== args.filter.task) {
        throw new WorkbenchError(
          'conflict',
          `The dataset "${args.name}" holds ${existing.task} examples; choose another name for a ${args.filter.task} dataset.`,
        );
      }
      const result = await build(args.filter, args.options, ctx);
      if (result.report.steps.limits.belowMin) {
        throw new WorkbenchError(
          'limit_exceeded',
          result.report.blockers[0] ?? 'Too few examples for a dataset version.',
        );
      }
      if (result.examples.length > 0 && result.report.steps.split.train === 0) {
        throw new WorkbenchError(
          'invalid_request',
          'The training split would be empty: lower the validation and test fractions.',
        );
      }
      const id = insertVersion(ctx.db, {
        name: args.name,
        task: args.filter.task,
        description: args.description,
        build: result,
      });
      const detail = getVersion(ctx.db, id)!;
      if (ctx.audit) {
        ctx.audit.subject = String(id);
        ctx.audit.details = {
          dataset: detail.datasetName,
          version: detail.version,
          contentHash: detail.contentHash,
          examples: detail.counts.total,
          secretsClean: detail.secretsClean,
        };
      }
      return detail;
    },
    'datasets.list': (_args, { db }) => ({ items: listDatasets(db) }),
    'datasets.getVersion': (args, { db }) => {
      const v = getVersion(db, args.id);
      if (!v) throw new WorkbenchError('not_found', `Dataset version ${args.id} does not exist.`);
      return v;
    },
    'datasets.examples': (args, { db }) => {
      if (!getVersion(db, args.versionId))
        throw new WorkbenchError('not_found', `Dataset version ${args.versionId} does not exist.`);
      return listExamples(db, args);
    },
    'datasets.export': async (args, ctx) => {
      const result = await exportDataset(args, {
        db: ctx.db,
        dataDir: ctx.dataDir,
        actor: ctx.actor,
        signal: ctx.signal,
      });
      if (ctx.audit) {
        ctx.audit.subject = String(args.versionId);
        ctx.audit.details = {
          format: args.format,
          split: args.split ?? 'all',
          egressId: result.egressId,
          sha256: result.sha256,
          bytes: result.bytes,
        };
      }
      return result;
    },
  },
};
