import fs from 'node:fs';
import path from 'node:path';
import type { DemoLabelScores, DemoModelResult, DemoResult } from './demoLoop';

/**
 * The demo's report: Markdown, a self-contained HTML page (inline SVG charts, no scripts, no network),
 * the fine-tuned model's card (Markdown and JSON) and every number as JSON.
 */

export const DEMO_LABELS = ['verdict', 'severity', 'technique'] as const;
export type DemoLabel = (typeof DEMO_LABELS)[number];

const MODEL_KEYS = ['majority', 'base', 'finetuned'] as const;
const MODEL_TITLES: Record<(typeof MODEL_KEYS)[number], string> = {
  majority: 'majority class',
  base: 'base model',
  finetuned: 'fine-tuned',
};
const MODEL_COLOURS: Record<(typeof MODEL_KEYS)[number], string> = {
  majority: '#9aa0a6',
  base: '#f29900',
  finetuned: '#1a73e8',
};

export interface DemoReportFiles {
  markdown: string;
  html: string;
  cardMarkdown: string;
  cardJson: string;
  results: string;
}

export function pct(v: number | null | undefined): string {
  return v === null || v === undefined ? '—' : `${(v * 100).toFixed(1)}%`;
}

function cell(s: DemoLabelScores): string {
  return `${pct(s.accuracy)} / ${pct(s.macroF1)}`;
}

/** The table the terminal, the Markdown and the README show: accuracy / macro-F1 per label and model. */
export function resultsTable(r: DemoResult): string {
  const rows = [
    '| label | majority class | base model | fine-tuned |',
    '| --- | --- | --- | --- |',
    ...DEMO_LABELS.map(
      (l) =>
        `| ${l} | ${cell(r.models.majority[l])} | ${cell(r.models.base[l])} | **${cell(r.models.finetuned[l])}** |`,
    ),
    `| recall on critical | ${pct(r.models.majority.criticalRecall)} | ${pct(r.models.base.criticalRecall)} | ${pct(r.models.finetuned.criticalRecall)} |`,
    `| invalid answers | ${pct(r.models.majority.invalidRate)} | ${pct(r.models.base.invalidRate)} | ${pct(r.models.finetuned.invalidRate)} |`,
  ];
  return rows.join('\n');
}

/** The same numbers as fixed-width text for the terminal. */
export function resultsText(r: DemoResult): string {
  const w = 20;
  const head = ['', ...MODEL_KEYS.map((k) => MODEL_TITLES[k])].map((s, i) => (i ? s.padStart(w) : s.padEnd(18)));
  const lines = [head.join('')];
  for (const l of DEMO_LABELS) {
    lines.push([`${l} acc / F1`.padEnd(18), ...MODEL_KEYS.map((k) => cell(r.models[k][l]).padStart(w))].join(''));
  }
  lines.push(
    ['critical recall'.padEnd(18), ...MODEL_KEYS.map((k) => pct(r.models[k].criticalRecall).padStart(w))].join(''),
  );
  return lines.join('\n');
}

function minutes(s: number): string {
  return s >= 60 ? `${Math.floor(s / 60)} min ${Math.round(s % 60)} s` : `${s.toFixed(0)} s`;
}

