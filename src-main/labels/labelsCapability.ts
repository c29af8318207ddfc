import { WorkbenchError } from '../contract/index';
import type { Capability } from '../core/capability';
import { attackCatalogue } from '../attack/attackCatalogue';
import {
  answerMessage,
  conversationExists,
  getLabelRow,
  getReviewRow,
  messageBelongs,
  toLabel,
  toReviewState,
} from './labelsRepo';
import { saveLabel } from './saveLabel';

export const labelsCapability: Capability = {
  name: 'labels',
  handlers: {
    'labels.save': (args, { db, bus, actor, audit }) => {
      const result = saveLabel(db, attackCatalogue(), args, actor);
      if (audit) {
        audit.subject = `conversation:${args.conversationId}`;
        audit.details = {
          labelId: result.label.id,
          conversationId: args.conversationId,
          messageId: result.label.messageId,
          verdict: result.label.verdict,
          threatType: result.label.threatType,
          severity: result.label.severity,
          techniques: result.label.techniques,
          quality: result.label.quality,
          notesChars: result.label.notes.length,
          correctedAnswerChars: result.label.correctedAnswer?.length ?? 0,
          queue: result.queue,
          previousStatus: result.previousStatus,
        };
      }
      bus.emit('review.changed', { kind: 'labelled', batchId: null, count: 1, conversationId: args.conversationId });
      bus.emit('conversations.changed', { ids: [args.conversationId] });
      return result;
    },
    'labels.get': (args, { db }) => {
      const messageId = args.messageId ?? null;
      if (!conversationExists(db, args.conversationId)) {
        throw new WorkbenchError('not_found', `Conversation ${args.conversationId} does not exist.`);
      }
      if (messageId !== null && !messageBelongs(db, args.conversationId, messageId)) {
        throw new WorkbenchError(
          'bad_input',
          `Message ${messageId} is not part of conversation ${args.conversationId}.`,
        );
      }
      const row = getLabelRow(db, args.conversationId);
      const review = row ? getReviewRow(db, row.id) : null;
      return {
        label: row ? toLabel(row) : null,
        review: review ? toReviewState(review) : null,
        suggestedAnswer: answerMessage(db, args.conversationId, messageId ?? row?.message_id ?? null)?.content ?? '',
      };
    },
  },
};
