import { useEffect, useRef, useState } from 'react';
import { api, type ConnectionState } from '../api/client';
import { useApiEvent, useConnection } from '../api/useApiEvent';
import { useAppInfoStore } from '../stores/appInfoStore';
import { TASK_LABEL, plural } from '../lib/format';

const CONNECTION_LABEL: Record<ConnectionState, string> = {
  connecting: 'Connecting…',
  open: 'Live',
  reconnecting: 'Reconnecting…',
};

export function StatusBar({ pendingG }: { pendingG: boolean }) {
  const info = useAppInfoStore((s) => s.info);
  const error = useAppInfoStore((s) => s.error);
  const load = useAppInfoStore((s) => s.load);
  const [connection, setConnection] = useState<ConnectionState>('connecting');
  const reloadTimer = useRef<ReturnType<typeof setTimeout> | null>(null);

  // Several events arrive together after one action; one reload covers them.
  const scheduleReload = () => {
    if (reloadTimer.current) clearTimeout(reloadTimer.current);
    reloadTimer.current = setTimeout(() => void load(), 150);
  };
  useEffect(() => {
    void load();
    return () => {
      if (reloadTimer.current) clearTimeout(reloadTimer.current);
    };
  }, [load]);
  useApiEvent('conversations.changed', scheduleReload);
  useApiEvent('audit.appended', scheduleReload);
  useApiEvent('settings.changed', scheduleReload);
  const lastConnection = useRef<ConnectionState>('connecting');
  useConnection((state) => {
    // Back after a drop: counts may have changed while events were missed.
    if (state === 'open' && lastConnection.current === 'reconnecting') scheduleReload();
    lastConnection.current = state;
    setConnection(state);
  });

  const models = info?.activeModels ?? [];
  return (
    <footer className="statusbar" aria-label="Status">
      <span
        className={`status-item status-conn conn-${connection}`}
        title={`Transport: ${api.transportKind.toUpperCase()}`}
      >
        <span className="dot" aria-hidden="true" />
        {CONNECTION_LABEL[connection]}
      </span>
      {error ? (
        <span className="status-item status-error" role="alert">
          {error}
        </span>
      ) : null}
      {info ? (
        <>
          <span className="status-item status-datadir" title={info.dataDir}>
            <span className="status-key">Data</span>
            <span className="mono status-path">
              <bdi dir="ltr">{info.dataDir}</bdi>
            </span>
          </span>
          <span className="status-item status-models">
            <span className="status-key">Active model</span>
            {models.length === 0 ? (
              <span className="status-muted">none set</span>
            ) : (
              models.map((m) => (
                <span key={m.task} className="status-model" title={TASK_LABEL[m.task]}>
                  {m.task}: <span className="mono">{m.modelName}</span>
                </span>
              ))
            )}
          </span>
        </>
      ) : null}
      <span className="status-spacer" />
      {pendingG ? (
        <span className="status-item status-pending" aria-live="polite">
          <kbd>g</kbd> then t r d j m e s
        </span>
      ) : null}
      {info ? (
        <span className="status-item status-counts">
          <span>{plural(info.counts.conversations, 'conversation')}</span>
          <span>{info.counts.pendingReviews.toLocaleString()} pending review</span>
          <span>{plural(info.counts.models, 'model')}</span>
        </span>
      ) : null}
      {info ? <span className="status-item status-muted">v{info.version}</span> : null}
    </footer>
  );
}
