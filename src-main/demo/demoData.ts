import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { resourcePath } from '../core/resources';
import { renderPrompt } from '../training/local/sftData';

/**
 * Demo triage examples with honest ground truth, built from the labelled samples shipped in
 * resources/samples:
 *
 * - Panther rule tests (CloudTrail, Kubernetes audit, Microsoft 365): each test event says whether the
 *   rule should alert (`expected_alert`) — true → verdict `true_positive`, false → `benign` — and the rule
 *   carries its severity and ATT&CK mapping.
 * - Sigma regression events (Windows): every event is a positive detection of its rule → `true_positive`,
 *   with the rule's level and `attack.tNNNN` tags.
 *
 * The technique label is the parent technique of the first ATT&CK id (T1078.004 → T1078), or `none`.
 * The prompt is the alert title plus the event's salient fields (never the test name, which often gives
 * the answer away); the answer is one line, e.g. `verdict: true_positive severity: high technique: T1078`.
 *
 * The split is leak-free: examples are grouped by rule and by event content (union of both), so no rule and
 * no source record appears in two splits.
 */

export const DEMO_VERDICTS = ['true_positive', 'benign'] as const;
export const DEMO_SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type DemoVerdict = (typeof DEMO_VERDICTS)[number];
export type DemoSeverity = (typeof DEMO_SEVERITIES)[number];

export interface DemoLabels {
  verdict: DemoVerdict;
  severity: DemoSeverity;
  /** Parent ATT&CK technique id (T1078) or `none`. */
  technique: string;
}

export type DemoSource = 'aws-cloudtrail' | 'kubernetes-audit' | 'microsoft-365' | 'windows-sysmon';

export interface DemoExample {
  /** Stable id: source file + line. */
  id: string;
  source: DemoSource;
  /** Rule identity used for grouping (`panther:<rule_id>` or `sigma:<uuid>`). */
  ruleKey: string;
  ruleTitle: string;
  /** sha256 of the canonical event JSON (source-record identity). */
  eventHash: string;
  /** The alert as an analyst would paste it: title + salient fields (no labels). */
  alertText: string;
  labels: DemoLabels;
  /** Where the example came from (file and line), for the model card. */
  origin: string;
}

export type DemoSplit = 'train' | 'val' | 'test';

export interface DemoDataset {
  seed: number;
  examples: (DemoExample & { split: DemoSplit })[];
  train: DemoExample[];
  val: DemoExample[];
  test: DemoExample[];
}

// ---------------------------------------------------------------------------------------------
// labels

const SEVERITY_ALIASES: Record<string, DemoSeverity> = {
  informational: 'info',
  info: 'info',
  low: 'low',
  medium: 'medium',
  high: 'high',
  critical: 'critical',
};

export function normaliseSeverity(s: string | undefined | null): DemoSeverity | null {
  return SEVERITY_ALIASES[(s ?? '').trim().toLowerCase()] ?? null;
}

/** First ATT&CK technique in a list of Panther (`TA0007:T1078.004`) or Sigma (`attack.t1078.004`) tags. */
export function parentTechnique(tags: readonly string[] | undefined | null): string {
  for (const t of tags ?? []) {
    const m = /\bt(\d{4})(?:\.\d{3})?\b/i.exec(t.replace(/^TA\d+:/i, ''));
    if (m) return `T${m[1]}`;
  }
  return 'none';
}

export function formatAnswer(l: DemoLabels): string {
  return `verdict: ${l.verdict} severity: ${l.severity} technique: ${l.technique}`;
}

/** Reads the three labels out of a model's answer; missing or unknown values are null. */
export function parseAnswer(text: string): {
  verdict: DemoVerdict | null;
  severity: DemoSeverity | null;
  technique: string | null;
} {
  const v = /verdict\s*[:=]\s*([A-Za-z_]+)/i.exec(text)?.[1]?.toLowerCase();
  const s = /severity\s*[:=]\s*([A-Za-z_]+)/i.exec(text)?.[1]?.toLowerCase();
  const t = /technique\s*[:=]\s*(T\d{4}|none)/i.exec(text)?.[1];
  return {
    verdict: (DEMO_VERDICTS as readonly string[]).includes(v ?? '') ? (v as DemoVerdict) : null,
    severity: normaliseSeverity(s),
    technique: t ? (t.toLowerCase() === 'none' ? 'none' : t.toUpperCase()) : null,
  };
}

