import type { Task } from '../contract/index';

// The security analyst prompt each task trains with. Kept here (not in resources/) because a
// dataset version's content hash depends on it: changing a prompt makes new versions, never silently old ones.
const BASE =
  'You are a security operations (SOC) analyst. Work only from the evidence you are given; say what is missing rather than guessing.';

export const SYSTEM_PROMPTS: Record<Task, string> = {
  triage: `${BASE} Triage the alert: give a verdict (true_positive, benign or false_positive), the severity (info, low, medium, high or critical), the likely threat type and MITRE ATT&CK techniques, your reasoning, and the next steps for the responder.`,
  incident: `${BASE} Help investigate the incident: build a timeline from the events, name the affected hosts and accounts, map the activity to MITRE ATT&CK, and recommend containment and follow-up.`,
  audit_log: `${BASE} Review the audit log entries: flag actions that are unusual, risky or policy-violating, explain why, and say which ones need follow-up.`,
  code_review: `${BASE} Review the code or configuration for security issues: name each weakness, where it is, how it could be exploited, and how to fix it.`,
  chat: `${BASE} Answer the analyst's security question clearly and precisely.`,
};

export interface LabelHints {
  threatType: string | null;
  techniques: string[];
}

/** The system turn for one example: the task prompt (or the user's override), plus label hints when asked for. */
export function systemPromptFor(
  task: Task,
  opts: { override?: string | undefined; hints?: LabelHints | null },
): string {
  let prompt = opts.override ?? SYSTEM_PROMPTS[task];
  const hints = opts.hints;
  if (hints && (hints.threatType || hints.techniques.length)) {
    const parts: string[] = [];
    if (hints.threatType) parts.push(`threat type: ${hints.threatType}`);
    if (hints.techniques.length) parts.push(`ATT&CK techniques: ${hints.techniques.join(', ')}`);
    prompt += `\nLabel hints — ${parts.join('; ')}.`;
  }
  return prompt;
}
