import type { Db } from '../db/connection';
import type { ReviewState, ReviewStatus, Severity, TrainingLabel, Verdict } from '../contract/index';

export interface LabelRow {
  id: number;
  conversation_id: number;
  message_id: number | null;
  verdict: Verdict | null;
  threat_type: string | null;
  severity: Severity | null;
  techniques: string;
  quality: number | null;
  notes: string;
  corrected_answer: string | null;
  labeller: string;
  created_at: number;
  updated_at: number;
}

export interface ReviewRow {
  id: number;
  label_id: number;
  status: ReviewStatus;
  reviewer: string | null;
  reason: string | null;
  decided_at: number | null;
  updated_at: number;
}

export function parseTechniques(json: string): string[] {
  try {
    const v = JSON.parse(json) as unknown;
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

export function toLabel(r: LabelRow): TrainingLabel {
  return {
    id: r.id,
    conversationId: r.conversation_id,
    messageId: r.message_id,
    verdict: r.verdict,
    threatType: r.threat_type,
    severity: r.severity,
    techniques: parseTechniques(r.techniques),
    quality: r.quality,
    notes: r.notes,
    correctedAnswer: r.corrected_answer,
    labeller: r.labeller,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export function toReviewState(r: ReviewRow): ReviewState {
  return { status: r.status, reviewer: r.reviewer, reason: r.reason, decidedAt: r.decided_at, updatedAt: r.updated_at };
}

export function getLabelRow(db: Db, conversationId: number): LabelRow | null {
  return (
    (db.prepare('SELECT * FROM training_labels WHERE conversation_id = ?').get(conversationId) as
      LabelRow | undefined) ?? null
  );
}

export function getLabelRowById(db: Db, labelId: number): LabelRow | null {
  return (db.prepare('SELECT * FROM training_labels WHERE id = ?').get(labelId) as LabelRow | undefined) ?? null;
}

export function getReviewRow(db: Db, labelId: number): ReviewRow | null {
  return (db.prepare('SELECT * FROM reviews WHERE label_id = ?').get(labelId) as ReviewRow | undefined) ?? null;
}

export interface LabelValues {
  conversationId: number;
  messageId: number | null;
  verdict: Verdict;
  threatType: string;
  severity: Severity;
  techniques: string[];
  quality: number;
  notes: string;
  correctedAnswer: string | null;
  labeller: string;
}

/** Insert or replace the conversation's one label (created_at kept); returns its id. */
export function upsertLabel(db: Db, v: LabelValues, at: number): number {
  const row = db
    .prepare(
      `INSERT INTO training_labels (conversation_id, message_id, verdict, threat_type, severity, techniques, quality, notes,
         corrected_answer, labeller, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(conversation_id) DO UPDATE SET
         message_id = excluded.message_id, verdict = excluded.verdict, threat_type = excluded.threat_type,
         severity = excluded.severity, techniques = excluded.techniques, quality = excluded.quality,
         notes = excluded.notes, corrected_answer = excluded.corrected_answer, labeller = excluded.labeller,
         updated_at = excluded.updated_at
       RETURNING id`,
    )
    .get(
      v.conversationId,
      v.messageId,
      v.verdict,
      v.threatType,
      v.severity,
      JSON.stringify(v.techniques),
      v.quality,
      v.notes,
      v.correctedAnswer,
      v.labeller,
      at,
      at,
    ) as { id: number };
  return row.id;
}

export function insertPendingReview(db: Db, labelId: number, at: number): void {
  db.prepare("INSERT INTO reviews (label_id, status, updated_at) VALUES (?, 'pending', ?)").run(labelId, at);
}

/** Back to pending: the earlier decision no longer applies to the edited label. */
export function requeueReview(db: Db, reviewId: number, at: number): void {
  db.prepare(
    "UPDATE reviews SET status = 'pending', reviewer = NULL, reason = NULL, decided_at = NULL, updated_at = ? WHERE id = ?",
  ).run(at, reviewId);
}

export function touchReview(db: Db, reviewId: number, at: number): void {
  db.prepare('UPDATE reviews SET updated_at = ? WHERE id = ?').run(at, reviewId);
}

interface AnswerMessageRow {
  id: number;
  seq: number;
  role: string;
  content: string;
}

/**
 * The message whose content is the example's assistant turn: the chosen message when it is the
 * model's, else the last assistant message at or before it (or in the whole conversation).
 */
export function answerMessage(db: Db, conversationId: number, messageId: number | null): AnswerMessageRow | null {
  if (messageId !== null) {
    const chosen = db
      .prepare('SELECT id, seq, role, content FROM messages WHERE id = ? AND conversation_id = ?')
      .get(messageId, conversationId) as AnswerMessageRow | undefined;
    if (!chosen) return null;
    if (chosen.role === 'assistant') return chosen;
    return (
      (db
        .prepare(
          "SELECT id, seq, role, content FROM messages WHERE conversation_id = ? AND role = 'assistant' AND seq <= ? ORDER BY seq DESC LIMIT 1",
        )
        .get(conversationId, chosen.seq) as AnswerMessageRow | undefined) ?? null
    );
  }
  return (
    (db
      .prepare(
        "SELECT id, seq, role, content FROM messages WHERE conversation_id = ? AND role = 'assistant' ORDER BY seq DESC LIMIT 1",
      )
      .get(conversationId) as AnswerMessageRow | undefined) ?? null
  );
}

export function messageBelongs(db: Db, conversationId: number, messageId: number): boolean {
  return !!db.prepare('SELECT 1 FROM messages WHERE id = ? AND conversation_id = ?').get(messageId, conversationId);
}

export function conversationExists(db: Db, conversationId: number): boolean {
  return !!db.prepare('SELECT 1 FROM conversations WHERE id = ?').get(conversationId);
}