/** The chat prompt the demo model sees (the project's tiny/demo turn format, no system prompt). */
export function demoPrompt(alert: string): string {
  return renderPrompt([{ role: 'user', content: alert }], 'phi3');
}

/** One tw-sft training line: the answer is trained, the prompt is not. */
export function demoTrainingRecord(e: Pick<DemoExample, 'alertText' | 'labels'>): { prompt: string; answer: string } {
  return { prompt: demoPrompt(e.alertText), answer: `${formatAnswer(e.labels)}<|end|>` };
}

/** The same example as an OpenAI chat line (what the dataset builder exports). */
export function demoChatLine(e: Pick<DemoExample, 'alertText' | 'labels'>): {
  messages: { role: string; content: string }[];
} {
  return {
    messages: [
      { role: 'user', content: e.alertText },
      { role: 'assistant', content: formatAnswer(e.labels) },
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// salient fields

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Keys that identify or timestamp a record rather than describe it. */
const NOISE_KEY =
  /(^p_|[aA]rn$|^arns?$|time$|Time$|timestamp|^eventVersion$|^eventID$|^requestID$|^sharedEventID$|Guid$|GUID$|guid$|^Hashes$|^hash|Id$|^id$|ID$|^uid$|^auditID$|^xmlns$|^Version$|^Keywords$|^Opcode$|^Task$|^Level$|^Correlation$|^Execution|^Security$|^EventRecordID$|Etag|etag|resourceVersion|^annotations\.|^recipientAccountId$|^accountId$|^vpcEndpointId$|^tlsDetails|^sessionContext\.attributes|^insertId$|^logName$|^receiveTimestamp$)/;

/** Per-source keys to show first (matched against the last one or two path segments). */
const PRIORITY: Record<DemoSource, string[]> = {
  'aws-cloudtrail': [
    'eventSource',
    'eventName',
    'userIdentity.type',
    'errorCode',
    'errorMessage',
    'userIdentity.userName',
    'sessionIssuer.userName',
    'userIdentity.invokedBy',
    'readOnly',
    'userAgent',
    'additionalEventData.MFAUsed',
    'responseElements.ConsoleLogin',
  ],
  'kubernetes-audit': [
    'verb',
    'objectRef.resource',
    'objectRef.subresource',
    'objectRef.namespace',
    'objectRef.name',
    'user.username',
    'responseStatus.code',
    'requestObject.kind',
    'methodName',
    'principalEmail',
    'authorization.k8s.io/decision',
  ],
  'microsoft-365': ['Operation', 'Workload', 'ResultStatus', 'LogonError', 'UserId', 'ObjectId', 'RecordType'],
  'windows-sysmon': [
    'Provider.Name',
    'EventID',
    'Image',
    'CommandLine',
    'ParentImage',
    'TargetFilename',
    'TargetObject',
    'Details',
    'ImageLoaded',
    'OriginalFileName',
    'User',
    'IntegrityLevel',
  ],
};

function flatten(v: Json, prefix: string, out: [string, string][]): void {
  if (v === null || v === undefined) return;
  if (typeof v === 'string') {
    const s = v.trim();
    if (!s || s === '-') return;
    if ((s.startsWith('{') && s.endsWith('}')) || (s.startsWith('[') && s.endsWith(']'))) {
      try {
        flatten(JSON.parse(s) as Json, prefix, out);
        return;
      } catch {
        // not JSON after all
      }
    }
    out.push([prefix, s]);
    return;
  }
  if (typeof v === 'number' || typeof v === 'boolean') {
    out.push([prefix, String(v)]);
    return;
  }
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x !== 'object' || x === null)) {
      if (v.length) out.push([prefix, v.slice(0, 3).map(String).join(',')]);
      return;
    }
    v.slice(0, 3).forEach((x) => flatten(x, prefix, out));
    return;
  }
  for (const [k, x] of Object.entries(v)) {
    const key = k === '#attributes' ? prefix : prefix ? `${prefix}.${k}` : k;
    flatten(x, key, out);
  }
}

function shortKey(pathKey: string): string {
  const parts = pathKey.split('.').filter(Boolean);
  return parts.slice(-2).join('.');
}

