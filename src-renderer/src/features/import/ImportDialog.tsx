import { useEffect, useRef, useState } from 'react';
import { IMPORT_FORMATS, IMPORT_FORMAT_LABELS, type ImportFormat } from '../../api/contract';
import { useApiEvent } from '../../api/useApiEvent';
import { Icon } from '../../components/Icon';
import { effectiveFormat, startBlocker, useImportStore } from './importStore';
import './import.css';

const ACCEPT = '.jsonl,.ndjson,.json,.csv,.log,.xml,.txt';

function bytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(1)} GB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  if (n >= 1024) return `${Math.round(n / 1024)} KB`;
  return `${n} B`;
}

function pct(done: number, total: number): number {
  return total > 0 ? Math.min(100, Math.round((100 * done) / total)) : 0;
}

/**
 * Import alerts, logs or fine-tuning examples: pick a file (uploaded to the headless host),
 * check the detected format or override it, choose all-or-nothing or keep-valid, watch the
 * progress, cancel, and read the report of rejected records with their line and byte offset.
 */
export function ImportDialog({ open, onClose }: { open: boolean; onClose(): void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const fileRef = useRef<HTMLInputElement>(null);
  const s = useImportStore();
  const { chooseFile, setFormat, setKeepValid, setCsvMapping, start, cancel, reset, onProgress, onFinished } =
    useImportStore.getState();

  useApiEvent('import.progress', onProgress);
  useApiEvent('import.finished', (p) => void onFinished(p));

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      if (useImportStore.getState().phase === 'finished') reset();
      dialog.showModal();
    }
    if (!open && dialog.open) dialog.close();
  }, [open, reset]);

  const running = s.phase === 'running' || s.phase === 'starting';
  const busy = running || s.phase === 'uploading' || s.phase === 'detecting';
  const format = effectiveFormat(s);
  const blocker = startBlocker(s);
  const columns = s.detection?.csvColumns ?? [];
  const p = s.progress;

  return (
    <dialog
      ref={ref}
      className="dialog import-dialog"
      aria-labelledby="import-title"
      onClose={onClose}
      onCancel={(e) => {
        // Esc while an import runs would hide it without stopping it: keep the dialog.
        if (running) e.preventDefault();
      }}
    >
      <div className="dialog-header">
        <h2 id="import-title">Import alerts, logs or examples</h2>
        <button
          type="button"
          className="btn btn-ghost btn-icon"
          onClick={onClose}
          aria-label="Close"
          disabled={running}
        >
          <Icon name="close" />
        </button>
      </div>

      <div className="dialog-body">
        <div className="field">
          <label htmlFor="import-file">File</label>
          <input
            ref={fileRef}
            id="import-file"
            type="file"
            className="input"
            accept={ACCEPT}
            disabled={busy}
            onChange={(e) => {
              const f = e.target.files?.[0];
              if (f) void chooseFile(f);
            }}
          />
          <p className="muted small">
            JSON Lines, JSON, CSV, syslog or Windows event XML: Defender, Sentinel, CloudTrail, Kubernetes audit, sshd,
            Windows events, or OpenAI / ShareGPT / Alpaca fine-tuning examples.
          </p>
        </div>

        {s.phase === 'uploading' ? (
          <div className="import-progress" aria-live="polite">
            <progress max={s.fileBytes || 1} value={s.uploaded} aria-label="Upload progress" />
            <span className="small">
              Uploading {s.fileName}: {bytes(s.uploaded)} of {bytes(s.fileBytes)}
            </span>
          </div>
        ) : null}
        {s.phase === 'detecting' ? <p className="muted">Reading the first records…</p> : null}

        {s.detection ? (
          <>
            <div className="field">
              <label htmlFor="import-format">Format</label>
              <select
                id="import-format"
                className="input select"
                value={s.format}
                disabled={running || s.phase === 'finished'}
                onChange={(e) => setFormat(e.target.value as ImportFormat | 'auto')}
              >
                <option value="auto">
                  Detected: {s.detection.format ? IMPORT_FORMAT_LABELS[s.detection.format] : 'unknown — choose one'}
                </option>
                {IMPORT_FORMATS.map((f) => (
                  <option key={f} value={f}>
                    {IMPORT_FORMAT_LABELS[f]}
                  </option>
                ))}
              </select>
              <p className="muted small" data-testid="import-detect-reason">
                {s.detection.fileName} · {bytes(s.detection.bytes)} · {s.detection.reason}
              </p>
            </div>

            {format === 'csv_examples' ? (
              <fieldset className="import-mapping" disabled={running}>
                <legend>CSV columns</legend>
                {(['prompt', 'answer', 'system'] as const).map((role) => (
                  <label key={role} className="import-mapping-row">
                    <span>
                      {role === 'system' ? 'System prompt (optional)' : role === 'prompt' ? 'Prompt' : 'Answer'}
                    </span>
                    <select
                      className="input select"
                      value={s.csvMapping?.[role] ?? ''}
                      onChange={(e) => {
                        const next = {
                          prompt: s.csvMapping?.prompt ?? '',
                          answer: s.csvMapping?.answer ?? '',
                          ...(s.csvMapping?.system ? { system: s.csvMapping.system } : {}),
                        };
                        if (role === 'system' && !e.target.value) delete next.system;
                        else next[role] = e.target.value;
                        setCsvMapping(next);
                      }}
                    >
                      <option value="">{role === 'system' ? 'None' : 'Choose a column'}</option>
                      {columns.map((c) => (
                        <option key={c} value={c}>
                          {c}
                        </option>
                      ))}
                    </select>
                  </label>
                ))}
              </fieldset>
            ) : null}

            {s.detection.preview.records.length ? (
              <div className="import-preview">
                <h3 className="small">First records</h3>
                <ul>
                  {s.detection.preview.records.map((r, i) => (
                    <li key={i}>
                      <span className="import-preview-title">{r.title}</span>
                      <span className="muted small">
                        {Object.entries(r.keyFields)
                          .filter(([k]) => ['time', 'host', 'user', 'sourceIp', 'rule', 'severity'].includes(k))
                          .map(([k, v]) => `${k}: ${v}`)
                          .join(' · ')}
                      </span>
                    </li>
                  ))}
                </ul>
              </div>
            ) : null}

            <label className="import-keep">
              <input
                type="checkbox"
                checked={s.keepValid}
                disabled={running || s.phase === 'finished'}
                onChange={(e) => setKeepValid(e.target.checked)}
              />
              Keep the valid records when some are rejected (otherwise nothing is imported)
            </label>
          </>
        ) : null}

        {p && (running || s.phase === 'finished') ? (
          <div className="import-progress" aria-live="polite" data-testid="import-progress">
            <progress max={p.totalBytes || 1} value={p.bytesRead} aria-label="Import progress" />
            <span className="small">
              {pct(p.bytesRead, p.totalBytes)}% · {bytes(p.bytesRead)} of {bytes(p.totalBytes)} ·{' '}
              {p.records.toLocaleString()} records
              {p.rejected ? ` · ${p.rejected.toLocaleString()} rejected` : ''}
              {p.duplicates ? ` · ${p.duplicates.toLocaleString()} already there` : ''}
            </span>
          </div>
        ) : null}

        {s.report ? (
          <section
            className={`import-report import-report-${s.report.status}`}
            aria-label="Import report"
            data-testid="import-report"
          >
            <p role="status">
              <strong>
                {s.report.status === 'done'
                  ? 'Imported'
                  : s.report.status === 'cancelled'
                    ? 'Cancelled'
                    : 'Not imported'}
              </strong>
              {' — '}
              {s.report.recordsOk.toLocaleString()} new, {s.report.recordsDuplicate.toLocaleString()} already there,{' '}
              {s.report.recordsRejected.toLocaleString()} rejected.
              {s.report.sameFileAs ? ` This file was imported before (import #${s.report.sameFileAs}).` : ''}
            </p>
            {s.report.error ? <p className="error-text">{s.report.error}</p> : null}
            {s.report.rejections.length ? (
              <div className="import-rejections">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Line</th>
                      <th scope="col">Byte</th>
                      <th scope="col">Reason</th>
                    </tr>
                  </thead>
                  <tbody>
                    {s.report.rejections.map((r, i) => (
                      <tr key={i}>
                        <td>{r.line}</td>
                        <td>{r.offset ?? '—'}</td>
                        <td>{r.reason}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
                {s.report.rejectionsTruncated ? (
                  <p className="muted small">
                    Only the first {s.report.rejections.length.toLocaleString()} rejected records are listed.
                  </p>
                ) : null}
              </div>
            ) : null}
          </section>
        ) : null}

        {s.error ? (
          <p className="error-text" role="alert">
            {s.error}
          </p>
        ) : null}
      </div>

      <div className="dialog-footer">
        {running ? (
          <button type="button" className="btn" onClick={() => void cancel()} disabled={s.phase !== 'running'}>
            Cancel import
          </button>
        ) : s.phase === 'finished' ? (
          <>
            <button
              type="button"
              className="btn"
              onClick={() => {
                reset();
                if (fileRef.current) fileRef.current.value = '';
              }}
            >
              Import another file
            </button>
            <button type="button" className="btn btn-primary" onClick={onClose}>
              Done
            </button>
          </>
        ) : (
          <>
            <button type="button" className="btn" onClick={onClose}>
              Close
            </button>
            <button
              type="button"
              className="btn btn-primary"
              onClick={() => void start()}
              disabled={!!blocker || busy}
              title={blocker ?? undefined}
            >
              Import
            </button>
          </>
        )}
      </div>
    </dialog>
  );
}

/** The Triage page's entry point. */
export function ImportButton() {
  const ref = useRef<HTMLButtonElement>(null);
  const [open, setOpen] = useState(false);
  return (
    <>
      <button
        ref={ref}
        type="button"
        className="btn btn-sm import-open"
        onClick={() => setOpen(true)}
        title="Import alerts, logs or fine-tuning examples from a file"
      >
        Import…
      </button>
      <ImportDialog
        open={open}
        onClose={() => {
          setOpen(false);
          ref.current?.focus();
        }}
      />
    </>
  );
}
