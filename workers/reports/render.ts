/** Renders a report table as CSV (for spreadsheets) and as a self-contained HTML page (for people). */
import type { NormalisedReportRequest } from '../../core/report-request.js';
import type { Cell, ReportTable } from './queries.js';

/**
 * RFC 4180 quoting; text that a spreadsheet would run as a formula (=, +, -, @ first) is
 * prefixed with an apostrophe, so a gate name cannot smuggle a formula into someone's workbook.
 */
function csvCell(value: Cell): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

export function toCsv(table: ReportTable): string {
  const lines = [table.columns.map((c) => csvCell(c.label)).join(',')];
  for (const row of table.rows) lines.push(table.columns.map((c) => csvCell(row[c.key] ?? null)).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch] ?? ch);

const formatCell = (value: Cell): string => (value === null ? '—' : typeof value === 'number' ? value.toLocaleString('en-GB') : value);

export function toHtml(table: ReportTable, request: NormalisedReportRequest, generatedAt: Date): string {
  const head = table.columns.map((c) => `<th scope="col">${escapeHtml(c.label)}</th>`).join('');
  const body = table.rows
    .map(
      (row) =>
        `<tr>${table.columns.map((c) => `<td${typeof row[c.key] === 'number' ? ' class="n"' : ''}>${escapeHtml(formatCell(row[c.key] ?? null))}</td>`).join('')}</tr>`,
    )
    .join('\n');
  const totals = table.columns.some((c) => c.additive)
    ? `<tfoot><tr>${table.columns
        .map((c, i) =>
          c.additive
            ? `<td class="n">${formatCell(table.rows.reduce((sum, r) => sum + Number(r[c.key] ?? 0), 0))}</td>`
            : `<td>${i === 0 ? 'Total' : ''}</td>`,
        )
        .join('')}</tr></tfoot>`
    : '';
  const title = `${table.title}, ${request.range.from} to ${request.range.to}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse;margin-top:1rem}th,td{border:1px solid #ccc;padding:.3rem .6rem}
th{background:#f2f2f2;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}
tfoot td{font-weight:600;background:#fafafa}.meta{color:#555}
</style></head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="meta">Generated ${escapeHtml(generatedAt.toISOString())} · ${table.rows.length} rows · times in UTC</p>
${table.notes.map((n) => `<p class="meta">${escapeHtml(n)}</p>`).join('\n')}
<table><thead><tr>${head}</tr></thead>
<tbody>
${body || `<tr><td colspan="${table.columns.length}">No data in this range.</td></tr>`}
</tbody>${totals}</table>
</body></html>
`;
}
