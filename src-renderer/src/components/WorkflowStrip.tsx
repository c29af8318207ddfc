import { Link } from 'react-router';
import { PAGES, type PageKey } from '../shell/pages';
import { Icon } from './Icon';

/** The loop the product exists for, with the current page highlighted. */
export function WorkflowStrip({ current }: { current: PageKey }) {
  const steps = PAGES.filter((p) => p.inLoop);
  return (
    <ol className="workflow" aria-label="Where this page sits in the workflow">
      {steps.map((p, i) => (
        <li key={p.key} className={p.key === current ? 'workflow-step current' : 'workflow-step'}>
          {p.key === current ? (
            <span aria-current="step">
              <Icon name={p.icon} size={14} />
              {p.label}
            </span>
          ) : (
            <Link to={p.path}>
              <Icon name={p.icon} size={14} />
              {p.label}
            </Link>
          )}
          {i < steps.length - 1 ? <Icon name="arrowRight" size={12} className="workflow-arrow" /> : null}
        </li>
      ))}
    </ol>
  );
}
