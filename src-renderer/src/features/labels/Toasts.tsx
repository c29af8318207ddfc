import { Icon } from '../../components/Icon';
import { useToastStore } from './toastStore';

/** The polite live region the labelling and review toasts appear in (bottom right). */
export function Toasts() {
  const toasts = useToastStore((s) => s.toasts);
  const dismiss = useToastStore((s) => s.dismiss);
  return (
    <div className="toasts" role="status" aria-live="polite">
      {toasts.map((t) => (
        <div key={t.id} className={`toast toast-${t.tone}`} data-testid="toast">
          <Icon name={t.tone === 'error' ? 'info' : 'check'} size={14} />
          <span className="toast-message">{t.message}</span>
          {t.action ? (
            <button
              type="button"
              className="btn btn-sm toast-action"
              onClick={() => {
                t.action!.run();
                dismiss(t.id);
              }}
            >
              {t.action.label}
              {t.action.keys ? <kbd>{t.action.keys}</kbd> : null}
            </button>
          ) : null}
          <button
            type="button"
            className="btn btn-ghost btn-icon btn-sm"
            aria-label="Dismiss"
            onClick={() => dismiss(t.id)}
          >
            <Icon name="close" size={12} />
          </button>
        </div>
      ))}
    </div>
  );
}
