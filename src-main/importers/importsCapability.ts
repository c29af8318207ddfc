import path from 'node:path';
import { WorkbenchError, type AppInfo, type ImportReport, type ImportSummary } from '../contract/index';
import type { Capability, HandlerContext } from '../core/capability';
import { detectFile, startImport, type ImportOptions, type ImportSource, type StartedImport } from './runImport';
import { getImport, listImports, recoverInterruptedImports } from './importsRepo';
import { deleteUpload, pruneUploads, resolveUpload } from './uploads';

/** In-process entry to the importers (CLI, scripts, tests) that may read any local path. */
export interface ImporterService {
  start(source: ImportSource, opts: ImportOptions): StartedImport;
  cancel(importId: number): boolean;
}

declare module '../core/capability' {
  interface Services {
    importer: ImporterService;
  }
}

interface Running {
  controller: AbortController;
  started: StartedImport;
}

type Ctx = Pick<HandlerContext, 'dataDir'>;

/**
 * Imports of alerts, logs and fine-tuning examples. One import runs at a time (two overlapping
 * files would race on the dedupe key); it runs in the background and reports through events.
 * The desktop app passes a path from its open-file dialog; the headless host only takes uploads,
 * so a browser holding the token cannot make the server read arbitrary files.
 */
export function importsCapability(host: AppInfo['host']): Capability {
  const running = new Map<number, Running>();
  let shutdown: AbortSignal | null = null;

  function source(
    args: { path?: string | undefined; uploadId?: string | undefined },
    ctx: Ctx,
    forImport: boolean,
  ): ImportSource {
    if (args.uploadId) {
      const up = resolveUpload(ctx.dataDir, args.uploadId);
      const id = args.uploadId;
      return { ...up, release: forImport ? () => deleteUpload(ctx.dataDir, id) : undefined };
    }
    if (host !== 'electron')
      throw new WorkbenchError('forbidden', 'Upload the file: the headless host does not read paths on the server.');
    const p = args.path ?? '';
    if (!path.isAbsolute(p)) throw new WorkbenchError('invalid_request', 'The file path must be absolute.');
    return { path: p, fileName: path.basename(p) };
  }

  function begin(
    deps: HandlerContext | Omit<HandlerContext, 'actor'>,
    src: ImportSource,
    opts: ImportOptions,
  ): StartedImport {
    if (running.size) {
      throw new WorkbenchError('conflict', 'Another import is running. Wait for it to finish or cancel it.');
    }
    const controller = new AbortController();
    if (shutdown?.aborted) throw new WorkbenchError('cancelled', 'The workbench is shutting down.');
    shutdown?.addEventListener('abort', () => controller.abort(), { once: true });
    // A refusal here (format unknown, mapping missing) writes nothing and keeps an upload for another try.
    let id = 0;
    const started = startImport({ db: deps.db, bus: deps.bus, log: deps.log }, src, opts, controller.signal, () =>
      running.delete(id),
    );
    id = started.importId;
    running.set(id, { controller, started });
    started.done.catch((e: unknown) => {
      running.delete(id);
      deps.log.error('import crashed', { importId: id, error: String(e) });
    });
    return started;
  }

  function live<T extends ImportSummary>(s: T): T {
    const r = running.get(s.id);
    if (!r) return s;
    const p = r.started.progress();
    return { ...s, bytesRead: p.bytesRead, recordsRejected: p.rejected, recordsDuplicate: p.duplicates };
  }

  return {
    name: 'imports',
    start(ctx) {
      shutdown = ctx.signal;
      const recovered = recoverInterruptedImports(ctx.db);
      if (recovered.length) ctx.log.warn('rolled back interrupted imports', { importIds: recovered });
      pruneUploads(ctx.dataDir);
      ctx.services.set('importer', {
        start: (src, opts) => begin(ctx, src, opts),
        cancel: (id) => {
          const r = running.get(id);
          r?.controller.abort();
          return !!r;
        },
      });
    },
    async stop() {
      const all = [...running.values()];
      for (const r of all) r.controller.abort();
      await Promise.race([
        Promise.allSettled(all.map((r) => r.started.done)),
        new Promise((resolve) => setTimeout(resolve, 10_000).unref()),
      ]);
    },
    handlers: {
      'imports.start': (args, ctx) => {
        const src = source(args, ctx, true);
        const started = begin(ctx, src, {
          format: args.format,
          keepValid: args.keepValid,
          csvMapping: args.csvMapping,
          actor: ctx.actor,
        });
        if (ctx.audit) {
          ctx.audit.subject = String(started.importId);
          ctx.audit.details = { fileName: src.fileName, format: started.format, keepValid: args.keepValid };
        }
        return { importId: started.importId };
      },
      'imports.cancel': (args, { db, audit }) => {
        if (audit) audit.subject = String(args.importId);
        const r = running.get(args.importId);
        if (r) {
          r.controller.abort();
          return { importId: args.importId, cancelled: true };
        }
        if (!getImport(db, args.importId))
          throw new WorkbenchError('not_found', `Import ${args.importId} does not exist.`);
        return { importId: args.importId, cancelled: false };
      },
      'imports.list': (args, { db }) => ({ items: listImports(db, args.limit).map(live) }),
      'imports.get': (args, { db }): ImportReport => {
        const report = getImport(db, args.importId);
        if (!report) throw new WorkbenchError('not_found', `Import ${args.importId} does not exist.`);
        return live(report);
      },
      'imports.detect': (args, ctx) => detectFile(source(args, ctx, false)),
    },
  };
}
