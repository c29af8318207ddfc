import type { ValidationRuleInfo } from '../contract/index';

/**
 * Step 2: OpenAI's checks (the cookbook's format checker) and our stricter ones. Every rule has an
 * id; a failure names the rule, the message it is about and what is wrong.
 */
export const VALIDATION_RULES = [
  { id: 'data_type', source: 'openai', description: 'The example is a JSON object.' },
  { id: 'missing_messages_list', source: 'openai', description: 'The example has a non-empty `messages` array.' },
  {
    id: 'message_missing_key',
    source: 'openai',
    description:
      'Every message has `role` and `content` (an assistant message may have `tool_calls` instead of content).',
  },
  {
    id: 'message_unrecognized_key',
    source: 'openai',
    description: 'Messages carry only role, content, name, weight, tool_calls and tool_call_id.',
  },
  { id: 'unrecognized_role', source: 'openai', description: 'Roles are exactly system, user, assistant or tool.' },
  {
    id: 'missing_content',
    source: 'openai',
    description: 'Content is a string (null only on an assistant message with tool calls).',
  },
  { id: 'example_missing_assistant_message', source: 'openai', description: 'At least one assistant message.' },
  {
    id: 'unknown_key',
    source: 'ours',
    description: 'No unknown keys at any level (example, tool definitions, tool calls).',
  },
  {
    id: 'invalid_text',
    source: 'ours',
    description: 'Strict UTF-8: no lone surrogates and no U+FFFD replacement characters.',
  },
  { id: 'control_character', source: 'ours', description: 'No NUL or control characters other than tab and newline.' },
  { id: 'last_message_not_assistant', source: 'ours', description: 'The last message is an assistant message.' },
  {
    id: 'last_assistant_weight_zero',
    source: 'ours',
    description: 'The last assistant message is trained on (weight is not 0).',
  },
  { id: 'invalid_weight', source: 'ours', description: '`weight` is the number 0 or 1.' },
  { id: 'weight_not_on_assistant', source: 'ours', description: '`weight` appears only on assistant messages.' },
  { id: 'tool_missing_call_id', source: 'ours', description: 'A tool message has a `tool_call_id`.' },
  {
    id: 'tool_call_invalid',
    source: 'ours',
    description: 'Tool calls have an id, type "function", a function name and string arguments.',
  },
  { id: 'tool_call_arguments_invalid', source: 'ours', description: 'Tool-call arguments parse as a JSON object.' },
  { id: 'tool_call_undeclared', source: 'ours', description: 'Tool calls name a tool declared in `tools`.' },
] as const satisfies readonly ValidationRuleInfo[];

export type RuleId = (typeof VALIDATION_RULES)[number]['id'];

export interface RuleFailure {
  ruleId: RuleId;
  messageIndex: number | null;
  detail: string;
}

const EXAMPLE_KEYS = new Set(['messages', 'tools', 'parallel_tool_calls']);
const MESSAGE_KEYS = new Set(['role', 'content', 'name', 'weight', 'tool_calls', 'tool_call_id']);
const ROLES = new Set(['system', 'user', 'assistant', 'tool']);
const TOOL_KEYS = new Set(['type', 'function']);
const TOOL_FUNCTION_KEYS = new Set(['name', 'description', 'parameters', 'strict']);
const CALL_KEYS = new Set(['id', 'type', 'function']);
const CALL_FUNCTION_KEYS = new Set(['name', 'arguments']);
// C0 controls except tab (09) and newline (0A), DEL, and C1 controls.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function unknownKeys(obj: Record<string, unknown>, allowed: Set<string>): string[] {
  return Object.keys(obj).filter((k) => !allowed.has(k));
}

