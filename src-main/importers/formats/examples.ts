import { z } from 'zod';
import { RecordError } from '../recordError';
import { findUnsafeValue } from '../safeJson';
import {
  isObj,
  titleOf,
  type ExampleItem,
  type ExampleMessage,
  type ExampleOptions,
  type FormatSpec,
  type Obj,
  type ToolCall,
} from './fields';
import { zodReason } from './zodReason';

// Fine-tuning examples: unknown keys are rejected at every level (our rule on top of OpenAI's).

const TextPart = z.object({ type: z.literal('text'), text: z.string() }).strict();
const Content = z.union([z.string(), z.array(TextPart).min(1)]);
const Weight = z.union([z.literal(0), z.literal(1)]);
const ToolCallSchema = z
  .object({
    id: z.string().min(1),
    type: z.literal('function'),
    function: z.object({ name: z.string().min(1), arguments: z.string() }).strict(),
  })
  .strict();
const FunctionDef = z
  .object({
    name: z.string().min(1).max(64),
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
    strict: z.boolean().optional(),
  })
  .strict();
const ToolDef = z.object({ type: z.literal('function'), function: FunctionDef }).strict();

const OpenAIMessage = z.discriminatedUnion('role', [
  z.object({ role: z.literal('system'), content: Content, name: z.string().optional() }).strict(),
  z.object({ role: z.literal('user'), content: Content, name: z.string().optional() }).strict(),
  z
    .object({
      role: z.literal('assistant'),
      content: Content.nullable().optional(),
      tool_calls: z.array(ToolCallSchema).min(1).optional(),
      weight: Weight.optional(),
      name: z.string().optional(),
    })
    .strict(),
  z.object({ role: z.literal('tool'), content: Content, tool_call_id: z.string().min(1) }).strict(),
]);

const OpenAIExample = z
  .object({
    messages: z.array(OpenAIMessage).min(1),
    tools: z.array(ToolDef).optional(),
    parallel_tool_calls: z.boolean().optional(),
    /** Ours, not OpenAI's: examples sharing `group` (a rule, an incident) always land in one dataset split. */
    metadata: z
      .object({ group: z.string().trim().min(1).max(200).optional() })
      .strict()
      .optional(),
  })
  .strict();

function text(c: z.infer<typeof Content> | null | undefined): string {
  if (c === null || c === undefined) return '';
  return typeof c === 'string' ? c : c.map((p) => p.text).join('\n');
}

/** Rules every example must meet whatever its source format. */
function checkExample(messages: ExampleMessage[], tools: unknown[] | undefined): void {
  if (!messages.some((m) => m.role === 'assistant')) throw new RecordError('the example has no assistant message');
  const declared = tools ? new Set(tools.map((t) => (t as { function: { name: string } }).function.name)) : null;
  const callIds = new Set<string>();
  for (const [i, m] of messages.entries()) {
    if (m.role === 'assistant' && !m.content && !m.toolCalls) {
      throw new RecordError(`messages[${i}]: an assistant message needs content or tool_calls`);
    }
    for (const call of m.toolCalls ?? []) {
      try {
        JSON.parse(call.function.arguments);
      } catch {
        throw new RecordError(`messages[${i}]: the arguments of tool call "${call.function.name}" are not valid JSON`);
      }
      if (declared && !declared.has(call.function.name)) {
        throw new RecordError(
          `messages[${i}]: tool call "${call.function.name}" names a tool the example does not declare`,
        );
      }
      callIds.add(call.id);
    }
    if (m.role === 'tool' && !callIds.has(m.toolCallId ?? '')) {
      throw new RecordError(`messages[${i}]: tool_call_id "${m.toolCallId}" does not answer an earlier tool call`);
    }
  }
}

function exampleTitle(messages: ExampleMessage[]): string {
  const first = messages.find((m) => m.role === 'user') ?? messages[0];
  return titleOf(first?.content.replace(/\s+/g, ' ').slice(0, 120));
}