function cleanValue(v: string, max: number): string {
  const s = v.replace(/\s+/g, ' ').replace(/\\\\/g, '\\');
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** The salient `key=value` pairs of an event, priority keys first, within a character budget. */
export function salientFields(source: DemoSource, event: Json, budget = 240): string[] {
  const pairs: [string, string][] = [];
  flatten(event, '', pairs);
  const seen = new Set<string>();
  const out: string[] = [];
  let used = 0;
  const take = (k: string, v: string) => {
    const sk = shortKey(k);
    if (seen.has(sk)) return;
    const item = `${sk}=${cleanValue(v, 56)}`;
    if (used + item.length + 1 > budget) return;
    seen.add(sk);
    out.push(item);
    used += item.length + 1;
  };
  for (const want of PRIORITY[source]) {
    for (const [k, v] of pairs) if (k === want || k.endsWith(`.${want}`)) take(k, v);
  }
  for (const [k, v] of pairs) {
    const last = k.split('.').pop() ?? k;
    if (NOISE_KEY.test(last) || NOISE_KEY.test(shortKey(k))) continue;
    if (/^\d{1,3}(\.\d{1,3}){3}$/.test(v) || /^[0-9a-f-]{24,}$/i.test(v)) continue; // addresses and ids
    take(k, v);
  }
  return out;
}

const SOURCE_LABEL: Record<DemoSource, string> = {
  'aws-cloudtrail': 'aws cloudtrail',
  'kubernetes-audit': 'kubernetes audit',
  'microsoft-365': 'microsoft 365',
  'windows-sysmon': 'windows',
};

/** The first sentence of a rule description, at most `max` characters. */
export function firstSentence(text: string | undefined | null, max = 140): string {
  const t = (text ?? '').replace(/\s+/g, ' ').trim();
  const cut = /^(.+?[.!?])(\s|$)/.exec(t)?.[1] ?? t;
  return cut.length > max ? `${cut.slice(0, max - 1).replace(/\s+\S*$/, '')}…` : cut;
}

/** The alert as a SIEM shows it: rule title and description, log source, the event's salient fields. */
export function alertText(source: DemoSource, title: string, event: Json, description?: string | null): string {
  const desc = firstSentence(description);
  return [
    `alert: ${title}`,
    ...(desc ? [`description: ${desc}`] : []),
    `source: ${SOURCE_LABEL[source]}`,
    ...salientFields(source, event),
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// loading

interface PantherRow {
  rule_id: string;
  rule_name: string;
  rule_description?: string;
  severity: string;
  mitre_attack?: string[];
  expected_alert: boolean;
  event: Json;
}

interface SigmaRow {
  sigma_rule_id: string;
  sigma_rule_title: string;
  level: string;
  attack_tags?: string[];
  event: Json;
}

function readJsonl<T>(file: string): T[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as T);
}

function sha(s: string): string {
  return crypto.createHash('sha256').update(s).digest('hex');
}

function canonical(v: Json): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, Json>)[k]!)}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

const PANTHER_FILES: [DemoSource, string][] = [
  ['aws-cloudtrail', 'aws-cloudtrail/panther-cloudtrail-rule-tests.jsonl'],
  ['kubernetes-audit', 'kubernetes-audit/panther-k8s-audit-rule-tests.jsonl'],
  ['microsoft-365', 'microsoft-defender/panther-microsoft-rule-tests.jsonl'],
];
const SIGMA_FILE = 'windows-events/sigma-regression-windows-events.jsonl';

