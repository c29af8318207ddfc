import type { ReviewOverview } from '../contract/index';
import type { Capability } from '../core/capability';
import { BackgroundCheckpointer, withBackgroundCheckpoint } from '../db/backgroundCheckpoint';
import { attackCatalogue } from '../attack/attackCatalogue';
import {
  countByStatus,
  countMatching,
  getReviewDetail,
  listReviewItems,
  MatchCountCache,
  reviewFacets,
} from './reviewQueueRepo';
import { decideByFilter, decideLabels, undoBatch } from './reviewDecisions';
import { reviewOverview } from './reviewOverview';

/**
 * The overview reads the whole queue (seconds at a million examples, on the thread that serves every
 * request). After a change it is recomputed at once when that is cheap, otherwise at most once per
 * ten times its own cost, so it never takes more than ~10% of the core's time.
 */
const THROTTLE_ABOVE_MS = 100;

export class ThrottledOverview {
  private value: ReviewOverview | null = null;
  private computedAt = 0;
  private costMs = 0;
  private dirty = true;
  constructor(private readonly now: () => number = Date.now) {}
  invalidate(): void {
    this.dirty = true;
  }
  get(compute: () => ReviewOverview): ReviewOverview {
    const t = this.now();
    // Only a slow overview is throttled; a cheap one is always fresh after a change.
    const throttled = this.costMs > THROTTLE_ABOVE_MS && t - this.computedAt < this.costMs * 10;
    if (this.value && (!this.dirty || throttled)) return this.value;
    this.value = compute();
    this.costMs = this.now() - t;
    this.computedAt = this.now();
    this.dirty = false;
    return this.value;
  }
}

// Audit details list the ids of small selections only; a batch id always leads back to the rest.
const AUDIT_MAX_IDS = 50;

export function createReviewCapability(): Capability {
  const counts = new MatchCountCache();
  const overview = new ThrottledOverview();
  const unsubscribe: (() => void)[] = [];
  // Bulk decisions and their undo write ~10,000 pages at a million examples; their WAL checkpoint
  // runs on a worker thread instead of inside the commit on the thread serving requests.
  let checkpointer: BackgroundCheckpointer | null = null;
  return {
    name: 'review',
    start({ bus, db, log }) {
      checkpointer = new BackgroundCheckpointer(db, (message) =>
        log.warn('background checkpoint failed', { error: message }),
      );
      // Match counts only steer query plans; drop them whenever the queue may have changed.
      unsubscribe.push(
        bus.on('review.changed', () => {
          counts.clear();
          overview.invalidate();
        }),
        bus.on('conversations.changed', () => {
          counts.clear();
          overview.invalidate();
        }),
      );
    },
    async stop() {
      for (const u of unsubscribe.splice(0)) u();
      await checkpointer?.close();
      checkpointer = null;
    },
    handlers: {
      'review.list': (args, { db }) =>
        listReviewItems(
          db,
          attackCatalogue,
          {
            filter: args.filter,
            limit: args.limit,
            cursor: args.cursor ?? null,
            ...(args.offset !== undefined ? { offset: args.offset } : {}),
            withTotal: args.withTotal,
          },
          counts,
        ),
      'review.get': (args, { db }) => getReviewDetail(db, attackCatalogue, args.labelId),
      'review.countByFilter': (args, { db }) => ({
        count: countMatching(db, attackCatalogue, args.filter),
        byStatus: countByStatus(db, attackCatalogue, args.filter),
      }),
      'review.decide': (args, { db, bus, actor, audit }) => {
        const result = decideLabels(db, attackCatalogue, args.labelIds, args.decision, args.reason || null, { actor });
        if (audit) {
          audit.subject = result.batchId
            ? `review-batch:${result.batchId}`
            : `labels:${args.labelIds.slice(0, 5).join(',')}`;
          audit.details = {
            decision: args.decision,
            reason: args.reason ?? null,
            count: args.labelIds.length,
            labelIds: args.labelIds.length <= AUDIT_MAX_IDS ? args.labelIds : undefined,
            matched: result.matched,
            changed: result.changed,
          };
        }
        bus.emit('review.changed', {
          kind: 'decided',
          batchId: result.batchId,
          count: result.changed,
          conversationId: null,
        });
        return result;
      },
      'review.bulkByFilter': (args, { db, bus, actor, audit }) => {
        const result = withBackgroundCheckpoint(checkpointer, () =>
          decideByFilter(db, attackCatalogue, args.filter, args.decision, args.reason || null, args.expectedCount, {
            actor,
          }),
        );
        if (audit) {
          audit.subject = result.batchId ? `review-batch:${result.batchId}` : 'review-filter';
          audit.details = {
            decision: args.decision,
            reason: args.reason ?? null,
            filter: args.filter,
            expectedCount: args.expectedCount,
            matched: result.matched,
            changed: result.changed,
          };
        }
        bus.emit('review.changed', {
          kind: 'decided',
          batchId: result.batchId,
          count: result.changed,
          conversationId: null,
        });
        return result;
      },
      'review.undo': (args, { db, bus, actor, audit }) => {
        const result = withBackgroundCheckpoint(checkpointer, () => undoBatch(db, args.batchId, { actor }));
        if (audit) {
          audit.subject = `review-batch:${args.batchId}`;
          audit.details = { restored: result.restored, skipped: result.skipped };
        }
        bus.emit('review.changed', {
          kind: 'undone',
          batchId: args.batchId,
          count: result.restored,
          conversationId: null,
        });
        return result;
      },
      'review.overview': (_args, { db }) => overview.get(() => reviewOverview(db, attackCatalogue())),
      'review.facets': (_args, { db }) => reviewFacets(db),
    },
  };
}
