import { create } from 'zustand';
import { api as defaultApi, ApiError, errorMessage, type Api } from '../../api/client';
import type { CsvMapping, EventPayload, ImportDetection, ImportFormat, ImportReport } from '../../api/contract';

export type ImportProgress = Omit<EventPayload<'import.progress'>, 'importId'>;
type FileSource = { uploadId: string } | { path: string };

export type ImportPhase = 'idle' | 'uploading' | 'detecting' | 'ready' | 'starting' | 'running' | 'finished';

interface ImportState {
  phase: ImportPhase;
  fileName: string | null;
  fileBytes: number;
  source: FileSource | null;
  /** Bytes sent so far while uploading (headless host only). */
  uploaded: number;
  detection: ImportDetection | null;
  /** `auto` follows the detection; anything else overrides it. */
  format: ImportFormat | 'auto';
  keepValid: boolean;
  csvMapping: CsvMapping | null;
  importId: number | null;
  progress: ImportProgress | null;
  report: ImportReport | null;
  error: string | null;
}

interface ImportActions {
  /** A file picked in the browser: uploaded to the headless host, or read by path in the desktop app. */
  chooseFile(file: File): Promise<void>;
  setFormat(format: ImportFormat | 'auto'): void;
  setKeepValid(keep: boolean): void;
  setCsvMapping(mapping: CsvMapping | null): void;
  start(): Promise<void>;
  cancel(): Promise<void>;
  reset(): void;
  /** Core events, routed by the dialog. */
  onProgress(p: EventPayload<'import.progress'>): void;
  onFinished(p: EventPayload<'import.finished'>): Promise<void>;
}

export type ImportStore = ImportState & ImportActions;

export interface ImportDeps {
  api: Pick<Api, 'invoke' | 'transportKind'>;
  /** Sends a file to the headless host; resolves to its upload id. */
  upload(file: File, onProgress: (sent: number) => void): Promise<string>;
  /** The desktop app's path for a picked file, when the shell provides one. */
  pathForFile(file: File): string | null;
}

const INITIAL: ImportState = {
  phase: 'idle',
  fileName: null,
  fileBytes: 0,
  source: null,
  uploaded: 0,
  detection: null,
  format: 'auto',
  keepValid: false,
  csvMapping: null,
  importId: null,
  progress: null,
  report: null,
  error: null,
};

/** The effective format: the override, or what was detected. */
export function effectiveFormat(s: Pick<ImportState, 'format' | 'detection'>): ImportFormat | null {
  return s.format === 'auto' ? (s.detection?.format ?? null) : s.format;
}

/** Why Start is not possible yet, or null. */
export function startBlocker(s: ImportState): string | null {
  if (!s.source || !s.detection) return 'Choose a file first.';
  const format = effectiveFormat(s);
  if (!format) return 'The format could not be detected: choose one.';
  if (format === 'csv_examples' && (!s.csvMapping?.prompt || !s.csvMapping.answer)) {
    return 'Choose the prompt and answer columns.';
  }
  return null;
}

