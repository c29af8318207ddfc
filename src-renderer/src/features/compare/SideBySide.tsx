import { useEffect, useId } from 'react';
import { useApiEvent } from '../../api/useApiEvent';
import { TASKS, type AbVote, type Side, type Task } from '../../api/contract';
import { TASK_LABEL } from '../../lib/format';
import { useCompareStore } from './compareStore';
import './compare.css';

const VOTES: { vote: AbVote; label: string }[] = [
  { vote: 'a', label: 'A is better' },
  { vote: 'b', label: 'B is better' },
  { vote: 'tie', label: 'Tie' },
  { vote: 'both_bad', label: 'Both bad' },
];

function pct(v: number | null): string {
  return v === null ? '—' : `${(v * 100).toFixed(0)}%`;
}

function Column({ side }: { side: Side }) {
  const current = useCompareStore((s) => s.current);
  const answer = useCompareStore((s) => s.answers[side]);
  const revealed = useCompareStore((s) => s.revealed);
  const info = (revealed ?? current?.sides)?.find((x) => x.side === side);
  const name = info?.modelName ?? 'Hidden until you vote';
  return (
    <section className="cmp-column" aria-label={`Answer ${side.toUpperCase()}`} data-testid={`answer-${side}`}>
      <header className="cmp-column-header">
        <span className="cmp-side">{side.toUpperCase()}</span>
        <span className={info?.modelName ? 'cmp-model' : 'cmp-model hidden'} data-testid={`model-${side}`}>
          {name}
        </span>
        <span className="muted small">
          {answer.done
            ? `${answer.latencyMs ?? '?'} ms · ${answer.completionTokens ?? '?'} tokens`
            : current
              ? 'answering…'
              : ''}
        </span>
      </header>
      <pre className="cmp-text" aria-live="polite">
        {answer.text}
        {current && !answer.done ? <span className="cmp-caret" aria-hidden="true" /> : null}
      </pre>
      {answer.error ? <p className="error-text small">{answer.error}</p> : null}
    </section>
  );
}

