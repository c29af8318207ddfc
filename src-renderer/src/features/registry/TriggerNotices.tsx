import { useEffect } from 'react';
import { useApiEvent } from '../../api/useApiEvent';
import { formatRelative } from '../../lib/format';
import { useRegistryStore } from './registryStore';

/** Retraining suggestions and regression alerts, newest first, until dismissed. */
export function TriggerNotices({ compact = false }: { compact?: boolean }) {
  const notices = useRegistryStore((s) => s.notices);
  const trainingAvailable = useRegistryStore((s) => s.trainingAvailable);
  const checkMessage = useRegistryStore((s) => s.checkMessage);
  const { loadNotices, check, dismiss } = useRegistryStore.getState();
  useEffect(() => {
    void loadNotices();
  }, [loadNotices]);
  useApiEvent('triggers.raised', () => void loadNotices());
  if (compact && notices.length === 0) return null;
  return (
    <section className="card reg-notices" aria-labelledby="reg-notices-title" data-testid="trigger-notices">
      <div className="reg-section-header">
        <h2 id="reg-notices-title" className="card-title">
          Retraining suggestions and alerts
        </h2>
        <span className="reg-header-actions">
          {checkMessage ? <span className="muted small">{checkMessage}</span> : null}
          <button type="button" className="btn btn-sm" onClick={() => void check()}>
            Check now
          </button>
        </span>
      </div>
      {notices.length === 0 ? (
        <p className="muted small">
          Nothing to act on.{' '}
          {trainingAvailable ? '' : 'Automatic training needs the local trainer, which this build does not have.'}
        </p>
      ) : (
        <ul className="reg-notice-list">
          {notices.map((n) => (
            <li
              key={n.id}
              className={n.kind === 'alert' ? 'reg-notice alert' : 'reg-notice'}
              role={n.kind === 'alert' ? 'alert' : undefined}
            >
              <span className={n.kind === 'alert' ? 'chip chip-xs chip-warn' : 'chip chip-xs'}>{n.kind}</span>
              <span className="reg-notice-text">{n.message}</span>
              <span className="muted small">{formatRelative(n.createdAt)}</span>
              <button type="button" className="btn btn-sm btn-ghost" onClick={() => void dismiss(n.id)}>
                Dismiss
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