export function createImportStore(deps: ImportDeps) {
  return create<ImportStore>()((set, get) => {
    /** Events that arrived before `imports.start` answered with the id. */
    const early = new Map<number, EventPayload<'import.progress'>>();

    async function loadReport(importId: number): Promise<void> {
      const report = await deps.api.invoke('imports.get', { importId });
      if (get().importId !== importId) return;
      if (report.status === 'running') return;
      set({ phase: 'finished', report, progress: progressOf(report) });
    }

    return {
      ...INITIAL,

      async chooseFile(file) {
        set({
          ...INITIAL,
          fileName: file.name,
          fileBytes: file.size,
          phase: deps.api.transportKind === 'http' ? 'uploading' : 'detecting',
        });
        try {
          let source: FileSource;
          if (deps.api.transportKind === 'http') {
            const uploadId = await deps.upload(file, (sent) => set({ uploaded: sent }));
            source = { uploadId };
          } else {
            const path = deps.pathForFile(file);
            if (!path)
              throw new ApiError(
                'bad_input',
                'This window cannot read the file path; open the file from the app menu instead.',
              );
            source = { path };
          }
          if (get().fileName !== file.name) return;
          set({ source, phase: 'detecting', uploaded: file.size });
          const detection = await deps.api.invoke('imports.detect', source);
          set({ detection, phase: 'ready', csvMapping: detection.suggestedCsvMapping, error: null });
        } catch (err) {
          set({ phase: 'idle', error: errorMessage(err) });
        }
      },

      setFormat(format) {
        const d = get().detection;
        const csv = format === 'csv_examples' || (format === 'auto' && d?.format === 'csv_examples');
        set({ format, csvMapping: csv ? (get().csvMapping ?? d?.suggestedCsvMapping ?? null) : get().csvMapping });
      },
      setKeepValid: (keepValid) => set({ keepValid }),
      setCsvMapping: (csvMapping) => set({ csvMapping }),

      async start() {
        const s = get();
        const blocker = startBlocker(s);
        if (blocker) {
          set({ error: blocker });
          return;
        }
        const format = effectiveFormat(s)!;
        set({
          phase: 'starting',
          error: null,
          progress: { bytesRead: 0, totalBytes: s.fileBytes, records: 0, rejected: 0, duplicates: 0 },
        });
        try {
          const { importId } = await deps.api.invoke('imports.start', {
            ...s.source!,
            format,
            keepValid: s.keepValid,
            ...(format === 'csv_examples' && s.csvMapping ? { csvMapping: s.csvMapping } : {}),
          });
          set({ importId, phase: 'running' });
          const seen = early.get(importId);
          if (seen) get().onProgress(seen);
          early.clear();
          // It may already be over (a small file): the report settles it either way.
          await loadReport(importId);
        } catch (err) {
          set({ phase: 'ready', progress: null, error: errorMessage(err) });
        }
      },

      async cancel() {
        const id = get().importId;
        if (id === null || get().phase !== 'running') return;
        try {
          await deps.api.invoke('imports.cancel', { importId: id });
        } catch (err) {
          set({ error: errorMessage(err) });
        }
      },

      reset: () => {
        early.clear();
        set({ ...INITIAL });
      },

      onProgress(p) {
        const s = get();
        if (s.phase === 'starting' && s.importId === null) {
          early.set(p.importId, p);
          return;
        }
        if (p.importId !== s.importId || s.phase !== 'running') return;
        const { importId: _id, ...progress } = p;
        set({ progress });
      },

      async onFinished(p) {
        if (p.importId !== get().importId) return;
        try {
          await loadReport(p.importId);
        } catch (err) {
          set({ phase: 'finished', error: errorMessage(err) });
        }
      },
    };
  });
}

function progressOf(r: ImportReport): ImportProgress {
  return {
    bytesRead: r.bytesRead,
    totalBytes: r.bytes,
    records: r.recordsOk + r.recordsDuplicate,
    rejected: r.recordsRejected,
    duplicates: r.recordsDuplicate,
  };
}

/** Streams a File to the headless host's upload route; the page's token cookie authenticates it. */
export function uploadWithXhr(file: File, onProgress: (sent: number) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/api/upload?name=${encodeURIComponent(file.name)}`);
    xhr.withCredentials = true;
    xhr.setRequestHeader('content-type', 'application/octet-stream');
    xhr.upload.onprogress = (e) => onProgress(e.loaded);
    xhr.onerror = () => reject(new ApiError('unreachable', 'The upload did not reach the workbench host.'));
    xhr.onload = () => {
      let body: unknown = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        // handled below
      }
      const b = body as { ok?: boolean; value?: { uploadId?: string }; error?: { message?: string } } | null;
      if (xhr.status === 200 && b?.ok && typeof b.value?.uploadId === 'string') resolve(b.value.uploadId);
      else if (xhr.status === 413) reject(new ApiError('limit_exceeded', 'The file is larger than the upload limit.'));
      else reject(new ApiError('bad_input', b?.error?.message ?? `The upload failed (${xhr.status}).`));
    };
    xhr.send(file);
  });
}

/** The desktop shell may expose a way to turn a picked File into its path (Electron's webUtils). */
function desktopPathForFile(file: File): string | null {
  const bridge = (globalThis as Record<string, unknown>).workbench as
    { pathForFile?: (f: File) => unknown } | undefined;
  const p = bridge?.pathForFile?.(file);
  return typeof p === 'string' && p ? p : null;
}

export const useImportStore = createImportStore({
  api: defaultApi,
  upload: uploadWithXhr,
  pathForFile: desktopPathForFile,
});
