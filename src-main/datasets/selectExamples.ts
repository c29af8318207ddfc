import type { Db } from '../db/connection';
import type { DatasetFilter, Severity, SourceKind, Task, Verdict } from '../contract/index';
import { systemPromptFor } from './systemPrompts';
import type { Candidate, ChatExample, ChatMessage, ChatToolCall } from './types';

interface LabelRow {
  conversation_id: number;
  title: string;
  task: Task;
  source_kind: SourceKind;
  source_format: string | null;
  alert_payload: string | null;
  group_key: string | null;
  message_id: number | null;
  verdict: Verdict | null;
  threat_type: string | null;
  severity: Severity | null;
  techniques: string;
  quality: number | null;
  corrected_answer: string | null;
  labeller: string;
  labelled_at: number;
}

interface MessageRow {
  id: number;
  role: ChatMessage['role'];
  content: string;
  tool_calls: string | null;
  tool_call_id: string | null;
  weight: 0 | 1 | null;
  error: string | null;
}

/** Builds the WHERE clause for a filter: bound parameters only, column names from this file. */
export function filterSql(filter: DatasetFilter): { where: string; params: unknown[] } {
  const where = ["r.status = 'approved'", 'c.task = ?'];
  const params: unknown[] = [filter.task];
  const anyOf = (column: string, values: readonly unknown[] | undefined) => {
    if (!values?.length) return;
    where.push(`${column} IN (${values.map(() => '?').join(', ')})`);
    params.push(...values);
  };
  anyOf('l.verdict', filter.verdicts);
  anyOf('l.threat_type', filter.threatTypes);
  anyOf('l.severity', filter.severities);
  anyOf('l.labeller', filter.labellers);
  anyOf('c.source_kind', filter.sourceKinds);
  if (filter.technique) {
    where.push("EXISTS (SELECT 1 FROM json_each(l.techniques) t WHERE t.value = ? OR t.value LIKE ? || '.%')");
    params.push(filter.technique, filter.technique);
  }
  if (filter.qualityMin !== undefined) {
    where.push('l.quality >= ?');
    params.push(filter.qualityMin);
  }
  if (filter.from !== undefined) {
    where.push('l.created_at >= ?');
    params.push(filter.from);
  }
  if (filter.to !== undefined) {
    where.push('l.created_at <= ?');
    params.push(filter.to);
  }
  return { where: where.join(' AND '), params };
}

export function countApproved(db: Db, filter: DatasetFilter): number {
  const { where, params } = filterSql(filter);
  const row = db
    .prepare(
      `SELECT COUNT(*) AS n FROM training_labels l JOIN reviews r ON r.label_id = l.id JOIN conversations c ON c.id = l.conversation_id WHERE ${where}`,
    )
    .get(...params) as { n: number };
  return row.n;
}

export interface SelectOptions {
  systemPrompt?: string | undefined;
  labelHints: boolean;
}

/**
 * Step 1: approved examples matching the filter, each assembled into a chat example — the task's
 * analyst prompt, the conversation's user turns (the first carrying the alert as context), and the
 * corrected answer (or the labelled / last assistant message) as the final assistant turn.
 */
export function selectExamples(db: Db, filter: DatasetFilter, opts: SelectOptions): Candidate[] {
  const { where, params } = filterSql(filter);
  const rows = db
    .prepare(
      `SELECT c.id AS conversation_id, c.title, c.task, c.source_kind, c.source_format, c.alert_payload, c.group_key,
              l.message_id, l.verdict, l.threat_type, l.severity, l.techniques, l.quality, l.corrected_answer, l.labeller,
              l.created_at AS labelled_at
         FROM training_labels l
         JOIN reviews r ON r.label_id = l.id
         JOIN conversations c ON c.id = l.conversation_id
        WHERE ${where}
        ORDER BY c.id`,
    )
    .all(...params) as LabelRow[];
  const messagesOf = db.prepare(
    'SELECT id, role, content, tool_calls, tool_call_id, weight, error FROM messages WHERE conversation_id = ? ORDER BY seq',
  );
  return rows.map((row) => {
    const techniques = parseStringArray(row.techniques);
    const system = systemPromptFor(row.task, {
      override: opts.systemPrompt,
      hints: opts.labelHints ? { threatType: row.threat_type, techniques } : null,
    });
    const messages = messagesOf.all(row.conversation_id) as MessageRow[];
    return {
      conversationId: row.conversation_id,
      title: row.title,
      task: row.task,
      groupKey: row.group_key ?? `conversation:${row.conversation_id}`,
      labelledAt: row.labelled_at,
      labels: {
        verdict: row.verdict,
        threatType: row.threat_type,
        severity: row.severity,
        techniques,
        quality: row.quality,
        labeller: row.labeller,
        sourceKind: row.source_kind,
      },
      example: assembleExample(row, messages, system),
    };
  });
}