function example(messages: ExampleMessage[], options: ExampleOptions | null, group?: string): ExampleItem {
  checkExample(messages, options?.tools);
  return {
    kind: 'example',
    title: exampleTitle(messages),
    task: 'triage',
    keyFields: {},
    groupKey: group ? `group:${group}` : null,
    messages,
    options,
  };
}

function msg(role: ExampleMessage['role'], content: string, extra: Partial<ExampleMessage> = {}): ExampleMessage {
  return { role, content, toolCalls: null, toolCallId: null, weight: null, ...extra };
}

export const openAIChatFormat: FormatSpec = {
  id: 'openai_chat',
  sourceKind: 'imported_example',
  containers: ['jsonl'],
  matches: (v) => Array.isArray(v.messages),
  map(v): ExampleItem {
    const parsed = OpenAIExample.safeParse(v);
    if (!parsed.success) throw new RecordError(zodReason(parsed.error));
    const ex = parsed.data;
    const messages = ex.messages.map((m): ExampleMessage => {
      switch (m.role) {
        case 'assistant':
          return msg('assistant', text(m.content), { toolCalls: m.tool_calls ?? null, weight: m.weight ?? null });
        case 'tool':
          return msg('tool', text(m.content), { toolCallId: m.tool_call_id });
        default:
          return msg(m.role, text(m.content));
      }
    });
    const options: ExampleOptions = {};
    if (ex.tools) options.tools = ex.tools;
    if (ex.parallel_tool_calls !== undefined) options.parallel_tool_calls = ex.parallel_tool_calls;
    return example(messages, Object.keys(options).length ? options : null, ex.metadata?.group);
  },
};

// ShareGPT as LLaMA-Factory documents it: human/gpt turns, function_call/observation for tools.
const ShareGPTTurn = z
  .object({ from: z.enum(['human', 'gpt', 'system', 'function_call', 'observation']), value: z.string() })
  .strict();
const ShareGPTRecord = z
  .object({
    conversations: z.array(ShareGPTTurn).min(1),
    system: z.string().optional(),
    tools: z.union([z.string(), z.array(z.unknown())]).optional(),
  })
  .strict();

/** ShareGPT `tools`: a JSON string (or array) of `{name, description, parameters}` → OpenAI tool definitions. */
function shareGptTools(raw: string | unknown[] | undefined): unknown[] | undefined {
  if (raw === undefined) return undefined;
  let list: unknown = raw;
  if (typeof raw === 'string') {
    if (!raw.trim()) return undefined;
    try {
      list = JSON.parse(raw);
    } catch {
      throw new RecordError('tools: not valid JSON');
    }
    const unsafe = findUnsafeValue(list);
    if (unsafe) throw new RecordError(`tools: ${unsafe.reason}`);
  }
  if (!Array.isArray(list)) throw new RecordError('tools: expected a list of function definitions');
  if (!list.length) return undefined;
  return list.map((t, i) => {
    const def = isObj(t) && t.type === 'function' && isObj(t.function) ? t : { type: 'function', function: t };
    const parsed = ToolDef.safeParse(def);
    if (!parsed.success) throw new RecordError(`tools[${i}]: ${zodReason(parsed.error)}`);
    return parsed.data;
  });
}

function shareGptCalls(value: string, turn: number, next: () => string): ToolCall[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new RecordError(`conversations[${turn}]: a function_call value must be JSON {"name", "arguments"}`);
  }
  const list = Array.isArray(parsed) ? parsed : [parsed];
  return list.map((c) => {
    if (
      !isObj(c) ||
      typeof c.name !== 'string' ||
      !c.name ||
      Object.keys(c).some((k) => k !== 'name' && k !== 'arguments')
    ) {
      throw new RecordError(`conversations[${turn}]: a function call needs exactly "name" and "arguments"`);
    }
    const args = c.arguments === undefined ? {} : c.arguments;
    const unsafe = findUnsafeValue(args);
    if (unsafe) throw new RecordError(`conversations[${turn}]: ${unsafe.reason}`);
    return {
      id: next(),
      type: 'function',
      function: { name: c.name, arguments: typeof args === 'string' ? args : JSON.stringify(args) },
    };
  });
}

