import fs from 'node:fs';
import type { Db } from '../db/connection';
import type { Logger } from '../core/logger';
import type { ImportFormat } from '../contract/index';
import { getSetting, setSetting } from '../settings/settingsRepo';
import { resourcePath } from '../core/resources';
import { importBytesSync } from '../importers/runImport';

/**
 * Shipped samples the demo starts with, read by the real importers (so importing the same sample
 * file later adds only what the seed left out). `take` keeps a first start quick.
 */
const SEED_FILES: { file: string[]; format: ImportFormat; take?: number }[] = [
  { file: ['aws-cloudtrail', 'panther-cloudtrail-rule-tests.jsonl'], format: 'panther_rule_tests', take: 12 },
  { file: ['kubernetes-audit', 'panther-k8s-audit-rule-tests.jsonl'], format: 'panther_rule_tests', take: 6 },
  { file: ['microsoft-defender', 'panther-microsoft-rule-tests.jsonl'], format: 'panther_rule_tests', take: 4 },
  { file: ['windows-events', 'sigma-regression-windows-events.jsonl'], format: 'sigma_regression', take: 6 },
  { file: ['aws-cloudtrail', 'panther-scenario-compromised-root-creds-attacker.jsonl'], format: 'cloudtrail' },
  { file: ['microsoft-defender', 'm365d-api-incidents-docs-example.json'], format: 'defender' },
  { file: ['microsoft-defender', 'mde-api-alerts-docs-example.json'], format: 'defender' },
  { file: ['azure-sentinel', 'msticpy-securityalert-alertlist.csv'], format: 'alerts_csv', take: 5 },
  { file: ['windows-events', 'crowdsec-windows-bf-4625.xml.log'], format: 'windows_xml' },
  { file: ['linux-auth', 'crowdsec-hub', 'ssh-bf.log'], format: 'syslog' },
  { file: ['kubernetes-audit', 'crowdsec-hub', 'k8s-audit-priv-pod-file.jsonl'], format: 'k8s_audit' },
];

/** First start only: demo conversations built from the real labelled and raw samples in resources/samples. */
export function seedDemoWorkspace(db: Db, log: Logger): number {
  if (getSetting(db, 'workspace.seeded')) return 0;
  const started = Date.now();
  let added = 0;
  db.transaction(() => {
    for (const src of SEED_FILES) {
      const bytes = fs.readFileSync(resourcePath('samples', ...src.file));
      const result = importBytesSync(db, bytes, {
        fileName: src.file[src.file.length - 1]!,
        format: src.format,
        actor: 'demo',
        maxRecords: src.take,
      });
      if (result.rejections.length) {
        log.warn('seed sample had rejected records', {
          file: src.file.join('/'),
          rejections: result.rejections.slice(0, 3),
        });
      }
      added += result.inserted;
    }
    setSetting(db, 'workspace.seeded', { at: Date.now(), conversations: added });
  })();
  log.info('seeded demo workspace', { conversations: added, ms: Date.now() - started });
  return added;
}