/** All labelled demo examples, in file order. */
export function loadDemoExamples(samplesDir = resourcePath('samples')): DemoExample[] {
  const out: DemoExample[] = [];
  for (const [source, rel] of PANTHER_FILES) {
    readJsonl<PantherRow>(path.join(samplesDir, rel)).forEach((r, i) => {
      const severity = normaliseSeverity(r.severity);
      if (!severity || r.event === null || typeof r.event !== 'object') return;
      out.push({
        id: `${path.basename(rel)}:${i + 1}`,
        source,
        ruleKey: `panther:${r.rule_id}`,
        ruleTitle: r.rule_name,
        eventHash: sha(canonical(r.event)),
        alertText: alertText(source, r.rule_name, r.event, r.rule_description),
        labels: {
          verdict: r.expected_alert ? 'true_positive' : 'benign',
          severity,
          technique: parentTechnique(r.mitre_attack),
        },
        origin: `resources/samples/${rel} line ${i + 1}`,
      });
    });
  }
  // the Sigma catalogue has the description of most rules behind the regression events
  const sigmaDescriptions = new Map<string, string>();
  const catalogue = path.join(samplesDir, '..', 'sigma', 'sigma-rules.json');
  if (fs.existsSync(catalogue)) {
    for (const r of JSON.parse(fs.readFileSync(catalogue, 'utf8')) as { id: string; description?: string }[]) {
      if (r.description) sigmaDescriptions.set(r.id, r.description);
    }
  }
  readJsonl<SigmaRow>(path.join(samplesDir, SIGMA_FILE)).forEach((r, i) => {
    const severity = normaliseSeverity(r.level);
    if (!severity) return;
    out.push({
      id: `${path.basename(SIGMA_FILE)}:${i + 1}`,
      source: 'windows-sysmon',
      ruleKey: `sigma:${r.sigma_rule_id}`,
      ruleTitle: r.sigma_rule_title,
      eventHash: sha(canonical(r.event)),
      alertText: alertText('windows-sysmon', r.sigma_rule_title, r.event, sigmaDescriptions.get(r.sigma_rule_id)),
      labels: { verdict: 'true_positive', severity, technique: parentTechnique(r.attack_tags) },
      origin: `resources/samples/${SIGMA_FILE} line ${i + 1}`,
    });
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// leak-free split

class UnionFind {
  private parent = new Map<string, string>();
  find(x: string): string {
    let p = this.parent.get(x) ?? x;
    if (p !== x) {
      p = this.find(p);
      this.parent.set(x, p);
    }
    return p;
  }
  union(a: string, b: string): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent.set(ra < rb ? rb : ra, ra < rb ? ra : rb);
  }
}

export interface SplitOptions {
  seed?: number;
  /** Fractions of examples (per source) for test and validation; the rest trains. */
  testFraction?: number;
  valFraction?: number;
}

/**
 * Groups examples that share a rule or an identical event, then assigns whole groups to test / val / train
 * in a seeded order, per source, until each split has its share of the source's examples.
 */
/** The leak-free group of each example (by id): examples sharing a rule or an identical event share a group. */
export function demoGroups(examples: readonly DemoExample[]): Map<string, string> {
  const uf = new UnionFind();
  for (const e of examples) uf.union(`rule:${e.ruleKey}`, `event:${e.eventHash}`);
  return new Map(examples.map((e) => [e.id, uf.find(`rule:${e.ruleKey}`)]));
}

export function splitDemoExamples(examples: DemoExample[], opts: SplitOptions = {}): DemoDataset {
  const seed = opts.seed ?? 42;
  const testF = opts.testFraction ?? 0.2;
  const valF = opts.valFraction ?? 0.1;
  const uf = new UnionFind();
  for (const e of examples) uf.union(`rule:${e.ruleKey}`, `event:${e.eventHash}`);
  const groups = new Map<string, DemoExample[]>();
  for (const e of examples) {
    const g = uf.find(`rule:${e.ruleKey}`);
    if (!groups.has(g)) groups.set(g, []);
    groups.get(g)!.push(e);
  }
  const splitOf = new Map<string, DemoSplit>();
  const bySource = new Map<DemoSource, string[]>();
  for (const [g, members] of groups) {
    const s = members[0]!.source;
    if (!bySource.has(s)) bySource.set(s, []);
    bySource.get(s)!.push(g);
  }
  for (const [, gs] of [...bySource.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const order = gs
      .map((g) => ({ g, k: sha(`${seed}:${g}`) }))
      .sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0))
      .map((x) => x.g);
    const total = order.reduce((n, g) => n + groups.get(g)!.length, 0);
    let test = 0;
    let val = 0;
    for (const g of order) {
      const n = groups.get(g)!.length;
      if (test + n / 2 <= total * testF) {
        splitOf.set(g, 'test');
        test += n;
      } else if (val + n / 2 <= total * valF) {
        splitOf.set(g, 'val');
        val += n;
      } else splitOf.set(g, 'train');
    }
  }
  const all = examples.map((e) => ({ ...e, split: splitOf.get(uf.find(`rule:${e.ruleKey}`))! }));
  return {
    seed,
    examples: all,
    train: all.filter((e) => e.split === 'train'),
    val: all.filter((e) => e.split === 'val'),
    test: all.filter((e) => e.split === 'test'),
  };
}

/** The demo dataset: every labelled sample, split without leaks for `seed`. */
export function buildDemoDataset(opts: SplitOptions & { samplesDir?: string } = {}): DemoDataset {
  return splitDemoExamples(loadDemoExamples(opts.samplesDir), opts);
}

// ---------------------------------------------------------------------------------------------
// baselines and scoring

export type LabelName = keyof DemoLabels;
export const LABEL_NAMES: LabelName[] = ['verdict', 'severity', 'technique'];

/** The most frequent value of each label in `train` (ties: alphabetical). */
export function majorityLabels(train: readonly { labels: DemoLabels }[]): DemoLabels {
  const pick = (name: LabelName) => {
    const c = new Map<string, number>();
    for (const e of train) c.set(e.labels[name], (c.get(e.labels[name]) ?? 0) + 1);
    return [...c.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]?.[0] ?? '';
  };
  return {
    verdict: pick('verdict') as DemoVerdict,
    severity: pick('severity') as DemoSeverity,
    technique: pick('technique'),
  };
}

export interface LabelScore {
  accuracy: number;
  macroF1: number;
  /** Per class recall (e.g. recall on `critical`). */
  recall: Record<string, number>;
  /** Predictions that could not be parsed. */
  unparsed: number;
  n: number;
}

export function scoreLabel(gold: readonly string[], pred: readonly (string | null)[]): LabelScore {
  const classes = [...new Set(gold)].sort();
  let correct = 0;
  let unparsed = 0;
  const tp = new Map<string, number>();
  const fp = new Map<string, number>();
  const fn = new Map<string, number>();
  gold.forEach((g, i) => {
    const p = pred[i] ?? null;
    if (p === null) unparsed++;
    if (p === g) {
      correct++;
      tp.set(g, (tp.get(g) ?? 0) + 1);
    } else {
      fn.set(g, (fn.get(g) ?? 0) + 1);
      if (p !== null) fp.set(p, (fp.get(p) ?? 0) + 1);
    }
  });
  const recall: Record<string, number> = {};
  let f1sum = 0;
  for (const c of classes) {
    const t = tp.get(c) ?? 0;
    const prec = t + (fp.get(c) ?? 0) ? t / (t + (fp.get(c) ?? 0)) : 0;
    const rec = t + (fn.get(c) ?? 0) ? t / (t + (fn.get(c) ?? 0)) : 0;
    recall[c] = rec;
    f1sum += prec + rec ? (2 * prec * rec) / (prec + rec) : 0;
  }
  return {
    accuracy: gold.length ? correct / gold.length : 0,
    macroF1: classes.length ? f1sum / classes.length : 0,
    recall,
    unparsed,
    n: gold.length,
  };
}

// ---------------------------------------------------------------------------------------------
// extra training data: the Sigma rule catalogue

interface SigmaCatalogueRule {
  id: string;
  title: string;
  description?: string;
  level?: string;
  tags?: string[];
  logsource?: { product?: string | null; category?: string | null; service?: string | null };
}

/**
 * Train-only examples from the Sigma rule catalogue (resources/sigma): a rule as its alert reads without an
 * event (title, description, log source) → `true_positive`, the rule's level and first ATT&CK technique.
 * Rules in `excludeIds` (those behind validation and test examples) are left out; so are rules without a
 * level. `stride` keeps every n-th rule (in file order) to bound the training time.
 */
export function sigmaCatalogueExamples(
  o: { excludeIds?: ReadonlySet<string>; stride?: number; catalogue?: string } = {},
): DemoExample[] {
  const file = o.catalogue ?? resourcePath('sigma', 'sigma-rules.json');
  const rules = JSON.parse(fs.readFileSync(file, 'utf8')) as SigmaCatalogueRule[];
  const stride = Math.max(1, o.stride ?? 1);
  const out: DemoExample[] = [];
  rules.forEach((r, i) => {
    if (i % stride !== 0 || o.excludeIds?.has(r.id)) return;
    const severity = normaliseSeverity(r.level);
    if (!severity) return;
    const ls = r.logsource ?? {};
    const source = [ls.product, ls.service ?? ls.category].filter(Boolean).join(' ') || 'unknown';
    const desc = firstSentence(r.description);
    out.push({
      id: `sigma-rules.json:${i + 1}`,
      source: 'windows-sysmon',
      ruleKey: `sigma:${r.id}`,
      ruleTitle: r.title,
      eventHash: sha(`sigma-rule:${r.id}`),
      alertText: [`alert: ${r.title}`, ...(desc ? [`description: ${desc}`] : []), `source: ${source}`].join('\n'),
      labels: { verdict: 'true_positive', severity, technique: parentTechnique(r.tags) },
      origin: `resources/sigma/sigma-rules.json rule ${r.id}`,
    });
  });
  return out;
}