export const shareGptFormat: FormatSpec = {
  id: 'sharegpt',
  sourceKind: 'imported_example',
  containers: ['json', 'jsonl'],
  matches: (v) => Array.isArray(v.conversations),
  map(v): ExampleItem {
    const parsed = ShareGPTRecord.safeParse(v);
    if (!parsed.success) throw new RecordError(zodReason(parsed.error));
    const r = parsed.data;
    const tools = shareGptTools(r.tools);
    const messages: ExampleMessage[] = [];
    if (r.system?.trim()) messages.push(msg('system', r.system));
    let n = 0;
    const pending: string[] = [];
    for (const [i, t] of r.conversations.entries()) {
      switch (t.from) {
        case 'system':
          messages.push(msg('system', t.value));
          break;
        case 'human':
          messages.push(msg('user', t.value));
          break;
        case 'gpt':
          messages.push(msg('assistant', t.value));
          break;
        case 'function_call': {
          const calls = shareGptCalls(t.value, i, () => `call_${++n}`);
          pending.push(...calls.map((c) => c.id));
          messages.push(msg('assistant', '', { toolCalls: calls }));
          break;
        }
        case 'observation': {
          const id = pending.shift();
          if (!id) throw new RecordError(`conversations[${i}]: an observation with no function_call before it`);
          messages.push(msg('tool', t.value, { toolCallId: id }));
          break;
        }
      }
    }
    return example(messages, tools ? { tools } : null);
  },
};

const AlpacaRecord = z
  .object({
    instruction: z.string(),
    input: z.string().optional(),
    output: z.string(),
    system: z.string().optional(),
    history: z.array(z.tuple([z.string(), z.string()])).optional(),
  })
  .strict();

export const alpacaFormat: FormatSpec = {
  id: 'alpaca',
  sourceKind: 'imported_example',
  containers: ['json', 'jsonl'],
  matches: (v) => typeof v.instruction === 'string' && typeof v.output === 'string',
  map(v): ExampleItem {
    const parsed = AlpacaRecord.safeParse(v);
    if (!parsed.success) throw new RecordError(zodReason(parsed.error));
    const r = parsed.data;
    const prompt = [r.instruction, r.input ?? ''].filter((s) => s.trim()).join('\n\n');
    if (!prompt) throw new RecordError('instruction and input are both empty');
    if (!r.output.trim()) throw new RecordError('output is empty');
    const messages: ExampleMessage[] = [];
    if (r.system?.trim()) messages.push(msg('system', r.system));
    for (const [q, a] of r.history ?? []) messages.push(msg('user', q), msg('assistant', a));
    messages.push(msg('user', prompt), msg('assistant', r.output));
    return example(messages, null);
  },
};

export const csvExamplesFormat: FormatSpec = {
  id: 'csv_examples',
  sourceKind: 'imported_example',
  containers: ['csv'],
  map(v, ctx): ExampleItem {
    const row = v as Obj;
    const m = ctx.csvMapping;
    if (!m) throw new RecordError('choose the prompt and answer columns first');
    const prompt = String(row[m.prompt] ?? '');
    const answer = String(row[m.answer] ?? '');
    if (!prompt.trim()) throw new RecordError(`the prompt column "${m.prompt}" is empty`);
    if (!answer.trim()) throw new RecordError(`the answer column "${m.answer}" is empty`);
    const messages: ExampleMessage[] = [];
    const system = m.system ? String(row[m.system] ?? '') : '';
    if (system.trim()) messages.push(msg('system', system));
    messages.push(msg('user', prompt), msg('assistant', answer));
    return example(messages, null);
  },
};
