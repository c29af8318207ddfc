import { z } from 'zod';
import { RecordError } from '../recordError';
import {
  compact,
  isObj,
  normSeverity,
  techniqueIds,
  titleOf,
  type AlertItem,
  type FormatSpec,
  type Obj,
} from './fields';
import { cloudTrailFields, isCloudTrail } from './cloudtrail';
import { isK8sAudit, k8sFields } from './k8sAudit';
import { defenderFields, defenderKind } from './defender';
import { isWindowsEvent, windowsEventName, windowsFields } from './windowsEvents';
import type { KeyFields } from '../../contract/index';
import { zodReason } from './zodReason';

// Panther rule tests: rule metadata plus the test event and whether the rule should fire.
const PantherTest = z
  .object({
    rule_id: z.string().min(1),
    rule_name: z.string().min(1),
    severity: z.string(),
    mitre_attack: z.array(z.string()).optional(),
    rule_description: z.string().optional(),
    rule_enabled: z.boolean().optional(),
    log_types: z.array(z.string()).optional(),
    test_name: z.string(),
    expected_alert: z.boolean(),
    source_file: z.string().optional(),
    event: z.record(z.string(), z.unknown()),
  })
  .strict();

/** Key fields of the wrapped event, by whichever shape it has. */
function eventFields(e: Obj): KeyFields {
  if (isCloudTrail(e)) return cloudTrailFields(e);
  if (isK8sAudit(e)) return k8sFields(e);
  const dk = defenderKind(e);
  if (dk) return defenderFields(e, dk);
  if (isWindowsEvent(e)) return windowsFields(e);
  return {};
}

export const pantherFormat: FormatSpec = {
  id: 'panther_rule_tests',
  sourceKind: 'imported_alert',
  containers: ['json', 'jsonl'],
  matches: (v) => typeof v.rule_id === 'string' && isObj(v.event) && typeof v.expected_alert === 'boolean',
  map(v): AlertItem {
    const parsed = PantherTest.safeParse(v);
    if (!parsed.success) throw new RecordError(`not a Panther rule test: ${zodReason(parsed.error)}`);
    const t = parsed.data;
    const event = t.event as Obj;
    const keyFields = compact({
      ...eventFields(event),
      rule: t.rule_name,
      ruleId: t.rule_id,
      severity: normSeverity(t.severity),
      attack: techniqueIds(t.mitre_attack ?? []),
      expectedAlert: String(t.expected_alert),
    });
    const labels = {
      rule_id: t.rule_id,
      test_name: t.test_name,
      expected_alert: t.expected_alert,
      severity: t.severity,
      mitre_attack: t.mitre_attack ?? [],
    };
    return {
      kind: 'alert',
      title: titleOf(`${t.rule_name} —`, t.test_name),
      task: 'triage',
      keyFields,
      groupKey: `panther:${t.rule_id}`,
      payload: event,
      labels,
    };
  },
};

// Sigma regression data: the rule a Windows event must trigger.
const SigmaEvent = z
  .object({
    sigma_rule_id: z.string().min(1),
    sigma_rule_title: z.string().min(1),
    sigma_rule_path: z.string().optional(),
    level: z.string().optional(),
    attack_tags: z.array(z.string()).optional(),
    test_name: z.string().optional(),
    test_type: z.string().optional(),
    provider: z.string().optional(),
    source_json: z.string().optional(),
    event: z.record(z.string(), z.unknown()),
  })
  .strict();

export const sigmaFormat: FormatSpec = {
  id: 'sigma_regression',
  sourceKind: 'imported_alert',
  containers: ['json', 'jsonl'],
  matches: (v) => typeof v.sigma_rule_id === 'string' && isObj(v.event),
  map(v): AlertItem {
    const parsed = SigmaEvent.safeParse(v);
    if (!parsed.success) throw new RecordError(`not a Sigma regression event: ${zodReason(parsed.error)}`);
    const s = parsed.data;
    const event = s.event as Obj;
    if (!isWindowsEvent(event)) throw new RecordError('the Sigma regression record does not hold a Windows event');
    const win = windowsFields(event);
    const positive = !/negative|false.?positive/i.test(s.test_name ?? '');
    const keyFields = compact({
      ...win,
      rule: s.sigma_rule_title,
      ruleId: s.sigma_rule_id,
      severity: normSeverity(s.level),
      attack: techniqueIds((s.attack_tags ?? []).filter((t) => /^attack\.t\d{4}/i.test(t))),
      expectedAlert: String(positive),
    });
    const name = windowsEventName(win);
    return {
      kind: 'alert',
      title: titleOf(
        `${s.sigma_rule_title} —`,
        name ?? (win.eventId ? `event ${win.eventId}` : undefined),
        win.host ? `on ${win.host}` : undefined,
      ),
      task: 'triage',
      keyFields,
      groupKey: `sigma:${s.sigma_rule_id}`,
      payload: event,
      labels: {
        sigma_rule_id: s.sigma_rule_id,
        level: s.level ?? null,
        attack_tags: s.attack_tags ?? [],
        test_name: s.test_name ?? null,
      },
    };
  },
};
