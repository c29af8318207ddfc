import { TASKS, type Task } from '../contract/index';
import { taskPreset } from '../tasks/taskPresets';

// The analyst prompt each task trains with is the one chat uses at inference (tasks/taskPresets),
// so a fine-tuned model sees the same instructions it was trained on. A dataset version's content
// hash covers it: changing a preset makes new versions differ, never old ones.
export const SYSTEM_PROMPTS: Record<Task, string> = Object.fromEntries(
  TASKS.map((t) => [t, taskPreset(t).systemPrompt]),
) as Record<Task, string>;

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
