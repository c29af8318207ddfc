import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Workbench } from '../../src-main/core/workbench';
import type { ConversationDetail, ImportDetection, KeyFields } from '../../src-main/contract/index';
import { BAD, FINETUNE, SAMPLES, count, newWorkbench, runImport, tmpDir } from './helpers';

let wb: Workbench;
beforeAll(async () => {
  wb = await newWorkbench();
});
afterAll(async () => {
  await wb.close();
});

async function imp(file: string, extra: Record<string, unknown> = {}) {
  const run = await runImport(wb, { path: file, ...extra });
  return run.report;
}

function conversations(importId: number): {
  id: number;
  title: string;
  task: string;
  source_format: string;
  key_fields: string;
  alert_payload: string | null;
  group_key: string | null;
}[] {
  return wb.db.prepare('SELECT * FROM conversations WHERE import_id = ? ORDER BY id').all(importId) as never;
}

function keyFields(importId: number): KeyFields[] {
  return conversations(importId).map((c) => JSON.parse(c.key_fields) as KeyFields);
}

async function detail(id: number): Promise<ConversationDetail> {
  const r = await wb.invoke('conversations.get', { id });
  if (!r.ok) throw new Error(r.error.message);
  return r.value as ConversationDetail;
}

async function detect(file: string): Promise<ImportDetection> {
  const r = await wb.invoke('imports.detect', { path: file });
  if (!r.ok) throw new Error(r.error.message);
  return r.value as ImportDetection;
}

