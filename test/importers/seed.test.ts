import { describe, expect, it } from 'vitest';
import { createWorkbench } from '../../src-main/core/workbench';
import { count, runImport, SAMPLES, tmpDir } from './helpers';
import path from 'node:path';

describe('demo seed', () => {
  it('is built by the importers from the shipped samples, quickly, and re-importing a sample adds only the rest', async () => {
    const t0 = performance.now();
    const wb = await createWorkbench({ dataDir: tmpDir(), host: 'electron' });
    const ms = performance.now() - t0;
    try {
      const n = count(wb, 'SELECT COUNT(*) AS n FROM conversations');
      expect(n).toBeGreaterThan(50);
      expect(ms).toBeLessThan(3000);
      const formats = (
        wb.db.prepare('SELECT DISTINCT source_format AS f FROM conversations ORDER BY f').all() as { f: string }[]
      ).map((r) => r.f);
      expect(formats).toEqual([
        'alerts_csv',
        'cloudtrail',
        'defender',
        'k8s_audit',
        'panther_rule_tests',
        'sigma_regression',
        'syslog',
        'windows_xml',
      ]);
      const labelled = wb.db
        .prepare("SELECT key_fields FROM conversations WHERE source_format = 'panther_rule_tests' LIMIT 1")
        .get() as { key_fields: string };
      expect(JSON.parse(labelled.key_fields)).toMatchObject({
        rule: expect.any(String),
        severity: expect.any(String),
        expectedAlert: expect.stringMatching(/true|false/),
      });
      const run = await runImport(wb, {
        path: path.join(SAMPLES, 'aws-cloudtrail/panther-cloudtrail-rule-tests.jsonl'),
      });
      expect(run.report).toMatchObject({ status: 'done', recordsOk: 461 - 12, recordsDuplicate: 12 });
    } finally {
      await wb.close();
    }
  });
});
