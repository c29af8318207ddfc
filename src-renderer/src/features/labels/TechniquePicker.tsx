import { useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';
import { api } from '../../api/client';
import type { AttackTechniqueSummary } from '../../api/contract';
import { Icon } from '../../components/Icon';

const SEARCH_DEBOUNCE_MS = 60;
const RESULT_LIMIT = 12;

// Names of techniques seen so far, so chips of a saved label show more than an id.
const known = new Map<string, AttackTechniqueSummary>();

export function techniqueLabel(t: Pick<AttackTechniqueSummary, 'name' | 'parentName'>): string {
  return t.parentName ? `${t.parentName}: ${t.name}` : t.name;
}

function useTechniqueNames(ids: readonly string[]): Map<string, AttackTechniqueSummary> {
  const [, bump] = useState(0);
  useEffect(() => {
    let live = true;
    const missing = ids.filter((id) => !known.has(id));
    if (!missing.length) return;
    void Promise.all(
      missing.map((id) =>
        api.invoke('attack.get', { id }).then(
          (t) => void known.set(t.id, t),
          () => undefined,
        ),
      ),
    ).then(() => live && bump((n) => n + 1));
    return () => {
      live = false;
    };
  }, [ids]);
  return known;
}

/**
 * ATT&CK technique picker: a combobox searching the shipped catalogue by id (T1059, T1059.001, a
 * prefix) or by name, with the picks as removable chips. Arrow keys move, Enter adds, Backspace on an
 * empty box removes the last chip, Esc closes the list.
 */
export function TechniquePicker({
  value,
  onChange,
  inputId,
}: {
  value: string[];
  onChange(next: string[]): void;
  inputId: string;
}) {
  const listId = useId();
  const [query, setQuery] = useState('');
  const [results, setResults] = useState<AttackTechniqueSummary[]>([]);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const seq = useRef(0);
  const names = useTechniqueNames(value);

  useEffect(() => {
    const q = query.trim();
    const mine = ++seq.current;
    if (!q) return;
    const t = setTimeout(() => {
      api.invoke('attack.search', { query: q, limit: RESULT_LIMIT }).then(
        (r) => {
          if (mine !== seq.current) return;
          for (const item of r.items) known.set(item.id, item);
          setResults(r.items);
          setActive(0);
          setOpen(true);
        },
        () => mine === seq.current && setResults([]),
      );
    }, SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(t);
  }, [query]);

  function add(t: AttackTechniqueSummary): void {
    if (!value.includes(t.id)) onChange([...value, t.id]);
    setQuery('');
    setResults([]);
    setOpen(false);
  }

  function onKeyDown(e: KeyboardEvent<HTMLInputElement>): void {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      if (!results.length) return;
      setOpen(true);
      setActive((a) => (a + (e.key === 'ArrowDown' ? 1 : results.length - 1)) % results.length);
    } else if (e.key === 'Enter' && !(e.ctrlKey || e.metaKey)) {
      // Enter picks; it never submits the form from here.
      e.preventDefault();
      const pick = open ? results[active] : undefined;
      if (pick) add(pick);
    } else if (e.key === 'Escape' && open) {
      // Close the list, not the dialog around it.
      e.preventDefault();
      e.stopPropagation();
      setOpen(false);
    } else if (e.key === 'Backspace' && query === '' && value.length) {
      onChange(value.slice(0, -1));
    }
  }

  const activeId = open && results[active] ? `${listId}-opt-${active}` : undefined;
  return (
    <div className="technique-picker">
      {value.length ? (
        <ul className="technique-chips" aria-label="Chosen techniques">
          {value.map((id) => {
            const t = names.get(id);
            return (
              <li key={id} className="technique-chip" title={t ? techniqueLabel(t) : id}>
                <span className="mono">{id}</span>
                {t ? <span className="technique-chip-name">{techniqueLabel(t)}</span> : null}
                <button
                  type="button"
                  className="technique-chip-remove"
                  aria-label={`Remove ${id}`}
                  onClick={() => onChange(value.filter((x) => x !== id))}
                >
                  <Icon name="close" size={10} />
                </button>
              </li>
            );
          })}
        </ul>
      ) : null}
      <div className="technique-combo">
        <Icon name="search" size={14} className="search-icon" />
        <input
          id={inputId}
          className="input search-input"
          role="combobox"
          aria-autocomplete="list"
          aria-expanded={open && results.length > 0}
          aria-controls={listId}
          aria-activedescendant={activeId}
          autoComplete="off"
          spellCheck={false}
          placeholder="Search by id (T1059, T1110.003) or name (password spray)"
          value={query}
          onChange={(e) => {
            setQuery(e.target.value);
            if (!e.target.value.trim()) {
              setResults([]);
              setOpen(false);
            }
          }}
          onKeyDown={onKeyDown}
          onBlur={() => setOpen(false)}
          onFocus={() => results.length && setOpen(true)}
        />
        {open && results.length ? (
          <ul id={listId} role="listbox" className="technique-results" aria-label="Matching techniques">
            {results.map((t, i) => (
              <li
                key={t.id}
                id={`${listId}-opt-${i}`}
                role="option"
                aria-selected={i === active}
                className={i === active ? 'technique-result active' : 'technique-result'}
                // mousedown, not click: the input must not blur (and close the list) first
                onMouseDown={(e) => {
                  e.preventDefault();
                  add(t);
                }}
                onMouseEnter={() => setActive(i)}
              >
                <span className="mono technique-result-id">{t.id}</span>
                <span className="technique-result-name">{techniqueLabel(t)}</span>
                <span className="technique-result-tactics">{t.tactics.map((x) => x.name).join(', ')}</span>
                {value.includes(t.id) ? <Icon name="check" size={12} /> : null}
              </li>
            ))}
          </ul>
        ) : null}
        {open && query.trim() && !results.length ? (
          <p className="technique-none muted small">No technique matches.</p>
        ) : null}
      </div>
    </div>
  );
}