function Stats() {
  const stats = useCompareStore((s) => s.stats);
  if (!stats || stats.total === 0) return <p className="muted small">No votes yet.</p>;
  return (
    <div className="cmp-stats" data-testid="ab-stats">
      <table className="cmp-table">
        <caption>Win rate over decisive votes (ties and “both bad” decide nothing), with a 95% Wilson interval</caption>
        <thead>
          <tr>
            <th scope="col">Pair</th>
            <th scope="col">Wins</th>
            <th scope="col">Ties</th>
            <th scope="col">Both bad</th>
            <th scope="col">Win rate of the first</th>
          </tr>
        </thead>
        <tbody>
          {stats.pairs.map((p) => (
            <tr key={`${p.modelX.id}-${p.modelY.id}`}>
              <th scope="row">
                {p.modelX.name} vs {p.modelY.name}
              </th>
              <td>
                {p.xWins} – {p.yWins}
              </td>
              <td>{p.ties}</td>
              <td>{p.bothBad}</td>
              <td>
                {pct(p.winRateX)}
                {p.interval ? (
                  <span className="muted small">
                    {' '}
                    (95%: {pct(p.interval.low)}–{pct(p.interval.high)})
                  </span>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <table className="cmp-table">
        <caption>Votes per analyst</caption>
        <thead>
          <tr>
            <th scope="col">Analyst</th>
            <th scope="col">Votes</th>
            <th scope="col">A</th>
            <th scope="col">B</th>
            <th scope="col">Tie</th>
            <th scope="col">Both bad</th>
          </tr>
        </thead>
        <tbody>
          {stats.analysts.map((a) => (
            <tr key={a.analyst}>
              <th scope="row">{a.analyst}</th>
              <td>{a.votes}</td>
              <td>{a.a}</td>
              <td>{a.b}</td>
              <td>{a.tie}</td>
              <td>{a.bothBad}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** One prompt, two models streaming side by side; blind A/B hides the names until the vote. */
export function SideBySide() {
  const id = useId();
  const s = useCompareStore();
  useEffect(() => {
    void useCompareStore.getState().load();
  }, []);
  useApiEvent('compare.token', s.onToken);
  useApiEvent('compare.done', s.onDone);
  useApiEvent('models.changed', () => void useCompareStore.getState().load());
  const bothDone = s.answers.a.done && s.answers.b.done;
  const running = s.current !== null && !bothDone;
  return (
    <section className="card cmp" aria-labelledby={`${id}-title`} data-testid="side-by-side">
      <h2 id={`${id}-title`} className="card-title">
        Side by side
      </h2>
      <form
        className="cmp-form"
        onSubmit={(e) => {
          e.preventDefault();
          void s.start();
        }}
      >
        <label className="field cmp-prompt">
          <span>Alert or prompt</span>
          <textarea
            className="input"
            rows={3}
            value={s.prompt}
            placeholder="Paste an alert or ask a question; both models get the same system prompt for the task."
            onChange={(e) => s.set({ prompt: e.target.value })}
          />
        </label>
        <div className="cmp-form-row">
          <label className="field">
            <span>First model</span>
            <select
              className="input select"
              value={s.modelA ?? ''}
              onChange={(e) => s.set({ modelA: Number(e.target.value) })}
            >
              {s.models.map((m) => (
                <option key={m.id} value={m.id}>
                  {m.name}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span>Second model</span>
            <select
              className="input select"
              value={s.modelB ?? ''}
              onChange={(e) => s.set({ modelB: Number(e.target.value) })}
            >
              {s.models.map((m) => (
                <option key={m.id} value={m.id}>
                  {m.name}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span>Task</span>
            <select className="input select" value={s.task} onChange={(e) => s.set({ task: e.target.value as Task })}>
              {TASKS.map((t) => (
                <option key={t} value={t}>
                  {TASK_LABEL[t]}
                </option>
              ))}
            </select>
          </label>
          <label className="cmp-check">
            <input type="checkbox" checked={s.blind} onChange={(e) => s.set({ blind: e.target.checked })} /> Blind A/B
          </label>
          <label className="cmp-check">
            <input type="checkbox" checked={s.structured} onChange={(e) => s.set({ structured: e.target.checked })} />{' '}
            Structured answer
          </label>
          <button
            type="submit"
            className="btn btn-primary"
            disabled={
              s.busy || running || !s.prompt.trim() || s.modelA === null || s.modelB === null || s.modelA === s.modelB
            }
          >
            Compare
          </button>
          {running ? (
            <button type="button" className="btn" onClick={() => void s.stop()}>
              Stop
            </button>
          ) : null}
        </div>
      </form>
      {s.error ? (
        <p className="error-text" role="alert">
          {s.error}
        </p>
      ) : null}
      {s.current ? (
        <>
          <div className="cmp-columns">
            <Column side="a" />
            <Column side="b" />
          </div>
          <div className="cmp-vote" role="group" aria-label="Vote">
            {s.vote ? (
              <p className="cmp-voted" data-testid="vote-result">
                Vote stored: <strong>{VOTES.find((v) => v.vote === s.vote)?.label}</strong>.{' '}
                {s.revealed ? `A was ${s.revealed[0].modelName}, B was ${s.revealed[1].modelName}.` : null}
              </p>
            ) : (
              <>
                <span className="muted small">
                  {bothDone ? 'Which answer is better?' : 'Vote once both answers are in.'}
                </span>
                {VOTES.map((v) => (
                  <button
                    key={v.vote}
                    type="button"
                    className="btn btn-sm"
                    disabled={!bothDone}
                    onClick={() => void s.castVote(v.vote)}
                  >
                    {v.label}
                  </button>
                ))}
              </>
            )}
          </div>
        </>
      ) : null}
      <Stats />
    </section>
  );
}
