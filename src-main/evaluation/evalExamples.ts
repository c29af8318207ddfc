import {
  WorkbenchError,
  type DatasetExampleLabels,
  type EvaluationExpected,
  type EvaluationSource,
} from '../contract/index';
import type { Db } from '../db/connection';
import { systemTurn } from '../chat/buildTurns';
import { selectExamples } from '../datasets/selectExamples';
import type { ChatTurn } from '../runtime/provider';

/** One held-out example: what the model is asked, and the labels its answer is scored against. */
export interface EvalExample {
  /** `de:<dataset example id>` or `conv:<conversation id>`: stable across resumes. */
  ref: string;
  turns: ChatTurn[];
  expected: EvaluationExpected;
}

interface StoredMessage {
  role: string;
  content?: string | null;
}

function expectedOf(labels: Pick<DatasetExampleLabels, 'verdict' | 'severity' | 'threatType' | 'techniques'>) {
  return {
    verdict: labels.verdict ?? null,
    severity: labels.severity ?? null,
    threatType: labels.threatType ?? null,
    techniques: Array.isArray(labels.techniques) ? labels.techniques.filter((t) => typeof t === 'string') : [],
  };
}

/**
 * The prompt for one example: its system prompt (the one a fine-tuned model was trained with) asking for
 * the structured answer, then its turns up to, not including, the labelled answer.
 */
export function promptTurns(messages: readonly StoredMessage[]): ChatTurn[] {
  let end = messages.length;
  while (end > 0 && messages[end - 1]!.role === 'assistant') end--;
  const body = messages.slice(0, end);
  const system = body.find((m) => m.role === 'system')?.content ?? '';
  const turns: ChatTurn[] = [systemTurn(system, null, true)];
  for (const m of body) {
    if (m.role !== 'user' && m.role !== 'assistant') continue;
    if (!m.content?.trim()) continue;
    turns.push({ role: m.role, content: m.content });
  }
  if (turns.length === 1) turns.push({ role: 'user', content: 'Triage this alert.' });
  return turns;
}

/** The examples of a source in a stable order (id), at most `limit`. */
export function loadExamples(db: Db, source: EvaluationSource, limit?: number): EvalExample[] {
  if (source.kind === 'dataset') {
    const exists = db.prepare('SELECT 1 FROM dataset_versions WHERE id = ?').get(source.versionId);
    if (!exists) throw new WorkbenchError('not_found', `Dataset version ${source.versionId} does not exist.`);
    const rows = db
      .prepare(
        `SELECT id, example, labels FROM dataset_examples WHERE dataset_version_id = ? AND split = ? ORDER BY id ${
          limit ? 'LIMIT ?' : ''
        }`,
      )
      .all(...(limit ? [source.versionId, source.split, limit] : [source.versionId, source.split])) as {
      id: number;
      example: string;
      labels: string;
    }[];
    return rows.map((r) => {
      const example = JSON.parse(r.example) as { messages: StoredMessage[] };
      return {
        ref: `de:${r.id}`,
        turns: promptTurns(example.messages),
        expected: expectedOf(JSON.parse(r.labels) as DatasetExampleLabels),
      };
    });
  }
  const candidates = selectExamples(db, source.filter, { labelHints: false });
  return candidates.slice(0, limit ?? candidates.length).map((c) => ({
    ref: `conv:${c.conversationId}`,
    turns: promptTurns(c.example.messages),
    expected: expectedOf(c.labels),
  }));
}

export function countExamples(db: Db, source: EvaluationSource, limit?: number): number {
  if (source.kind === 'dataset') {
    if (!db.prepare('SELECT 1 FROM dataset_versions WHERE id = ?').get(source.versionId)) {
      throw new WorkbenchError('not_found', `Dataset version ${source.versionId} does not exist.`);
    }
    const n = (
      db
        .prepare('SELECT COUNT(*) AS n FROM dataset_examples WHERE dataset_version_id = ? AND split = ?')
        .get(source.versionId, source.split) as { n: number }
    ).n;
    return limit ? Math.min(limit, n) : n;
  }
  return loadExamples(db, source, limit).length;
}