describe('fine-tuning example importers', () => {
  it('OpenAI chat JSONL: 60 examples with their messages, each pending review', async () => {
    const file = path.join(FINETUNE, 'security-triage-openai-chat.jsonl');
    expect((await detect(file)).format).toBe('openai_chat');
    const r = await imp(file);
    expect(r).toMatchObject({
      status: 'done',
      format: 'openai_chat',
      recordsOk: 60,
      recordsRejected: 0,
      recordsDuplicate: 0,
    });
    const rows = conversations(r.id);
    expect(rows.every((c) => c.task === 'triage' && c.alert_payload === null)).toBe(true);
    const d = await detail(rows[0]!.id);
    expect(d.sourceKind).toBe('imported_example');
    expect(d.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant']);
    expect(d.title).toMatch(/^Log source: AWS CloudTrail/);
    expect(d.reviewStatus).toBe('pending');
    expect(
      count(
        wb,
        "SELECT COUNT(*) AS n FROM training_labels l JOIN conversations c ON c.id = l.conversation_id JOIN reviews r ON r.label_id = l.id WHERE c.import_id = ? AND l.labeller = 'alice' AND l.techniques = '[]' AND r.status = 'pending'",
        r.id,
      ),
    ).toBe(60);
  });

  it('OpenAI chat: content parts, tool calls, weights and tools are kept', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'tools.jsonl');
    const line = {
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'You triage.' }] },
        { role: 'user', content: 'Look up 1.2.3.4' },
        {
          role: 'assistant',
          tool_calls: [{ id: 'c1', type: 'function', function: { name: 'lookup_ip', arguments: '{"ip":"1.2.3.4"}' } }],
        },
        { role: 'tool', tool_call_id: 'c1', content: '{"asn":"AS1"}' },
        { role: 'assistant', content: 'draft', weight: 0 },
        { role: 'user', content: 'final?' },
        { role: 'assistant', content: 'Benign scanner.', weight: 1 },
      ],
      tools: [
        {
          type: 'function',
          function: { name: 'lookup_ip', parameters: { type: 'object', properties: { ip: { type: 'string' } } } },
        },
      ],
      parallel_tool_calls: false,
    };
    fs.writeFileSync(file, JSON.stringify(line) + '\n');
    const r = await imp(file, { format: 'openai_chat' });
    expect(r.recordsOk).toBe(1);
    const c = conversations(r.id)[0]!;
    const d = await detail(c.id);
    expect(d.messages[0]).toMatchObject({ role: 'system', content: 'You triage.' });
    expect(d.messages[2]).toMatchObject({ role: 'assistant', content: '', toolCalls: line.messages[2]!.tool_calls });
    expect(d.messages[3]).toMatchObject({ role: 'tool', toolCallId: 'c1' });
    expect(d.messages.map((m) => m.weight)).toEqual([null, null, null, null, 0, null, 1]);
    const opts = wb.db.prepare('SELECT example_options AS o FROM conversations WHERE id = ?').get(c.id) as {
      o: string;
    };
    expect(JSON.parse(opts.o)).toEqual({ tools: line.tools, parallel_tool_calls: false });
  });

  it('OpenAI chat: metadata.group becomes the group key the dataset split keeps together; other keys are refused', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'grouped.jsonl');
    const ex = (q: string, group?: string) => ({
      messages: [
        { role: 'user', content: q },
        { role: 'assistant', content: 'benign' },
      ],
      ...(group ? { metadata: { group } } : {}),
    });
    fs.writeFileSync(file, [ex('a?', 'rule-1'), ex('b?', 'rule-1'), ex('c?')].map((l) => JSON.stringify(l)).join('\n'));
    const r = await imp(file, { format: 'openai_chat' });
    expect(r.recordsOk).toBe(3);
    expect(conversations(r.id).map((c) => c.group_key)).toEqual(['group:rule-1', 'group:rule-1', null]);
    const bad = path.join(dir, 'bad-metadata.jsonl');
    fs.writeFileSync(bad, JSON.stringify({ ...ex('d?'), metadata: { group: 'x', user: 'y' } }) + '\n');
    const rb = await imp(bad, { format: 'openai_chat' });
    expect(rb.recordsOk).toBe(0);
    expect(rb.rejections[0]?.reason).toMatch(/metadata/);
  });

  it('ShareGPT JSON: human/gpt turns with the record-level system prompt', async () => {
    const r = await imp(path.join(FINETUNE, 'security-triage-sharegpt.json'));
    expect(r).toMatchObject({ status: 'done', format: 'sharegpt', recordsOk: 40 });
    const d = await detail(conversations(r.id)[0]!.id);
    expect(d.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant']);
    expect(d.messages[1]!.content).toMatch(/^Log source: Kubernetes audit/);
  });

  it('ShareGPT with function_call/observation turns becomes tool calls and tool messages', async () => {
    const r = await imp(path.join(FINETUNE, 'llamafactory-glaive-toolcall-sharegpt-first100.json'));
    // 100 records; 5 repeat an earlier one exactly and are counted as duplicates.
    expect(r).toMatchObject({ status: 'done', recordsOk: 95, recordsDuplicate: 5, recordsRejected: 0 });
    const first = await detail(conversations(r.id)[0]!.id);
    const call = first.messages.find((m) => m.toolCalls);
    expect(call?.toolCalls).toEqual([
      {
        id: 'call_1',
        type: 'function',
        function: { name: 'search_recipes', arguments: '{"ingredients":["chicken","bell peppers","rice"]}' },
      },
    ]);
    expect(first.messages[first.messages.indexOf(call!) + 1]).toMatchObject({ role: 'tool', toolCallId: 'call_1' });
    const opts = wb.db.prepare('SELECT example_options AS o FROM conversations WHERE id = ?').get(first.id) as {
      o: string;
    };
    expect((JSON.parse(opts.o) as { tools: { type: string; function: { name: string } }[] }).tools[0]).toMatchObject({
      type: 'function',
      function: { name: 'search_recipes' },
    });
  });

  it('ShareGPT as JSONL too', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'sg.jsonl');
    const recs = JSON.parse(fs.readFileSync(path.join(FINETUNE, 'security-triage-sharegpt.json'), 'utf8')) as unknown[];
    fs.writeFileSync(
      file,
      recs
        .slice(0, 3)
        .map((x) => JSON.stringify({ ...(x as object), system: 'other' }))
        .join('\n') + '\n',
    );
    const det = await detect(file);
    expect(det).toMatchObject({ format: 'sharegpt', container: 'jsonl' });
    expect((await imp(file)).recordsOk).toBe(3);
  });

  it('Alpaca JSON: instruction + input become the user turn', async () => {
    const r = await imp(path.join(FINETUNE, 'security-triage-alpaca.json'));
    expect(r).toMatchObject({ status: 'done', format: 'alpaca', recordsOk: 50 });
    const d = await detail(conversations(r.id)[0]!.id);
    expect(d.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(d.messages[0]!.content).toMatch(
      /^You are a security operations \(SOC\) analyst[\s\S]*\n\nLog source: AWS CloudTrail/,
    );
    expect((await imp(path.join(FINETUNE, 'llamafactory-identity-alpaca.json'))).recordsOk).toBe(91);
  });

  it('CSV examples with a column mapping (quoted commas, quotes and line breaks)', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'pairs.csv');
    fs.writeFileSync(
      file,
      'id,question,reply,sys\r\n1,"Is 10.0.0.1, internal?","Yes, ""RFC 1918"".",Be brief\r\n2,"Two\nlines","ok",\r\n',
    );
    const det = await detect(file);
    expect(det).toMatchObject({
      format: 'csv_examples',
      container: 'csv',
      csvColumns: ['id', 'question', 'reply', 'sys'],
      suggestedCsvMapping: { prompt: 'question', answer: 'reply' },
    });
    const refused = await wb.invoke('imports.start', { path: file, format: 'csv_examples' });
    expect(refused).toMatchObject({ ok: false, error: { code: 'bad_input' } });
    const r = await imp(file, {
      format: 'csv_examples',
      csvMapping: { prompt: 'question', answer: 'reply', system: 'sys' },
    });
    expect(r).toMatchObject({ status: 'done', recordsOk: 2 });
    const [a, b] = conversations(r.id);
    expect((await detail(a!.id)).messages.map((m) => [m.role, m.content])).toEqual([
      ['system', 'Be brief'],
      ['user', 'Is 10.0.0.1, internal?'],
      ['assistant', 'Yes, "RFC 1918".'],
    ]);
    expect((await detail(b!.id)).messages.map((m) => m.content)).toEqual(['Two\nlines', 'ok']);
    const missing = await imp(file, { format: 'csv_examples', csvMapping: { prompt: 'nope', answer: 'reply' } });
    expect(missing.status).toBe('failed');
    expect(missing.error).toMatch(/column "nope" is not in the CSV header/);
  });
});

