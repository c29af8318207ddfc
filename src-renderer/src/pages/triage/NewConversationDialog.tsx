import { useEffect, useRef, useState, type FormEvent } from 'react';
import { TASKS, type Task } from '../../api/contract';
import { Icon } from '../../components/Icon';
import { errorMessage } from '../../api/client';
import { TASK_LABEL } from '../../lib/format';

export function NewConversationDialog({
  open,
  onClose,
  onCreate,
}: {
  open: boolean;
  onClose(): void;
  onCreate(title: string, task: Task): Promise<void>;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const [title, setTitle] = useState('');
  const [task, setTask] = useState<Task>('triage');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      setTitle('');
      setTask('triage');
      setError(null);
      dialog.showModal();
    }
    if (!open && dialog.open) dialog.close();
  }, [open]);

  async function submit(e: FormEvent): Promise<void> {
    e.preventDefault();
    const t = title.trim();
    if (!t) {
      setError('Give the conversation a title, e.g. the alert or the question.');
      return;
    }
    setBusy(true);
    try {
      await onCreate(t, task);
      onClose();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <dialog ref={ref} className="dialog" aria-labelledby="new-conversation-title" onClose={onClose}>
      <form onSubmit={(e) => void submit(e)} noValidate>
        <div className="dialog-header">
          <h2 id="new-conversation-title">New conversation</h2>
          <button type="button" className="btn btn-ghost btn-icon" onClick={onClose} aria-label="Close">
            <Icon name="close" />
          </button>
        </div>
        <div className="dialog-body">
          <div className="field">
            <label htmlFor="new-conversation-name">Title</label>
            <input
              id="new-conversation-name"
              className="input"
              value={title}
              onChange={(e) => setTitle(e.target.value)}
              maxLength={300}
              placeholder="e.g. Impossible travel for j.doe from 203.0.113.7"
              aria-invalid={error ? true : undefined}
              aria-describedby={error ? 'new-conversation-error' : undefined}
              autoFocus
            />
          </div>
          <div className="field">
            <label htmlFor="new-conversation-task">Task</label>
            <select
              id="new-conversation-task"
              className="input select"
              value={task}
              onChange={(e) => setTask(e.target.value as Task)}
            >
              {TASKS.map((t) => (
                <option key={t} value={t}>
                  {TASK_LABEL[t]}
                </option>
              ))}
            </select>
          </div>
          {error ? (
            <p id="new-conversation-error" className="error-text" role="alert">
              {error}
            </p>
          ) : null}
        </div>
        <div className="dialog-footer">
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? 'Creating…' : 'Create'}
          </button>
        </div>
      </form>
    </dialog>
  );
}