function describeRun(r: DemoResult): string[] {
  const h = r.config.hyperparameters;
  return [
    `* Seed ${r.config.seed}${r.config.short ? ', short (CI) configuration' : ''}; workspace \`${r.dataDir}\`; whole run ${minutes(r.wallSeconds)}.`,
    `* ${r.examples.samples} labelled samples → ${r.examples.imported} imported examples (${r.examples.duplicates} exact duplicates merged) → ${r.examples.approved} approved.`,
    `* Dataset "${r.dataset.name}" (version #${r.dataset.versionId}, \`${r.dataset.contentHash}\`): train ${r.dataset.counts.train}, validation ${r.dataset.counts.validation}, test ${r.dataset.counts.test}; ${r.dataset.groups} rule/event groups, ${r.dataset.leakedGroups} in more than one split.`,
    `* Base: ${r.base.params.toLocaleString('en-US')} parameters, vocabulary ${r.base.vocabSize} (${r.base.cached ? 'cached' : `built in ${minutes(r.base.buildSeconds)}`}).`,
    `* Fine-tune: job #${r.job.id}, ${h.epochs} epochs, learning rate ${h.learningRate} (${h.lrSchedule}), ${h.batchSize} examples a step, loss on the answer only; ${r.job.steps ?? '?'} steps in ${minutes(r.job.seconds)}${r.job.tokensPerS ? ` at ${Math.round(r.job.tokensPerS).toLocaleString('en-US')} tokens/s` : ''}; loss ${r.job.firstLoss?.toFixed(3) ?? '—'} → ${r.job.lastLoss?.toFixed(3) ?? '—'}.`,
    `* Majority class of the train split: \`${r.majorityAnswer.verdict}\`, \`${r.majorityAnswer.severity}\`, \`${r.majorityAnswer.technique}\`.`,
  ];
}

