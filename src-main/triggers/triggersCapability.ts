import { TriggerRulesSchema, WorkbenchError } from '../contract/index';
import type { Capability, HandlerContext } from '../core/capability';
import { setSetting } from '../settings/settingsRepo';
import { checkTriggers, readRules, RULES_SETTING } from './checkTriggers';
import { dismissNotice, getNotice, listNotices } from './triggersRepo';

/** After a burst of review decisions, check once. */
const REVIEW_DEBOUNCE_MS = 2000;

/**
 * Retraining triggers: rules in the `triggers.rules` setting, checked on demand, when an evaluation
 * finishes (metric and regression rules) and after review decisions (new approved examples).
 */
export function createTriggersCapability(): Capability {
  const unsubscribe: (() => void)[] = [];
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  return {
    name: 'triggers',
    start(ctx) {
      const run = (evaluationId?: number) => {
        if (stopped) return;
        checkTriggers(ctx, evaluationId !== undefined ? { evaluationId } : {}).catch((err: unknown) =>
          ctx.log.error('trigger check failed', { error: String(err) }),
        );
      };
      unsubscribe.push(
        ctx.bus.on('evaluation.progress', (e) => {
          if (e.status === 'succeeded') run(e.evaluationId);
        }),
        ctx.bus.on('review.changed', (e) => {
          if (e.kind !== 'decided') return;
          if (timer) clearTimeout(timer);
          timer = setTimeout(() => {
            timer = null;
            run();
          }, REVIEW_DEBOUNCE_MS);
          timer.unref?.();
        }),
      );
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      for (const u of unsubscribe.splice(0)) u();
    },
    handlers: {
      'triggers.rules': (_args, { db }) => readRules(db),
      'triggers.setRules': (args, { db, bus }) => {
        const rules = TriggerRulesSchema.parse(args);
        setSetting(db, RULES_SETTING, rules);
        bus.emit('settings.changed', { key: RULES_SETTING });
        return rules;
      },
      'triggers.check': async (_args, ctx: HandlerContext) => {
        const raised = await checkTriggers(ctx);
        if (ctx.audit) ctx.audit.details = { raised: raised.map((n) => n.id) };
        return {
          raised,
          open: listNotices(ctx.db, false, 100),
          trainingAvailable: ctx.services.get('jobs').hasRunner('local_train'),
        };
      },
      'triggers.list': (args, { db, services }) => ({
        items: listNotices(db, args.includeDismissed, args.limit),
        trainingAvailable: services.get('jobs').hasRunner('local_train'),
      }),
      'triggers.dismiss': (args, { db }) => {
        if (!getNotice(db, args.id)) throw new WorkbenchError('not_found', `Notice ${args.id} does not exist.`);
        dismissNotice(db, args.id);
        return getNotice(db, args.id)!;
      },
    },
  };
}
