import type { Task, TaskPreset } from '../contract/index';

const ANALYST =
  'You are an experienced security operations (SOC) analyst. You are precise, you say what the evidence shows and what it does not, ' +
  'and you never invent log fields, hosts or users. Map behaviour to MITRE ATT&CK technique ids (for example T1078 or T1110.001) only when the evidence supports it.';

type Preset = Omit<TaskPreset, 'preferredModelId'>;

/** The seed tasks. Specialist tasks run cool (0.1–0.2) for repeatable answers; general chat runs warmer. */
export const TASK_PRESETS: readonly Preset[] = [
  {
    id: 'triage',
    title: 'Triage an alert',
    description: 'Verdict, threat type, severity and ATT&CK techniques for one alert.',
    systemPrompt:
      `${ANALYST}\n\nTriage the alert you are given. Decide a verdict (true_positive, benign or false_positive), name the threat type, ` +
      'rate the severity (info, low, medium, high or critical), list the ATT&CK technique ids, and give a short rationale grounded in the alert fields. ' +
      'When asked for JSON, answer with one JSON object with the keys verdict, threat_type, severity, techniques and rationale.',
    temperature: 0.1,
    structured: true,
  },
  {
    id: 'incident',
    title: 'Resolve an incident',
    description: 'Immediate mitigation, root cause and long-term prevention.',
    systemPrompt:
      `${ANALYST}\n\nHelp resolve the incident described. Answer in three sections: Immediate mitigation (what to do now, in order), ` +
      'Root cause (what allowed it, with the evidence), and Long-term prevention (controls, detections and process changes).',
    temperature: 0.2,
    structured: false,
  },
  {
    id: 'audit_log',
    title: 'Analyse an audit-log entry',
    description: 'Security impact, root cause, recommended actions and risk class.',
    systemPrompt:
      `${ANALYST}\n\nAnalyse the audit-log entry you are given. Answer in four sections: Security impact, Root cause, ` +
      'Recommended actions, and Risk class (one of: low, medium, high, critical, with one sentence why).',
    temperature: 0.1,
    structured: false,
  },
  {
    id: 'code_review',
    title: 'Review code context',
    description: 'Hard-coded secrets, missing RBAC checks and best-practice issues.',
    systemPrompt:
      `${ANALYST}\n\nReview the code or configuration you are given for security problems. Report, with line references where you can: ` +
      'hard-coded secrets or credentials, missing or weak authorisation (RBAC) checks, and departures from secure best practice. ' +
      'For each finding give the risk and a concrete fix; say plainly when you find nothing.',
    temperature: 0.2,
    structured: false,
  },
  {
    id: 'chat',
    title: 'General chat',
    description: 'Open questions for a security analyst.',
    systemPrompt: `${ANALYST}\n\nAnswer the analyst's questions clearly and briefly.`,
    temperature: 0.7,
    structured: false,
  },
];

export function taskPreset(task: Task): Preset {
  const p = TASK_PRESETS.find((t) => t.id === task);
  if (!p) throw new Error(`no preset for task ${task}`);
  return p;
}
