import type { AbVote, AnalystCount, PairStats, Task } from '../contract/index';
import type { Db } from '../db/connection';
import { wilsonInterval } from './metrics';

export function insertVote(
  db: Db,
  v: {
    prompt: string;
    task: Task;
    modelAId: number;
    modelBId: number;
    vote: AbVote;
    analyst: string;
    blind: boolean;
    answerA: string;
    answerB: string;
  },
): number {
  return Number(
    db
      .prepare(
        `INSERT INTO ab_votes (prompt, model_a_id, model_b_id, vote, analyst, created_at, task, blind, answer_a, answer_b)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        v.prompt,
        v.modelAId,
        v.modelBId,
        v.vote,
        v.analyst,
        Date.now(),
        v.task,
        v.blind ? 1 : 0,
        v.answerA,
        v.answerB,
      ).lastInsertRowid,
  );
}

interface VoteRow {
  model_a_id: number;
  model_b_id: number;
  vote: AbVote;
  analyst: string;
}

/**
 * Win rates per unordered model pair: the vote names a side, and the side names a model, so a pair's
 * counts do not depend on which side each model was shown on. Win rate = wins / decisive votes
 * (ties and "both bad" are counted but decide nothing), with a 95% Wilson interval.
 */
export function voteStats(db: Db, modelId?: number): { pairs: PairStats[]; analysts: AnalystCount[]; total: number } {
  const rows = (
    modelId === undefined
      ? db.prepare('SELECT model_a_id, model_b_id, vote, analyst FROM ab_votes ORDER BY id').all()
      : db
          .prepare(
            'SELECT model_a_id, model_b_id, vote, analyst FROM ab_votes WHERE model_a_id = ? OR model_b_id = ? ORDER BY id',
          )
          .all(modelId, modelId)
  ) as VoteRow[];
  const nameOf = db.prepare('SELECT name FROM models WHERE id = ?').pluck();
  const name = (id: number) => (nameOf.get(id) as string | undefined) ?? `Model ${id}`;
  const pairs = new Map<string, PairStats>();
  const analysts = new Map<string, AnalystCount>();
  for (const r of rows) {
    const x = Math.min(r.model_a_id, r.model_b_id);
    const y = Math.max(r.model_a_id, r.model_b_id);
    const key = `${x}:${y}`;
    let p = pairs.get(key);
    if (!p) {
      p = {
        modelX: { id: x, name: name(x) },
        modelY: { id: y, name: name(y) },
        xWins: 0,
        yWins: 0,
        ties: 0,
        bothBad: 0,
        total: 0,
        winRateX: null,
        interval: null,
      };
      pairs.set(key, p);
    }
    p.total++;
    if (r.vote === 'tie') p.ties++;
    else if (r.vote === 'both_bad') p.bothBad++;
    else {
      const winner = r.vote === 'a' ? r.model_a_id : r.model_b_id;
      if (winner === x) p.xWins++;
      else p.yWins++;
    }
    let a = analysts.get(r.analyst);
    if (!a) {
      a = { analyst: r.analyst, votes: 0, a: 0, b: 0, tie: 0, bothBad: 0 };
      analysts.set(r.analyst, a);
    }
    a.votes++;
    if (r.vote === 'a') a.a++;
    else if (r.vote === 'b') a.b++;
    else if (r.vote === 'tie') a.tie++;
    else a.bothBad++;
  }
  for (const p of pairs.values()) {
    const decisive = p.xWins + p.yWins;
    const w = wilsonInterval(p.xWins, decisive);
    p.winRateX = w ? w.p : null;
    p.interval = w ? { low: w.low, high: w.high } : null;
  }
  return {
    pairs: [...pairs.values()],
    analysts: [...analysts.values()].sort((a, b) => b.votes - a.votes || a.analyst.localeCompare(b.analyst)),
    total: rows.length,
  };
}
