import {
  THIN_MIN_APPROVED,
  THIN_MIN_SHARE,
  type CoverageRow,
  type ReviewOverview,
  type ReviewStatus,
} from '../contract/index';
import type { Db } from '../db/connection';
import type { AttackCatalogue } from '../attack/attackCatalogue';
import { parseTechniques } from '../labels/labelsRepo';

const NO_THREAT_TYPE = '(no threat type)';

function isThin(approved: number, share: number): boolean {
  return approved < THIN_MIN_APPROVED || share < THIN_MIN_SHARE;
}

function coverageRow(key: string, name: string, approved: number, pending: number, totalApproved: number): CoverageRow {
  const share = totalApproved ? approved / totalApproved : 0;
  return { key, name, approved, pending, share, thin: isThin(approved, share) };
}

/**
 * The queue's figures and its coverage: per threat type, and per ATT&CK tactic through each label's
 * techniques (a label counts once per tactic however many of its techniques share it). A class is
 * thin with fewer than 10 approved examples or under 5% of all approved ones.
 */
export function reviewOverview(db: Db, catalogue: AttackCatalogue): ReviewOverview {
  // One pass over the queue, grouped by (threat type, status, technique set): few distinct groups,
  // and a label's technique set maps to its tactics exactly once, however many techniques share one.
  const rows = db
    .prepare(
      `SELECT l.threat_type AS threatType, r.status AS status, l.techniques AS techniques, COUNT(*) AS n,
         SUM(l.quality >= 4) AS hq, SUM(l.quality) AS qualitySum, COUNT(l.quality) AS qualityN
       FROM reviews r JOIN training_labels l ON l.id = r.label_id
       GROUP BY l.threat_type, r.status, l.techniques`,
    )
    .all() as {
    threatType: string | null;
    status: ReviewStatus;
    techniques: string;
    n: number;
    hq: number | null;
    qualitySum: number | null;
    qualityN: number;
  }[];

  const byStatus: Record<ReviewStatus, number> = { pending: 0, approved: 0, rejected: 0 };
  let highQuality = 0;
  let qualitySum = 0;
  let qualityN = 0;
  const threat = new Map<string, { approved: number; pending: number }>();
  const tactic = new Map<string, { approved: number; pending: number }>();
  const tacticsOfSet = new Map<string, string[]>();
  const bump = (
    m: Map<string, { approved: number; pending: number }>,
    key: string,
    status: ReviewStatus,
    n: number,
  ) => {
    const t = m.get(key) ?? { approved: 0, pending: 0 };
    if (status === 'approved') t.approved += n;
    if (status === 'pending') t.pending += n;
    m.set(key, t);
  };
  for (const r of rows) {
    byStatus[r.status] += r.n;
    if (r.status === 'approved') highQuality += r.hq ?? 0;
    qualitySum += r.qualitySum ?? 0;
    qualityN += r.qualityN;
    bump(threat, r.threatType ?? '', r.status, r.n);
    if (r.status === 'rejected') continue;
    let tactics = tacticsOfSet.get(r.techniques);
    if (!tactics) {
      const ids = new Set<string>();
      for (const id of parseTechniques(r.techniques)) for (const t of catalogue.get(id)?.tactics ?? []) ids.add(t.id);
      tactics = [...ids];
      tacticsOfSet.set(r.techniques, tactics);
    }
    for (const t of tactics) bump(tactic, t, r.status, r.n);
  }
  const approved = byStatus.approved;
  const decided = byStatus.approved + byStatus.rejected;

  const byThreatType = [...threat.entries()]
    .map(([key, v]) => coverageRow(key, key || NO_THREAT_TYPE, v.approved, v.pending, approved))
    .sort((a, b) => b.approved - a.approved || b.pending - a.pending || a.name.localeCompare(b.name));
  const byTactic = catalogue.tactics
    .map((t) => {
      const v = tactic.get(t.id) ?? { approved: 0, pending: 0 };
      return coverageRow(t.id, t.name, v.approved, v.pending, approved);
    })
    .sort((a, b) => b.approved - a.approved || b.pending - a.pending || a.name.localeCompare(b.name));

  return {
    total: byStatus.pending + byStatus.approved + byStatus.rejected,
    pending: byStatus.pending,
    approved,
    rejected: byStatus.rejected,
    highQuality,
    approvalRate: decided ? approved / decided : null,
    averageQuality: qualityN ? qualitySum / qualityN : null,
    thinRule: { minApproved: THIN_MIN_APPROVED, minShare: THIN_MIN_SHARE },
    byThreatType,
    byTactic,
  };
}