export function demoMarkdown(r: DemoResult): string {
  const stages = Object.entries(r.stageSeconds)
    .map(([s, t]) => `${s} ${minutes(t ?? 0)}`)
    .join(', ');
  return [
    '# Triage Workbench demo: does the local fine-tune beat its base?',
    '',
    `Held-out test split (${r.dataset.counts.test} examples from rules and events never trained on), evaluation #${r.evaluationId}. Accuracy / macro-F1:`,
    '',
    resultsTable(r),
    '',
    '## The run',
    '',
    ...describeRun(r),
    `* Time per stage: ${stages}.`,
    '',
    '## Per-class recall (fine-tuned)',
    '',
    ...DEMO_LABELS.map((l) => {
      const per = r.models.finetuned.metrics.fields[l].perClass.filter((c) => c.support > 0);
      return `* ${l}: ${per.map((c) => `${c.label} ${pct(c.recall)} (${c.support})`).join(', ')}`;
    }),
    '',
    '## Model card',
    '',
    r.card.markdown.replace(/^#/gm, '##'),
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// HTML with inline SVG

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Grouped bars: one group per label, one bar per model, 0–100%. */
export function barChartSvg(title: string, r: DemoResult, metric: 'accuracy' | 'macroF1'): string {
  const W = 520;
  const H = 240;
  const left = 40;
  const bottom = 200;
  const top = 30;
  const groupW = (W - left - 10) / DEMO_LABELS.length;
  const barW = groupW / (MODEL_KEYS.length + 1);
  const y = (v: number) => bottom - v * (bottom - top);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(title)}">`,
    `<text x="${left}" y="18" font-size="14" font-weight="600">${esc(title)}</text>`,
  ];
  for (const t of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(
      `<line x1="${left}" x2="${W - 10}" y1="${y(t)}" y2="${y(t)}" stroke="#e0e0e0"/>`,
      `<text x="${left - 6}" y="${y(t) + 4}" font-size="10" text-anchor="end">${t * 100}%</text>`,
    );
  }
  DEMO_LABELS.forEach((l, gi) => {
    const gx = left + gi * groupW + barW / 2;
    MODEL_KEYS.forEach((k, mi) => {
      const v = r.models[k][l][metric] ?? 0;
      const x = gx + mi * barW;
      parts.push(
        `<rect x="${x.toFixed(1)}" y="${y(v).toFixed(1)}" width="${(barW - 4).toFixed(1)}" height="${(bottom - y(v)).toFixed(1)}" fill="${MODEL_COLOURS[k]}"><title>${esc(`${MODEL_TITLES[k]} ${l}: ${pct(v)}`)}</title></rect>`,
        `<text x="${(x + (barW - 4) / 2).toFixed(1)}" y="${(y(v) - 3).toFixed(1)}" font-size="9" text-anchor="middle">${(v * 100).toFixed(0)}</text>`,
      );
    });
    parts.push(
      `<text x="${(gx + (MODEL_KEYS.length * barW) / 2).toFixed(1)}" y="${bottom + 16}" font-size="12" text-anchor="middle">${l}</text>`,
    );
  });
  MODEL_KEYS.forEach((k, i) => {
    const x = left + i * 150;
    parts.push(
      `<rect x="${x}" y="${H - 18}" width="10" height="10" fill="${MODEL_COLOURS[k]}"/>`,
      `<text x="${x + 14}" y="${H - 9}" font-size="11">${MODEL_TITLES[k]}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('');
}

/** The fine-tuned model's confusion matrix of one label as a small heat map. */
export function confusionSvg(m: DemoModelResult, label: DemoLabel): string {
  const { labels, cells } = m.metrics.fields[label].confusion;
  // keep the rows that occur and the columns that were predicted, so technique's many classes stay readable
  const rows = labels.map((_, i) => i).filter((i) => cells[i]!.some((c) => c > 0));
  const cols = labels.map((_, j) => j).filter((j) => rows.some((i) => cells[i]![j]! > 0));
  const size = Math.max(12, Math.min(28, Math.floor(420 / Math.max(1, cols.length))));
  const left = 110;
  const top = 90;
  const W = Math.max(left + cols.length * size + 10, 330); // room for the title
  const H = top + rows.length * size + 10;
  const max = Math.max(1, ...rows.flatMap((i) => cols.map((j) => cells[i]![j]!)));
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="confusion matrix, ${label}">`,
    `<text x="0" y="14" font-size="13" font-weight="600">${esc(label)}: expected (rows) × predicted (columns)</text>`,
  ];
  cols.forEach((j, cj) => {
    const x = left + cj * size + size / 2;
    parts.push(
      `<text transform="translate(${x.toFixed(1)},${top - 4}) rotate(-60)" font-size="9">${esc(labels[j]!)}</text>`,
    );
  });
  rows.forEach((i, ri) => {
    const yy = top + ri * size;
    parts.push(
      `<text x="${left - 4}" y="${yy + size / 2 + 3}" font-size="9" text-anchor="end">${esc(labels[i]!)}</text>`,
    );
    cols.forEach((j, cj) => {
      const v = cells[i]![j]!;
      const a = v / max;
      const fill =
        i === j ? `rgba(26,115,232,${(0.15 + 0.85 * a).toFixed(2)})` : `rgba(217,48,37,${(a * 0.9).toFixed(2)})`;
      parts.push(
        `<rect x="${left + cj * size}" y="${yy}" width="${size - 1}" height="${size - 1}" fill="${v ? fill : '#f5f5f5'}"><title>${esc(`${labels[i]} → ${labels[j]}: ${v}`)}</title></rect>`,
      );
      if (v && size >= 16) {
        parts.push(
          `<text x="${left + cj * size + size / 2}" y="${yy + size / 2 + 3}" font-size="9" text-anchor="middle">${v}</text>`,
        );
      }
    });
  });
  parts.push('</svg>');
  return parts.join('');
}

function htmlTable(r: DemoResult): string {
  const th = ['label', ...MODEL_KEYS.map((k) => MODEL_TITLES[k])].map((h) => `<th>${esc(h)}</th>`).join('');
  const rows = DEMO_LABELS.map(
    (l) =>
      `<tr><td>${l}</td>${MODEL_KEYS.map((k) => `<td${k === 'finetuned' ? ' class="ft"' : ''}>${esc(cell(r.models[k][l]))}</td>`).join('')}</tr>`,
  );
  rows.push(
    `<tr><td>recall on critical</td>${MODEL_KEYS.map((k) => `<td>${pct(r.models[k].criticalRecall)}</td>`).join('')}</tr>`,
    `<tr><td>invalid answers</td>${MODEL_KEYS.map((k) => `<td>${pct(r.models[k].invalidRate)}</td>`).join('')}</tr>`,
  );
  return `<table><thead><tr>${th}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function inlineMarkdown(s: string): string {
  return esc(s)
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
    .replace(/`([^`]+)`/g, '<code>$1</code>');
}

export function demoHtml(r: DemoResult): string {
  const list = (items: string[]) =>
    `<ul>${items.map((i) => `<li>${inlineMarkdown(i.replace(/^\* /, ''))}</li>`).join('')}</ul>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>Triage Workbench demo report</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;max-width:1000px;margin:2em auto;padding:0 1em;color:#202124}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #dadce0;padding:4px 10px;text-align:right}
td:first-child,th:first-child{text-align:left}td.ft{font-weight:600}
.charts{display:flex;flex-wrap:wrap;gap:16px}pre{background:#f8f9fa;padding:1em;overflow:auto;white-space:pre-wrap}
</style></head><body>
<h1>Does the local fine-tune beat its base?</h1>
<p>Held-out test split: ${r.dataset.counts.test} examples from rules and events the model never trained on (evaluation #${r.evaluationId}). Accuracy / macro-F1.</p>
${htmlTable(r)}
<div class="charts">${barChartSvg('Accuracy', r, 'accuracy')}${barChartSvg('Macro-F1', r, 'macroF1')}</div>
<h2>The run</h2>
${list(describeRun(r))}
<h2>Fine-tuned model: confusion matrices</h2>
<div class="charts">${DEMO_LABELS.map((l) => confusionSvg(r.models.finetuned, l)).join('')}</div>
<h2>Model card</h2>
<pre>${esc(r.card.markdown)}</pre>
</body></html>
`;
}

export function demoCardMarkdown(r: DemoResult): string {
  const h = r.config.hyperparameters;
  return [
    r.card.markdown.trimEnd(),
    '',
    '## Demo run',
    '',
    `* Base: model #${r.base.modelId} (${r.base.params.toLocaleString('en-US')} parameters, vocabulary ${r.base.vocabSize}), pre-trained on ATT&CK and Sigma text without the held-out rules.`,
    `* Dataset version #${r.dataset.versionId}, content hash \`${r.dataset.contentHash}\`: train ${r.dataset.counts.train}, validation ${r.dataset.counts.validation}, test ${r.dataset.counts.test}.`,
    `* Job #${r.job.id}: epochs ${h.epochs}, learning rate ${h.learningRate} (${h.lrSchedule}), batch ${h.batchSize}, optimizer ${h.optimizer}, loss on the answer tokens only.`,
    `* Held-out test (evaluation #${r.evaluationId}), accuracy / macro-F1:`,
    '',
    resultsTable(r),
    '',
  ].join('\n');
}

/** Writes the report files into `outDir` (created when missing); returns their paths. */
export function writeDemoReport(r: DemoResult, outDir: string): DemoReportFiles {
  fs.mkdirSync(outDir, { recursive: true });
  const files: DemoReportFiles = {
    markdown: path.join(outDir, 'report.md'),
    html: path.join(outDir, 'report.html'),
    cardMarkdown: path.join(outDir, 'model-card.md'),
    cardJson: path.join(outDir, 'model-card.json'),
    results: path.join(outDir, 'results.json'),
  };
  fs.writeFileSync(files.markdown, demoMarkdown(r));
  fs.writeFileSync(files.html, demoHtml(r));
  fs.writeFileSync(files.cardMarkdown, demoCardMarkdown(r));
  const { markdown: _md, ...cardData } = r.card;
  fs.writeFileSync(
    files.cardJson,
    JSON.stringify(
      {
        ...cardData,
        demo: {
          base: r.base,
          dataset: r.dataset,
          job: r.job,
          hyperparameters: r.config.hyperparameters,
          heldOut: {
            evaluationId: r.evaluationId,
            majority: summary(r.models.majority),
            base: summary(r.models.base),
            finetuned: summary(r.models.finetuned),
          },
        },
      },
      null,
      2,
    ),
  );
  fs.writeFileSync(files.results, JSON.stringify(r, null, 2));
  return files;
}

function summary(m: DemoModelResult) {
  return {
    name: m.name,
    modelId: m.modelId,
    verdict: m.verdict,
    severity: m.severity,
    technique: m.technique,
    criticalRecall: m.criticalRecall,
    invalidRate: m.invalidRate,
  };
}
