import fs from 'node:fs';
import { z } from 'zod';
import type { AttackTactic, AttackTechnique, AttackTechniqueSummary } from '../contract/index';
import { resourcePath } from '../core/resources';

export const ATTACK_VERSION = '18.1';
const CATALOGUE_FILE = ['attack', 'enterprise-attack-v18.1.json'] as const;

// The shipped file is still input from outside the code: parse it rather than trust it.
const CatalogueFile = z.object({
  source: z.string(),
  tactics: z.array(z.object({ id: z.string(), shortname: z.string(), name: z.string() })),
  techniques: z.array(
    z.object({
      id: z.string().regex(/^T\d{4}(\.\d{3})?$/),
      name: z.string(),
      tactics: z.array(z.string()),
      platforms: z.array(z.string()).default([]),
      subtechnique: z.boolean(),
      deprecated: z.boolean(),
      summary: z.string().default(''),
      url: z.string().default(''),
    }),
  ),
});

interface Entry {
  technique: AttackTechnique;
  /** Lower-cased words of the name and the parent's name, for word-prefix matching. */
  words: string[];
  nameLower: string;
  fullNameLower: string;
}

export interface SearchOptions {
  limit: number;
  includeDeprecated?: boolean;
}

/** The ATT&CK Enterprise catalogue with its search index, built once in memory. */
export class AttackCatalogue {
  readonly version = ATTACK_VERSION;
  readonly tactics: readonly AttackTactic[];
  private readonly byId = new Map<string, Entry>();
  /** Sorted by id, so an id prefix is a contiguous run. */
  private readonly sorted: Entry[];
  private readonly tacticByShortname = new Map<string, AttackTactic>();

  constructor(raw: unknown) {
    const file = CatalogueFile.parse(raw);
    this.tactics = file.tactics.map((t) => ({ id: t.id, shortname: t.shortname, name: t.name }));
    for (const t of this.tactics) this.tacticByShortname.set(t.shortname, t);
    const names = new Map(file.techniques.map((t) => [t.id, t.name]));
    for (const t of file.techniques) {
      const parentName = t.subtechnique ? (names.get(t.id.slice(0, 5)) ?? null) : null;
      const technique: AttackTechnique = {
        id: t.id,
        name: t.name,
        parentName,
        tactics: t.tactics.map((s) => this.tacticByShortname.get(s)).filter((x): x is AttackTactic => !!x),
        subtechnique: t.subtechnique,
        deprecated: t.deprecated,
        platforms: t.platforms,
        summary: t.summary,
        url: t.url,
      };
      const fullName = parentName ? `${parentName}: ${t.name}` : t.name;
      this.byId.set(t.id, {
        technique,
        words: tokenize(fullName),
        nameLower: t.name.toLowerCase(),
        fullNameLower: fullName.toLowerCase(),
      });
    }
    this.sorted = [...this.byId.values()].sort((a, b) => (a.technique.id < b.technique.id ? -1 : 1));
  }

  get size(): number {
    return this.byId.size;
  }

  get(id: string): AttackTechnique | null {
    return this.byId.get(id.trim().toUpperCase())?.technique ?? null;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  tactic(idOrShortname: string): AttackTactic | null {
    return this.tacticByShortname.get(idOrShortname) ?? this.tactics.find((t) => t.id === idOrShortname) ?? null;
  }

  /** Technique ids (and their sub-techniques) that belong to a tactic. */
  techniquesOfTactic(tacticId: string): string[] {
    const out: string[] = [];
    for (const e of this.sorted) if (e.technique.tactics.some((t) => t.id === tacticId)) out.push(e.technique.id);
    return out;
  }

  /**
   * Ranked search: an exact id first, then id prefixes (`T1059` also finds `T1059.001`), then names —
   * the whole query at the start of the name, then every query word starting a word of the name,
   * then a plain substring. Parents before their sub-techniques; deprecated ones only when asked.
   */
  search(query: string, opts: SearchOptions): { items: AttackTechniqueSummary[]; total: number } {
    const q = query.trim();
    const candidates: { e: Entry; score: number }[] = [];
    const keep = (e: Entry) => opts.includeDeprecated || !e.technique.deprecated;
    if (!q) {
      for (const e of this.sorted) if (keep(e) && !e.technique.subtechnique) candidates.push({ e, score: 0 });
      return this.page(candidates, opts.limit);
    }
    const idPrefix = toIdPrefix(q);
    if (idPrefix) {
      for (const e of this.prefixRun(idPrefix)) {
        if (!keep(e)) continue;
        candidates.push({ e, score: e.technique.id === idPrefix ? 1000 : 900 - e.technique.id.length });
      }
      return this.page(candidates, opts.limit);
    }
    const ql = q.toLowerCase();
    const qWords = tokenize(q);
    for (const e of this.sorted) {
      if (!keep(e)) continue;
      let score = 0;
      if (e.nameLower === ql || e.fullNameLower === ql) score = 800;
      else if (e.nameLower.startsWith(ql)) score = 700;
      else if (e.fullNameLower.startsWith(ql)) score = 650;
      else if (qWords.length && qWords.every((w) => e.words.some((x) => x.startsWith(w)))) score = 500;
      else if (e.fullNameLower.includes(ql)) score = 300;
      if (score === 0) continue;
      if (!e.technique.subtechnique) score += 10;
      candidates.push({ e, score });
    }
    return this.page(candidates, opts.limit);
  }

  private prefixRun(prefix: string): Entry[] {
    // Binary search for the first id >= prefix, then walk while ids still start with it.
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.sorted[mid]!.technique.id < prefix) lo = mid + 1;
      else hi = mid;
    }
    const out: Entry[] = [];
    for (let i = lo; i < this.sorted.length && this.sorted[i]!.technique.id.startsWith(prefix); i++)
      out.push(this.sorted[i]!);
    return out;
  }

  private page(candidates: { e: Entry; score: number }[], limit: number) {
    candidates.sort((a, b) => b.score - a.score || (a.e.technique.id < b.e.technique.id ? -1 : 1));
    return { items: candidates.slice(0, limit).map((c) => summary(c.e.technique)), total: candidates.length };
  }
}

function summary(t: AttackTechnique): AttackTechniqueSummary {
  return {
    id: t.id,
    name: t.name,
    parentName: t.parentName,
    tactics: t.tactics,
    subtechnique: t.subtechnique,
    deprecated: t.deprecated,
  };
}

function tokenize(s: string): string[] {
  return s
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

/** `t1059`, `T1059.0`, `1059` → an id prefix; anything with letters beyond the leading T is a name query. */
function toIdPrefix(q: string): string | null {
  const s = q.replace(/\s+/g, '').toUpperCase();
  if (/^T\d{0,4}(\.\d{0,3})?$/.test(s) && s.length > 1) return s;
  if (/^\d{1,4}(\.\d{0,3})?$/.test(s)) return `T${s}`;
  return null;
}

let shared: AttackCatalogue | null = null;

/** The shipped catalogue, read and indexed on first use and kept for the life of the process. */
export function attackCatalogue(): AttackCatalogue {
  if (!shared) {
    const text = fs.readFileSync(resourcePath(...CATALOGUE_FILE), 'utf8');
    shared = new AttackCatalogue(JSON.parse(text) as unknown);
  }
  return shared;
}