/** Checks every string in the example for text problems; returns the first per message. */
function textProblems(value: unknown, messageIndex: number | null, out: RuleFailure[]): void {
  const seen = new Set<RuleId>();
  const visit = (v: unknown, where: string): void => {
    if (typeof v === 'string') {
      if (!seen.has('invalid_text') && (v.includes('\uFFFD') || firstLoneSurrogate(v) >= 0)) {
        seen.add('invalid_text');
        const at = v.includes('\uFFFD') ? v.indexOf('\uFFFD') : firstLoneSurrogate(v);
        out.push({
          ruleId: 'invalid_text',
          messageIndex,
          detail: `${where}: invalid or substituted text at character ${at}`,
        });
      }
      const m = CONTROL.exec(v);
      if (m && !seen.has('control_character')) {
        seen.add('control_character');
        const code = m[0].charCodeAt(0).toString(16).padStart(4, '0').toUpperCase();
        out.push({
          ruleId: 'control_character',
          messageIndex,
          detail: `${where}: control character U+${code} at character ${m.index}`,
        });
      }
    } else if (Array.isArray(v)) v.forEach((x, i) => visit(x, `${where}[${i}]`));
    else if (isRecord(v)) for (const [k, x] of Object.entries(v)) visit(x, where ? `${where}.${k}` : k);
  };
  visit(value, '');
}

function firstLoneSurrogate(s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const n = s.charCodeAt(i + 1);
      if (n >= 0xdc00 && n <= 0xdfff) {
        i++;
        continue;
      }
      return i;
    }
    if (c >= 0xdc00 && c <= 0xdfff) return i;
  }
  return -1;
}

function declaredTools(example: Record<string, unknown>, out: RuleFailure[]): Set<string> | null {
  if (!('tools' in example)) return null;
  const names = new Set<string>();
  if (!Array.isArray(example.tools)) {
    out.push({ ruleId: 'unknown_key', messageIndex: null, detail: '`tools` is not an array' });
    return names;
  }
  example.tools.forEach((t, i) => {
    if (!isRecord(t) || t.type !== 'function' || !isRecord(t.function) || typeof t.function.name !== 'string') {
      out.push({ ruleId: 'tool_call_invalid', messageIndex: null, detail: `tools[${i}] is not a function definition` });
      return;
    }
    const extra = [
      ...unknownKeys(t, TOOL_KEYS),
      ...unknownKeys(t.function, TOOL_FUNCTION_KEYS).map((k) => `function.${k}`),
    ];
    if (extra.length)
      out.push({
        ruleId: 'unknown_key',
        messageIndex: null,
        detail: `tools[${i}] has unknown keys: ${extra.join(', ')}`,
      });
    names.add(t.function.name);
  });
  return names;
}

