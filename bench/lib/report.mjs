// results.json → BENCHMARKS.md tables (ratios to Nexxo) and one SVG bar chart per metric.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { median } from './measure.mjs';

export const METRICS = [
  { key: 'buildCold', label: 'build, cold', unit: 's', scale: 1, digits: 2 },
  { key: 'buildWarm', label: 'build, warm cache', unit: 's', scale: 1, digits: 2 },
  { key: 'buildRss', label: 'build peak RSS', unit: 'MiB', scale: 1 / 1048576, digits: 0 },
  { key: 'outRaw', label: 'JS+CSS size', unit: 'kB', scale: 1 / 1000, digits: 1 },
  { key: 'outGzip', label: 'JS+CSS gzip', unit: 'kB', scale: 1 / 1000, digits: 1 },
  { key: 'devCold', label: 'dev start → rendered, cold', unit: 's', scale: 1, digits: 2 },
  { key: 'devWarm', label: 'dev start → rendered, warm', unit: 's', scale: 1, digits: 2 },
  { key: 'hmrRoot', label: 'HMR root edit → DOM', unit: 'ms', scale: 1, digits: 0 },
  { key: 'hmrLeaf', label: 'HMR leaf edit → DOM', unit: 'ms', scale: 1, digits: 0 },
  { key: 'devRss', label: 'dev server RSS after HMR', unit: 'MiB', scale: 1 / 1048576, digits: 0 },
];

/** The median value of a metric for one tool, or a reason string. */
export function valueOf(result, key) {
  if (!result) return 'not run';
  if (result.notes?.[key]) return result.notes[key];
  const samples = result.samples?.[key];
  if (!samples || samples.length === 0) return 'not measured';
  return median(samples);
}

function format(value, metric) {
  return (value * metric.scale).toFixed(metric.digits);
}

function chart(appName, metric, rows) {
  const numeric = rows.filter((r) => typeof r.value === 'number');
  if (numeric.length === 0) return null;
  const max = Math.max(...numeric.map((r) => r.value));
  const barHeight = 22;
  const width = 640;
  const labelWidth = 90;
  const height = rows.length * (barHeight + 6) + 40;
  const bars = rows
    .map((row, index) => {
      const y = 30 + index * (barHeight + 6);
      const label = `<text x="${labelWidth - 8}" y="${y + 15}" text-anchor="end" font-size="12">${row.tool}</text>`;
      if (typeof row.value !== 'number') {
        return `${label}<text x="${labelWidth + 4}" y="${y + 15}" font-size="11" fill="#777">${escapeXml(row.value)}</text>`;
      }
      const barWidth = Math.max(1, ((width - labelWidth - 120) * row.value) / max);
      const color = row.tool === 'nexxo' ? '#6d28d9' : '#94a3b8';
      return `${label}<rect x="${labelWidth}" y="${y}" width="${barWidth.toFixed(1)}" height="${barHeight}" fill="${color}"/><text x="${labelWidth + barWidth + 6}" y="${y + 15}" font-size="11">${format(row.value, metric)} ${metric.unit}</text>`;
    })
    .join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="system-ui, sans-serif">
<text x="8" y="18" font-size="13" font-weight="bold">${escapeXml(`${appName}: ${metric.label} (lower is better)`)}</text>
${bars}
</svg>
`;
}

function escapeXml(text) {
  return String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Writes the SVG charts next to results.json and returns the BENCHMARKS.md text. */
export function writeReport(results, resultsDir, markdownPath) {
  const relative = (file) => path.relative(path.dirname(markdownPath), file).split(path.sep).join('/');
  const lines = [
    '# Benchmarks',
    '',
    `Measured ${results.date} on ${results.machine.cpu} (${results.machine.cores} cores, ${results.machine.memoryGiB} GiB RAM, ${results.machine.os}), Node ${results.machine.node}. Each cell is the median of the runs its section names, tools interleaved run by run; cold runs start with each tool's caches removed. Rerun with \`bench/README.md\`. Raw data: [${relative(path.join(resultsDir, 'results.json'))}](${relative(path.join(resultsDir, 'results.json'))}).`,
    '',
    'Tool versions: ' + Object.entries(results.tools).map(([name, version]) => `${name} ${version}`).join(', ') + '.',
    '',
    'Cells show the median and, in brackets, the ratio to Nexxo (above 1 means slower or bigger than Nexxo).',
    '',
  ];
  for (const [appName, app] of Object.entries(results.apps)) {
    // Sections carried from an earlier results file keep the date they were measured.
    const when = `Measured ${app.date ?? results.date}, median of ${app.runs ?? results.runs} run(s).`;
    lines.push(`## ${appName}`, '', `${app.description} ${when}`, '');
    if (app.note) lines.push(app.note, '');
    // A column appears when some tool measured it or failed at it (failures must show).
    const metrics = METRICS.filter((m) =>
      Object.values(app.tools).some((r) => {
        const value = valueOf(r, m.key);
        return typeof value === 'number' || value.startsWith('failed');
      }),
    );
    lines.push(`| tool | ${metrics.map((m) => `${m.label} (${m.unit})`).join(' | ')} |`);
    lines.push(`|---|${metrics.map(() => '---').join('|')}|`);
    for (const [tool, result] of Object.entries(app.tools)) {
      const cells = metrics.map((metric) => {
        const value = valueOf(result, metric.key);
        if (typeof value !== 'number') return value;
        const base = valueOf(app.tools.nexxo, metric.key);
        const ratio = typeof base === 'number' && base > 0 && tool !== 'nexxo' ? ` (×${(value / base).toFixed(2)})` : '';
        return `${format(value, metric)}${ratio}`;
      });
      lines.push(`| ${tool} | ${cells.join(' | ')} |`);
    }
    lines.push('');
    for (const metric of metrics) {
      const rows = Object.entries(app.tools).map(([tool, result]) => ({ tool, value: valueOf(result, metric.key) }));
      const svg = chart(appName, metric, rows);
      if (!svg) continue;
      const file = path.join(resultsDir, appName, `${metric.key}.svg`);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, svg);
      lines.push(`![${appName}: ${metric.label}](${relative(file)})`);
    }
    lines.push('');
  }
  return lines.join('\n');
}