function parseStringArray(json: string): string[] {
  try {
    const v = JSON.parse(json) as unknown;
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

const DEFAULT_QUESTION: Record<Task, string> = {
  triage: 'Triage this alert.',
  incident: 'Help me investigate this incident.',
  audit_log: 'Review these audit log entries.',
  code_review: 'Review this for security issues.',
  chat: 'What do you make of this?',
};

function alertContext(row: LabelRow): string | null {
  if (!row.alert_payload) return null;
  let compact = row.alert_payload;
  try {
    compact = JSON.stringify(JSON.parse(row.alert_payload));
  } catch {
    // stored rows are json_valid; keep the text as it is if it ever is not
  }
  const source = row.source_format ? ` (${row.source_format})` : '';
  return `Alert${source}: ${row.title}\nEvent:\n\`\`\`json\n${compact}\n\`\`\``;
}

export function assembleExample(row: LabelRow, rows: MessageRow[], system: string): ChatExample {
  // Failed generations are not training material; our own system prompt replaces any stored one.
  const usable = rows.filter(
    (m) => m.role !== 'system' && !(m.role === 'assistant' && m.error !== null && m.id !== row.message_id),
  );
  let end = usable.length - 1;
  const labelled = row.message_id === null ? -1 : usable.findIndex((m) => m.id === row.message_id);
  if (labelled >= 0) end = labelled;
  else {
    for (let i = usable.length - 1; i >= 0; i--) {
      if (usable[i]!.role === 'assistant') {
        end = i;
        break;
      }
    }
  }
  const turns: ChatMessage[] = usable.slice(0, end + 1).map(toChatMessage);
  const corrected = row.corrected_answer?.trim() ? row.corrected_answer : null;
  if (corrected !== null) {
    const last = turns[turns.length - 1];
    if (last?.role === 'assistant') turns[turns.length - 1] = { role: 'assistant', content: corrected };
    else turns.push({ role: 'assistant', content: corrected });
  }
  const context = alertContext(row);
  const firstUser = turns.findIndex((m) => m.role === 'user');
  if (firstUser === -1) {
    turns.unshift({
      role: 'user',
      content: context ? `${context}\n\n${DEFAULT_QUESTION[row.task]}` : DEFAULT_QUESTION[row.task],
    });
  } else if (context) {
    const m = turns[firstUser]!;
    const text = m.content ?? '';
    // A chat started from an alert may already quote its event; do not repeat it.
    const compact = context.split('\n')[3] ?? context;
    if (!text.includes(compact)) turns[firstUser] = { ...m, content: `${context}\n\n${text}` };
  }
  return { messages: [{ role: 'system', content: system }, ...turns] };
}

function toChatMessage(m: MessageRow): ChatMessage {
  const out: ChatMessage = { role: m.role };
  const calls = m.tool_calls ? (JSON.parse(m.tool_calls) as unknown) : null;
  if (m.role === 'assistant' && Array.isArray(calls) && calls.length) {
    out.content = m.content ? m.content : null;
    out.tool_calls = calls as ChatToolCall[];
  } else {
    out.content = m.content;
  }
  if (m.role === 'tool' && m.tool_call_id !== null) out.tool_call_id = m.tool_call_id;
  if (m.role === 'assistant' && m.weight !== null) out.weight = m.weight;
  return out;
}
