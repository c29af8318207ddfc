import { describe, expect, it } from 'vitest';
import { VALIDATION_RULES, validateExample, type RuleId } from '../../src-main/datasets/validateExample';

const sys = { role: 'system', content: 'You are a SOC analyst.' };
const user = { role: 'user', content: 'Triage this alert.' };
const answer = { role: 'assistant', content: 'Benign: scheduled backup job.' };
const good = { messages: [sys, user, answer] };
const tools = [
  {
    type: 'function',
    function: {
      name: 'lookup_ip',
      description: 'Reputation of an IP',
      parameters: { type: 'object', properties: { ip: { type: 'string' } } },
    },
  },
];
const call = (name: string, args: string) => ({ id: 'call_1', type: 'function', function: { name, arguments: args } });
const withTool = (assistantCall: unknown, extra: Record<string, unknown> = {}) => ({
  messages: [
    sys,
    user,
    { role: 'assistant', content: null, tool_calls: [assistantCall] },
    { role: 'tool', tool_call_id: 'call_1', content: '{"malicious":false}' },
    answer,
  ],
  tools,
  ...extra,
});

/** For every rule: an example that passes it and one that breaks it (and only it, where possible). */
const CASES: Record<RuleId, { pass: unknown; fail: unknown }> = {
  data_type: { pass: good, fail: [good] },
  missing_messages_list: { pass: good, fail: { messages: [] } },
  message_missing_key: { pass: good, fail: { messages: [sys, { role: 'user' }, answer] } },
  message_unrecognized_key: { pass: good, fail: { messages: [sys, { ...user, speaker: 'x' }, answer] } },
  unrecognized_role: { pass: good, fail: { messages: [{ role: 'System', content: 'x' }, user, answer] } },
  missing_content: {
    pass: withTool(call('lookup_ip', '{"ip":"1.2.3.4"}')),
    fail: { messages: [sys, { role: 'user', content: 42 }, answer] },
  },
  example_missing_assistant_message: { pass: good, fail: { messages: [sys, user] } },
  unknown_key: { pass: good, fail: { ...good, metadata: { a: 1 } } },
  invalid_text: {
    pass: { messages: [sys, { role: 'user', content: 'emoji 🔐 is fine' }, answer] },
    fail: { messages: [sys, { role: 'user', content: 'broken \uD800 text' }, answer] },
  },
  control_character: {
    pass: { messages: [sys, { role: 'user', content: 'tab\tand\nnewline' }, answer] },
    fail: { messages: [sys, { role: 'user', content: 'nul\u0000here' }, answer] },
  },
  last_message_not_assistant: { pass: good, fail: { messages: [sys, user, answer, user] } },
  last_assistant_weight_zero: {
    pass: { messages: [sys, user, { ...answer, weight: 0 }, user, { ...answer, weight: 1 }] },
    fail: { messages: [sys, user, { ...answer, weight: 0 }] },
  },
  invalid_weight: {
    pass: { messages: [sys, user, { ...answer, weight: 1 }] },
    fail: { messages: [sys, user, { ...answer, weight: 0.5 }] },
  },
  weight_not_on_assistant: {
    pass: { messages: [sys, user, { ...answer, weight: 1 }] },
    fail: { messages: [sys, { ...user, weight: 1 }, answer] },
  },
  tool_missing_call_id: {
    pass: withTool(call('lookup_ip', '{"ip":"1.2.3.4"}')),
    fail: { messages: [sys, user, { role: 'tool', content: '{}' }, answer] },
  },
  tool_call_invalid: {
    pass: withTool(call('lookup_ip', '{}')),
    fail: withTool({ id: 'call_1', type: 'function', function: { name: 'lookup_ip', arguments: { ip: 'x' } } }),
  },
  tool_call_arguments_invalid: {
    pass: withTool(call('lookup_ip', '{"ip":"1.2.3.4"}')),
    fail: withTool(call('lookup_ip', '{ip: 1.2.3.4')),
  },
  tool_call_undeclared: { pass: withTool(call('lookup_ip', '{}')), fail: withTool(call('delete_all_logs', '{}')) },
};

describe('validation rules', () => {
  it('has a passing and a failing case for every rule', () => {
    expect(Object.keys(CASES).sort()).toEqual(VALIDATION_RULES.map((r) => r.id).sort());
  });

  for (const rule of VALIDATION_RULES) {
    it(`${rule.id}: passes a good example, flags a bad one`, () => {
      const c = CASES[rule.id];
      expect(validateExample(c.pass).map((f) => f.ruleId)).not.toContain(rule.id);
      const failures = validateExample(c.fail);
      expect(failures.map((f) => f.ruleId)).toContain(rule.id);
      expect(failures.find((f) => f.ruleId === rule.id)!.detail.length).toBeGreaterThan(0);
    });
  }

  it('accepts fully valid examples with no failures at all', () => {
    expect(validateExample(good)).toEqual([]);
    expect(validateExample(withTool(call('lookup_ip', '{"ip":"1.2.3.4"}')))).toEqual([]);
  });

  it('covers the spec bad inputs: weight "1", bot role, null, __proto__ keys, all weights 0', () => {
    const ids = (x: unknown) => validateExample(x).map((f) => f.ruleId);
    expect(ids({ messages: [sys, user, { ...answer, weight: '1' }] })).toContain('invalid_weight');
    expect(ids({ messages: [sys, { role: 'bot', content: 'x' }, answer] })).toContain('unrecognized_role');
    expect(ids(null)).toEqual(['data_type']);
    expect(ids(42)).toEqual(['data_type']);
    expect(
      ids(
        JSON.parse(
          '{"messages":[{"role":"user","content":"x"},{"role":"assistant","content":"y"}],"__proto__":{"polluted":true}}',
        ),
      ),
    ).toContain('unknown_key');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(ids({ messages: [sys, user, { ...answer, weight: 0 }] })).toContain('last_assistant_weight_zero');
    expect(ids({ messages: 'hello' })).toContain('missing_messages_list');
    expect(ids({})).toContain('missing_messages_list');
  });

  it('names the message a failure is about', () => {
    const f = validateExample({ messages: [sys, { role: 'user', content: 'a\u0007b' }, answer] });
    expect(f).toEqual([expect.objectContaining({ ruleId: 'control_character', messageIndex: 1 })]);
    expect(f[0]!.detail).toContain('U+0007');
  });
});