/** Every rule the example breaks (empty when it is valid). */
export function validateExample(example: unknown): RuleFailure[] {
  const out: RuleFailure[] = [];
  if (!isRecord(example)) {
    out.push({
      ruleId: 'data_type',
      messageIndex: null,
      detail: `the example is ${Array.isArray(example) ? 'an array' : example === null ? 'null' : typeof example}, not an object`,
    });
    return out;
  }
  const extra = unknownKeys(example, EXAMPLE_KEYS);
  if (extra.length)
    out.push({ ruleId: 'unknown_key', messageIndex: null, detail: `unknown keys: ${extra.join(', ')}` });
  if ('parallel_tool_calls' in example && typeof example.parallel_tool_calls !== 'boolean') {
    out.push({ ruleId: 'unknown_key', messageIndex: null, detail: '`parallel_tool_calls` is not a boolean' });
  }
  const messages = example.messages;
  if (!Array.isArray(messages) || messages.length === 0) {
    out.push({
      ruleId: 'missing_messages_list',
      messageIndex: null,
      detail: messages === undefined ? 'no `messages`' : '`messages` is empty or not an array',
    });
    return out;
  }
  const tools = declaredTools(example, out);
  let assistants = 0;
  messages.forEach((m, i) => {
    if (!isRecord(m)) {
      out.push({ ruleId: 'data_type', messageIndex: i, detail: 'the message is not an object' });
      return;
    }
    const role = m.role;
    const hasCalls = 'tool_calls' in m && m.tool_calls !== null;
    if (!('role' in m) || (!('content' in m) && !(role === 'assistant' && hasCalls))) {
      out.push({
        ruleId: 'message_missing_key',
        messageIndex: i,
        detail: `missing ${'role' in m ? '`content`' : '`role`'}`,
      });
    }
    const extraKeys = unknownKeys(m, MESSAGE_KEYS);
    if (extraKeys.length)
      out.push({
        ruleId: 'message_unrecognized_key',
        messageIndex: i,
        detail: `unrecognised keys: ${extraKeys.join(', ')}`,
      });
    if (typeof role !== 'string' || !ROLES.has(role)) {
      out.push({
        ruleId: 'unrecognized_role',
        messageIndex: i,
        detail: `role ${JSON.stringify(role) ?? 'undefined'} is not system, user, assistant or tool`,
      });
    }
    if (role === 'assistant') assistants++;
    if ('content' in m) {
      const content = m.content;
      const ok = typeof content === 'string' || (content === null && role === 'assistant' && hasCalls);
      if (!ok)
        out.push({
          ruleId: 'missing_content',
          messageIndex: i,
          detail: `content is ${content === null ? 'null' : Array.isArray(content) ? 'an array' : typeof content}, not text`,
        });
    }
    if ('weight' in m) {
      if (m.weight !== 0 && m.weight !== 1)
        out.push({
          ruleId: 'invalid_weight',
          messageIndex: i,
          detail: `weight ${JSON.stringify(m.weight)} is not 0 or 1`,
        });
      if (role !== 'assistant')
        out.push({ ruleId: 'weight_not_on_assistant', messageIndex: i, detail: `weight on a ${String(role)} message` });
    }
    if (role === 'tool' && (typeof m.tool_call_id !== 'string' || !m.tool_call_id)) {
      out.push({ ruleId: 'tool_missing_call_id', messageIndex: i, detail: 'a tool message without `tool_call_id`' });
    }
    if (hasCalls) checkToolCalls(m.tool_calls, i, role, tools, out);
    textProblems(m, i, out);
  });
  if ('tools' in example) textProblems(example.tools, null, out);
  if (assistants === 0)
    out.push({ ruleId: 'example_missing_assistant_message', messageIndex: null, detail: 'no assistant message' });
  const lastIndex = messages.length - 1;
  const last = messages[lastIndex];
  if (isRecord(last)) {
    if (last.role !== 'assistant')
      out.push({
        ruleId: 'last_message_not_assistant',
        messageIndex: lastIndex,
        detail: `the last message is from ${String(last.role)}`,
      });
    else if (last.weight === 0)
      out.push({
        ruleId: 'last_assistant_weight_zero',
        messageIndex: lastIndex,
        detail: 'the final answer has weight 0, so nothing in it is trained on',
      });
  }
  return out;
}

function checkToolCalls(calls: unknown, i: number, role: unknown, tools: Set<string> | null, out: RuleFailure[]): void {
  if (role !== 'assistant') {
    out.push({ ruleId: 'tool_call_invalid', messageIndex: i, detail: `tool_calls on a ${String(role)} message` });
    return;
  }
  if (!Array.isArray(calls) || calls.length === 0) {
    out.push({ ruleId: 'tool_call_invalid', messageIndex: i, detail: '`tool_calls` is not a non-empty array' });
    return;
  }
  calls.forEach((c, j) => {
    if (
      !isRecord(c) ||
      typeof c.id !== 'string' ||
      c.type !== 'function' ||
      !isRecord(c.function) ||
      typeof c.function.name !== 'string' ||
      typeof c.function.arguments !== 'string'
    ) {
      out.push({
        ruleId: 'tool_call_invalid',
        messageIndex: i,
        detail: `tool_calls[${j}] is not {id, type: "function", function: {name, arguments: string}}`,
      });
      return;
    }
    const extra = [
      ...unknownKeys(c, CALL_KEYS),
      ...unknownKeys(c.function, CALL_FUNCTION_KEYS).map((k) => `function.${k}`),
    ];
    if (extra.length)
      out.push({
        ruleId: 'unknown_key',
        messageIndex: i,
        detail: `tool_calls[${j}] has unknown keys: ${extra.join(', ')}`,
      });
    let args: unknown;
    try {
      args = JSON.parse(c.function.arguments);
    } catch {
      args = undefined;
    }
    if (!isRecord(args))
      out.push({
        ruleId: 'tool_call_arguments_invalid',
        messageIndex: i,
        detail: `tool_calls[${j}] arguments are not a JSON object`,
      });
    if (!tools || !tools.has(c.function.name)) {
      out.push({
        ruleId: 'tool_call_undeclared',
        messageIndex: i,
        detail: `tool_calls[${j}] calls ${JSON.stringify(c.function.name)}, which is not declared in \`tools\``,
      });
    }
  });
}
