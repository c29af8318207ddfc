import type { z } from 'zod';
import {
  WorkbenchError,
  type SaveLabelRequest,
  type SaveLabelResult,
  type QueueChange,
  type ReviewStatus,
} from '../contract/index';
import type { Db } from '../db/connection';
import type { AttackCatalogue } from '../attack/attackCatalogue';
import {
  answerMessage,
  conversationExists,
  getLabelRowById,
  getReviewRow,
  insertPendingReview,
  messageBelongs,
  requeueReview,
  toLabel,
  toReviewState,
  touchReview,
  upsertLabel,
} from './labelsRepo';

export type SaveLabelInput = z.output<typeof SaveLabelRequest>;

/** Threat types are free text; one spelling per class keeps coverage counts meaningful. */
export function normaliseThreatType(s: string): string {
  return s.trim().replace(/\s+/g, ' ').toLowerCase();
}

/** Unknown or deprecated ids, in a sentence; null when all are fine. */
export function techniqueProblem(catalogue: AttackCatalogue, ids: readonly string[]): string | null {
  const unknown = ids.filter((id) => !catalogue.has(id));
  if (unknown.length) {
    return `Not in the ATT&CK v${catalogue.version} catalogue: ${unknown.join(', ')}. Pick techniques from the list.`;
  }
  const deprecated = ids.filter((id) => catalogue.get(id)?.deprecated);
  if (deprecated.length) {
    return `Deprecated in ATT&CK v${catalogue.version}: ${deprecated.join(', ')}. Pick the technique that replaced it.`;
  }
  return null;
}

const QUEUE_MESSAGES: Record<QueueChange, string> = {
  added: 'Added to the pending review queue.',
  requeued: 'Label updated; the example is back in the pending review queue.',
  updated: 'Label updated; the example stays in the pending review queue.',
};

/**
 * Validates, then in one transaction upserts the conversation's label and puts the example in the
 * pending review queue (a new review, or a decided one sent back). Nothing changes when it throws.
 */
export function saveLabel(
  db: Db,
  catalogue: AttackCatalogue,
  input: SaveLabelInput,
  labeller: string,
  at: number = Date.now(),
): SaveLabelResult {
  const techniques = [...new Set(input.techniques)];
  const problem = techniqueProblem(catalogue, techniques);
  if (problem) throw new WorkbenchError('bad_input', problem);
  const messageId = input.messageId ?? null;

  return db.transaction((): SaveLabelResult => {
    if (!conversationExists(db, input.conversationId)) {
      throw new WorkbenchError('not_found', `Conversation ${input.conversationId} does not exist.`);
    }
    if (messageId !== null && !messageBelongs(db, input.conversationId, messageId)) {
      throw new WorkbenchError(
        'bad_input',
        `Message ${messageId} is not part of conversation ${input.conversationId}.`,
      );
    }
    const warnings: string[] = [];
    let corrected: string | null = input.correctedAnswer.trim() ? input.correctedAnswer : null;
    if (corrected === null) {
      corrected = answerMessage(db, input.conversationId, messageId)?.content ?? null;
      if (corrected === null || !corrected.trim()) {
        corrected = null;
        warnings.push(
          'There is no assistant answer yet; write a corrected answer before this example can train a model.',
        );
      }
    }
    const labelId = upsertLabel(
      db,
      {
        conversationId: input.conversationId,
        messageId,
        verdict: input.verdict,
        threatType: normaliseThreatType(input.threatType),
        severity: input.severity,
        techniques,
        quality: input.quality,
        notes: input.notes,
        correctedAnswer: corrected,
        labeller,
      },
      at,
    );
    const review = getReviewRow(db, labelId);
    let queue: QueueChange;
    let previousStatus: ReviewStatus | null = null;
    if (!review) {
      insertPendingReview(db, labelId, at);
      queue = 'added';
    } else if (review.status !== 'pending') {
      previousStatus = review.status;
      requeueReview(db, review.id, at);
      queue = 'requeued';
    } else {
      touchReview(db, review.id, at);
      queue = 'updated';
    }
    const message =
      queue === 'requeued'
        ? `Label updated; the example was ${previousStatus} and is back in the pending review queue.`
        : QUEUE_MESSAGES[queue];
    return {
      label: toLabel(getLabelRowById(db, labelId)!),
      review: toReviewState(getReviewRow(db, labelId)!),
      queue,
      previousStatus,
      message,
      warnings,
    };
  })();
}
