import type { ConversationDetail } from '../contract/index';
import type { ChatTurn } from '../runtime/provider';

/** Alerts are often huge JSON blobs; the model sees the first part, which holds the fields that matter. */
const MAX_ALERT_CHARS = 8_000;
/** Earlier turns beyond this are left out (the newest are kept). */
const MAX_HISTORY_MESSAGES = 40;

/** What a structured (triage answer) request adds to the system prompt. */
export const STRUCTURED_ANSWER_INSTRUCTION =
  'Answer with one JSON object only: {"verdict": "true_positive" | "benign" | "false_positive", "threat_type": string, ' +
  '"severity": "info" | "low" | "medium" | "high" | "critical", "techniques": [ATT&CK ids], "rationale": string}.';

/** The system turn: the task's prompt plus the alert under triage, when the conversation has one. */
export function systemTurn(systemPrompt: string, alertPayload: unknown, structured: boolean): ChatTurn {
  const parts = [systemPrompt];
  if (alertPayload !== null && alertPayload !== undefined) {
    let alert = JSON.stringify(alertPayload, null, 1);
    if (alert.length > MAX_ALERT_CHARS) alert = `${alert.slice(0, MAX_ALERT_CHARS)}\n… (truncated)`;
    parts.push(`The alert under triage:\n\`\`\`json\n${alert}\n\`\`\``);
  }
  // A system prompt that already asks for the structured answer (e.g. the one a model was fine-tuned with) is
  // sent as it is: the model then sees exactly the prompt it was trained on.
  if (structured && !systemPrompt.includes(STRUCTURED_ANSWER_INSTRUCTION)) parts.push(STRUCTURED_ANSWER_INSTRUCTION);
  return { role: 'system', content: parts.join('\n\n') };
}

/**
 * The turns sent to a model: system turn, earlier user/assistant messages (failed empty answers left out),
 * then the new user message. Stored system messages (imported conversations) replace the preset prompt.
 */
export function buildTurns(
  conversation: ConversationDetail,
  newUserContent: string,
  opts: { systemPrompt: string; structured: boolean },
): ChatTurn[] {
  const storedSystem = conversation.messages.find((m) => m.role === 'system');
  const system = systemTurn(storedSystem?.content ?? opts.systemPrompt, conversation.alertPayload, opts.structured);
  const history: ChatTurn[] = conversation.messages
    .filter((m) => (m.role === 'user' || m.role === 'assistant') && m.content.trim() !== '')
    .slice(-MAX_HISTORY_MESSAGES)
    .map((m) => ({ role: m.role, content: m.content }));
  return [system, ...history, { role: 'user', content: newUserContent }];
}