describe('alert and log importers', () => {
  it('CloudTrail JSONL: key fields from the compromised-root story', async () => {
    const r = await imp(path.join(SAMPLES, 'aws-cloudtrail/panther-scenario-compromised-root-creds-attacker.jsonl'));
    expect(r).toMatchObject({ status: 'done', format: 'cloudtrail', recordsOk: 12 });
    const rows = conversations(r.id);
    expect(rows.every((c) => c.source_format === 'cloudtrail' && c.task === 'audit_log')).toBe(true);
    expect(keyFields(r.id)[0]).toEqual({
      time: '2020-10-30T23:25:32Z',
      host: 'signin.amazonaws.com',
      user: 'root',
      sourceIp: '92.55.146.245',
      event: 'ConsoleLogin',
      region: 'us-east-1',
      account: '493859302102',
    });
    expect(rows[0]!.title).toBe('ConsoleLogin (Failure) by root via signin.amazonaws.com');
    expect(keyFields(r.id).map((k) => k.event)).toContain('StopLogging');
    const d = await detail(rows[0]!.id);
    expect(d).toMatchObject({
      sourceKind: 'imported_alert',
      alertPayload: { eventName: 'ConsoleLogin', sourceIPAddress: '92.55.146.245' },
    });
  });

  it('CloudTrail {"Records": [...]} documents stream their records', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'trail.json');
    const lines = fs
      .readFileSync(path.join(SAMPLES, 'aws-cloudtrail/panther-scenario-compromised-root-creds-victim.jsonl'), 'utf8')
      .trim()
      .split('\n');
    fs.writeFileSync(file, JSON.stringify({ Records: lines.map((l) => JSON.parse(l) as unknown) }, null, 1));
    expect(await detect(file)).toMatchObject({ format: 'cloudtrail', container: 'json' });
    const r = await imp(file);
    expect(r).toMatchObject({ status: 'done', recordsOk: 4 });
    expect(keyFields(r.id)[0]).toMatchObject({ user: 'root', sourceIp: '71.253.251.71', event: 'ConsoleLogin' });
    const real = await imp(path.join(SAMPLES, 'aws-cloudtrail/otrf-ec2-proxy-s3-exfiltration.jsonl'));
    expect(real).toMatchObject({ recordsOk: 103 });
    expect(keyFields(real.id).map((k) => k.event)).toEqual(expect.arrayContaining(['ListBuckets', 'GetObject']));
  });

  it('Kubernetes audit: native, AKS and GKE shapes', async () => {
    const r = await imp(path.join(SAMPLES, 'kubernetes-audit/falco-k8s-audit-events.jsonl'));
    expect(r).toMatchObject({ status: 'done', format: 'k8s_audit', recordsOk: 51 });
    const kf = keyFields(r.id);
    expect(kf[0]).toMatchObject({
      user: 'system:anonymous',
      verb: 'create',
      resource: 'namespaces',
      name: 'foo',
      sourceIp: '192.168.99.1',
    });
    expect(kf[47]).toMatchObject({ verb: 'create', resource: 'pods/exec', user: 'minikube-user' });
    const exec = await imp(path.join(SAMPLES, 'kubernetes-audit/crowdsec-hub/k8s-audit-pod-exec-file.jsonl'));
    expect(conversations(exec.id)[0]!.title).toBe('create pods/exec foo/test-pod-1 by minikube-user');
  });

  it('Defender: XDR incidents (API JSON), MDE alerts and advanced-hunting rows', async () => {
    const inc = await imp(path.join(SAMPLES, 'microsoft-defender/m365d-api-incidents-docs-example.json'));
    expect(inc).toMatchObject({ status: 'done', format: 'defender', recordsOk: 3 });
    const rows = conversations(inc.id);
    expect(rows.map((c) => c.task)).toEqual(['incident', 'incident', 'incident']);
    expect(rows[0]!.title).toBe('Incident 924565: Ransomware activity');
    expect(keyFields(inc.id)[0]).toMatchObject({
      severity: 'medium',
      user: 'testUser2@contoso.com',
      sourceIp: '62.216.203.204',
      rule: 'Ransomware activity',
    });
    const alerts = await imp(path.join(SAMPLES, 'microsoft-defender/mde-api-alerts-docs-example.json'));
    expect(alerts.recordsOk).toBe(2);
    expect(keyFields(alerts.id)[1]).toMatchObject({
      host: 'temp123.middleeast.corp.microsoft.com',
      severity: 'low',
      rule: 'Low-reputation arbitrary code executed by signed executable',
    });
    const single = path.join(tmpDir(), 'one-alert.json');
    const arr = JSON.parse(
      fs.readFileSync(path.join(SAMPLES, 'microsoft-defender/mde-api-alerts-docs-example.json'), 'utf8'),
    ) as unknown[];
    fs.writeFileSync(single, JSON.stringify({ ...(arr[0] as object), id: 'single-object' }, null, 2));
    expect((await imp(single, { format: 'defender' })).recordsOk).toBe(1);
    const hunting = await imp(path.join(SAMPLES, 'microsoft-defender/otrf-golden-saml-m365d-events.jsonl'));
    expect(hunting.recordsOk).toBe(9);
    expect(keyFields(hunting.id)[0]).toMatchObject({ host: 'adfs01.simulandlabs.com', action: 'LdapSearch' });
  });

  it('Sentinel: SecurityAlert CSV export, REST incidents, Log Analytics rows', async () => {
    const csv = await imp(path.join(SAMPLES, 'azure-sentinel/msticpy-securityalert-alertlist.csv'));
    expect(csv).toMatchObject({ status: 'done', format: 'alerts_csv', recordsOk: 189 });
    const sev = new Map<string, number>();
    for (const k of keyFields(csv.id)) sev.set(k.severity!, (sev.get(k.severity!) ?? 0) + 1);
    // PROVENANCE: High 102 / Medium 56 / Low 24 / Informational 7.
    expect(Object.fromEntries(sev)).toEqual({ high: 102, medium: 56, low: 24, info: 7 });
    expect(keyFields(csv.id)[0]).toMatchObject({
      rule: 'DC local group addition - Demo',
      time: '2019-01-12 06:41:44',
      sourceIp: '75.10.91.22',
    });
    const rest = await imp(path.join(SAMPLES, 'azure-sentinel/rest-api-example-GetIncidents.json'));
    expect(rest).toMatchObject({ format: 'sentinel', recordsOk: 1 });
    expect(conversations(rest.id)[0]).toMatchObject({ title: 'Incident 3177: My incident', task: 'incident' });
    expect(keyFields(rest.id)[0]).toMatchObject({ severity: 'high', classification: 'FalsePositive' });
    const rows = await imp(path.join(SAMPLES, 'azure-sentinel/otrf-golden-saml-securityevent.jsonl'));
    expect(rows.recordsOk).toBe(38);
    expect(keyFields(rows.id)).toContainEqual(
      expect.objectContaining({
        eventId: '4624',
        host: 'DC01.simulandlabs.com',
        user: 'SIMULANDLABS.COM\\adfsadmin',
        sourceIp: '192.168.2.5',
      }),
    );
    const single = await imp(path.join(SAMPLES, 'azure-sentinel/otrf-golden-saml-officeactivity.json'));
    expect(keyFields(single.id)[0]).toMatchObject({
      operation: 'MailItemsAccessed',
      user: 'pgustavo@simulandlabs.com',
    });
  });

  it('Linux auth / sshd syslog lines', async () => {
    const r = await imp(path.join(SAMPLES, 'linux-auth/crowdsec-hub/ssh-bf.log'));
    expect(r).toMatchObject({ status: 'done', format: 'syslog', recordsOk: 6 });
    expect(keyFields(r.id)[5]).toEqual({
      time: 'Feb 12 14:10:24',
      host: 'sd-126005',
      user: 'pascal5',
      sourceIp: '35.188.49.176',
      program: 'sshd-session',
      pid: '16379',
      event: 'ssh_invalid_user',
    });
    const ok = await imp(path.join(SAMPLES, 'linux-auth/crowdsec-hub/sshd-success-logs.log'));
    expect(keyFields(ok.id).map((k) => [k.event, k.user])).toEqual([
      ['ssh_login_accepted', 'vagrant'],
      ['ssh_login_accepted', 'vagrant'],
      ['ssh_login_accepted', 'vagrant'],
      ['ssh_login_accepted', 'test'],
    ]);
    const pam = await imp(path.join(SAMPLES, 'linux-auth/crowdsec-hub/pam-logs.log'));
    expect(keyFields(pam.id)[1]).toMatchObject({ event: 'auth_failure', user: 'zbadguy', program: 'sudo' });
  });

  it('Windows events: XML (one per line, and Event Viewer copies) and JSON', async () => {
    const xml = await imp(path.join(SAMPLES, 'windows-events/crowdsec-windows-bf-4625.xml.log'));
    expect(xml).toMatchObject({ status: 'done', format: 'windows_xml', recordsOk: 6 });
    expect(keyFields(xml.id)[0]).toEqual({
      time: '2022-04-29T12:36:01.9027913Z',
      host: 'exchange-1.mydomain.test',
      user: 'MYDOMAIN\\asdfasdf',
      sourceIp: '192.168.9.212',
      eventId: '4625',
      channel: 'Security',
      provider: 'Microsoft-Windows-Security-Auditing',
      logonType: '3',
    });
    const payload = (await detail(conversations(xml.id)[0]!.id)).alertPayload as {
      Event: { EventData: Record<string, unknown> };
    };
    expect(payload.Event.EventData.TargetUserName).toBe('asdfasdf');
    const copy = await imp(path.join(SAMPLES, 'windows-events/crowdsec-windows-logs.xml.log'));
    expect(copy.recordsOk).toBe(1);
    expect(keyFields(copy.id)[0]).toMatchObject({ user: 'testuser@mydomain.test', eventId: '4625' });
    const json = await imp(path.join(SAMPLES, 'windows-events/otrf-psh-powershell-httplistener.jsonl'));
    // 110 events, 5 of which repeat an earlier one byte for byte.
    expect(json).toMatchObject({ format: 'windows_json', recordsOk: 105, recordsDuplicate: 5 });
    expect(conversations(json.id)[0]!.title).toBe('1102 The audit log was cleared — WORKSTATION5');
  });

  it('labelled wrappers: Panther rule tests and Sigma regression keep their ground truth', async () => {
    const ct = await imp(path.join(SAMPLES, 'aws-cloudtrail/panther-cloudtrail-rule-tests.jsonl'));
    expect(ct).toMatchObject({ status: 'done', format: 'panther_rule_tests', recordsOk: 461 });
    const kf = keyFields(ct.id);
    // PROVENANCE: 211 events expected to alert, 250 benign look-alikes.
    expect(kf.filter((k) => k.expectedAlert === 'true')).toHaveLength(211);
    expect(kf[0]).toMatchObject({
      rule: 'Lambda Configuration Updated with Layers by User',
      severity: 'high',
      attack: 'T1078',
      ruleId: 'AWS.Lambda.UpdateFunctionConfiguration',
      user: 'john.developer',
    });
    const payload = (await detail(conversations(ct.id)[0]!.id)).alertPayload as Record<string, unknown>;
    expect(payload.eventSource).toBe('lambda.amazonaws.com');
    expect(payload).not.toHaveProperty('rule_id');
    expect(conversations(ct.id)[0]!.group_key).toBe('panther:AWS.Lambda.UpdateFunctionConfiguration');
    const k8s = await imp(path.join(SAMPLES, 'kubernetes-audit/panther-k8s-audit-rule-tests.jsonl'));
    expect(k8s.recordsOk).toBe(237);
    expect(keyFields(k8s.id).filter((k) => k.expectedAlert === 'true')).toHaveLength(111);
    const sigma = await imp(path.join(SAMPLES, 'windows-events/sigma-regression-windows-events.jsonl'));
    expect(sigma).toMatchObject({ format: 'sigma_regression', recordsOk: 238 });
    expect(keyFields(sigma.id)[0]).toMatchObject({
      rule: 'Suspicious Child Process from Node.js Server - React2Shell',
      severity: 'high',
      attack: 'T1059,T1190',
      host: 'swachchhanda',
      eventId: '1',
    });
    const ms = await imp(path.join(SAMPLES, 'microsoft-defender/panther-microsoft-rule-tests.jsonl'));
    expect(ms.recordsOk).toBe(25);
  });

  it('detects every shipped sample and previews its first records', async () => {
    const expected: Record<string, string> = {
      'aws-cloudtrail/crowdsec-hub/aws-bf.jsonl': 'cloudtrail',
      'aws-cloudtrail/otrf-aws-s3-honeybucket-logs.csv': 'alerts_csv',
      'azure-sentinel/rest-api-example-GetAllIncidentAlerts.json': 'sentinel',
      'azure-sentinel/rest-api-example-GetAllIncidentEntities.json': 'sentinel',
      'azure-sentinel/otrf-golden-saml-aad-auditlogs.jsonl': 'sentinel',
      'kubernetes-audit/crowdsec-hub/k8s-audit-priv-pod-file.jsonl': 'k8s_audit',
      'linux-auth/crowdsec-hub/sshd-logs.log': 'syslog',
      'microsoft-defender/panther-microsoft-rule-tests.jsonl': 'panther_rule_tests',
      'windows-events/crowdsec-windows-logs.xml.log': 'windows_xml',
      'windows-events/sigma-regression-windows-events.jsonl': 'sigma_regression',
    };
    for (const [file, format] of Object.entries(expected)) {
      const d = await detect(path.join(SAMPLES, file));
      expect(d.format, file).toBe(format);
      expect(d.preview.records.length, file).toBeGreaterThan(0);
      expect(d.preview.lines.length, file).toBeGreaterThan(0);
    }
    const d = await detect(path.join(SAMPLES, 'aws-cloudtrail/otrf-aws-s3-honeybucket-logs.csv'));
    expect(d.preview.records[0]).toMatchObject({
      title: 'ListObjects from 177.131.167.145',
      keyFields: { sourceIp: '177.131.167.145' },
    });
    expect((await detect(path.join(BAD, 'pretty-array.jsonl'))).reason).toMatch(/not one JSON object/);
  });
});
