import type { ReactNode } from 'react';
import { Icon, type IconName } from './Icon';

export interface EmptyStateProps {
  icon: IconName;
  title: string;
  children: ReactNode;
  /** What to do first, in order. */
  steps?: ReactNode[];
  actions?: ReactNode;
  /** Smaller variant for panes inside a page. */
  compact?: boolean;
}

export function EmptyState({ icon, title, children, steps, actions, compact }: EmptyStateProps) {
  return (
    <section className={compact ? 'empty compact' : 'empty'} aria-label={title}>
      <div className="empty-icon" aria-hidden="true">
        <Icon name={icon} size={compact ? 18 : 22} />
      </div>
      <h2 className="empty-title">{title}</h2>
      <div className="empty-body">{children}</div>
      {steps && steps.length ? (
        <ol className="empty-steps">
          {steps.map((s, i) => (
            <li key={i}>
              <span className="empty-step-n" aria-hidden="true">
                {i + 1}
              </span>
              <span>{s}</span>
            </li>
          ))}
        </ol>
      ) : null}
      {actions ? <div className="empty-actions">{actions}</div> : null}
    </section>
  );
}
