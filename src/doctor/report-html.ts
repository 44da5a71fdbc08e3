/**
 * `--html FILE`: one self-contained page (inline CSS, inline SVG, a few
 * lines of inline JS, no network): a timeline of the sessions coloured by how
 * they ended, with the findings beside it, then benign lines and a session
 * table. The time axis is wall-clock time when the log has timestamps, else
 * line numbers.
 */
import type { Report, SessionReport } from './types.js';

const OUTCOME_FILL: Record<SessionReport['outcome'], string> = {
  ok: '#2e9d5b',
  dropped: '#d9822b',
  failed: '#d64545',
  open: '#3b82c4',
  partial: '#9aa3ad',
};

const SEV_FILL: Record<string, string> = { critical: '#d64545', error: '#d9822b', warning: '#c9a227', info: '#3b82c4' };

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

function lineNo(ref: string): number {
  const i = ref.lastIndexOf(':');
  return Number(ref.slice(i + 1)) || 0;
}

/** Renders the report as one HTML page. */
export function renderHtml(r: Report): string {
  const sessions = r.sessions.slice(0, 400);
  const timed = sessions.filter((s) => s.start && s.end);
  const useTime = timed.length === sessions.length && sessions.length > 0;
  const startOf = (s: SessionReport): number => (useTime ? Date.parse(`${s.start}Z`) : lineNo(s.firstLine));
  const endOf = (s: SessionReport): number => (useTime ? Date.parse(`${s.end}Z`) : lineNo(s.lastLine));
  const lo = sessions.length ? Math.min(...sessions.map(startOf)) : 0;
  const hi = sessions.length ? Math.max(...sessions.map(endOf)) : 1;
  const span = Math.max(hi - lo, 1);
  const W = 760;
  const left = 70;
  const rowH = 22;
  const H = 40 + sessions.length * rowH;
  const x = (v: number): number => left + ((v - lo) / span) * (W - left - 20);
  const bars = sessions
    .map((s, i) => {
      const y = 30 + i * rowH;
      const x0 = x(startOf(s));
      const w = Math.max(x(endOf(s)) - x0, 6);
      const tip = `#${s.id} ${s.kind} ${s.client ?? ''} ${s.outcome}${s.ended ? ` — ${s.ended.by}: ${s.ended.reason}` : ''}${s.causes.length ? ` — ${s.causes.join(', ')}` : ''}`;
      return `<g class="row" data-causes="${esc(s.causes.join(' '))}" data-id="${s.id}"><title>${esc(tip)}</title><text x="${left - 8}" y="${y + 14}" text-anchor="end" class="lbl">#${s.id}</text><rect x="${x0.toFixed(1)}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowH - 8}" rx="3" fill="${OUTCOME_FILL[s.outcome]}"/>${s.causes.length ? `<text x="${(x0 + w + 6).toFixed(1)}" y="${y + 14}" class="cause">${esc(s.causes[0]!)}</text>` : ''}</g>`;
    })
    .join('');
  const fmtAxis = (v: number): string => (useTime ? new Date(v).toISOString().slice(0, 19).replace('T', ' ') : `line ${v}`);
  const axis = `<text x="${left}" y="16" class="axis">${esc(fmtAxis(lo))}</text><text x="${W - 20}" y="16" text-anchor="end" class="axis">${esc(fmtAxis(hi))}</text><line x1="${left}" y1="22" x2="${W - 20}" y2="22" stroke="#ccd"/>`;
  const legend = (Object.keys(OUTCOME_FILL) as SessionReport['outcome'][])
    .map((k) => `<span class="key"><i style="background:${OUTCOME_FILL[k]}"></i>${k} (${r.summary[k]})</span>`)
    .join(' ');

  const findings = r.findings.length
    ? r.findings
        .map(
          (f, i) => `<section class="finding" data-cause="${esc(f.cause)}">
<h3><span class="sev" style="background:${SEV_FILL[f.severity]}">${esc(f.severity)}</span> ${i + 1}. <code>${esc(f.cause)}</code></h3>
<p class="title">${esc(f.title)}</p>
<p class="meta">category ${esc(f.category)} · confidence ${esc(f.confidence)} · ${f.sessionCount} session${f.sessionCount === 1 ? '' : 's'}${f.sessions.length ? ` (${f.sessions.slice(0, 12).map((n) => `#${n}`).join(' ')})` : ''}</p>
<details open><summary>Evidence</summary><pre>${f.evidence.map((e) => `<b>${esc(e.file)}:${e.line}</b>  ${esc(e.text)}`).join('\n')}</pre></details>
${f.detail ? `<p class="note">${esc(f.detail)}</p>` : ''}<details><summary>Why</summary><p>${esc(f.explanation)}</p></details>
<details open><summary>Fix</summary>${f.fix.map((s) => `<div class="fix"><b>${esc(s.target)}</b><pre>${esc(s.lines.join('\n'))}</pre>${s.note ? `<p class="note">${esc(s.note)}</p>` : ''}</div>`).join('')}</details>
</section>`,
        )
        .join('\n')
    : r.summary.coverage.verdict === 'ok'
      ? '<p class="ok">No findings: nothing in these logs points at a fault.</p>'
      : '<p>No findings, but doctor could not read most of these logs: it cannot say whether anything is wrong.</p>';

  const benign = r.benign.length
    ? `<h2>Harmless lines</h2><ul class="benign">${r.benign.map((b) => `<li><b>${esc(b.title)}</b> ×${b.count} <code>${esc(b.id)}</code><br><span>${esc(b.why)}</span>${b.examples[0] ? `<pre>${esc(`${b.examples[0].file}:${b.examples[0].line}  ${b.examples[0].text}`)}</pre>` : ''}</li>`).join('')}</ul>`
    : '';

  const rows = r.sessions
    .slice(0, 1000)
    .map(
      (s) =>
        `<tr><td>#${s.id}</td><td>${esc(s.kind)} ${esc(s.role)}</td><td>${esc(s.client ?? '')}</td><td>${esc(s.user ?? '')}</td><td>${esc(s.interface ?? '')}</td><td>${esc(s.start?.replace('T', ' ') ?? '')}</td><td>${s.connectSeconds ?? ''}</td><td><span class="dot" style="background:${OUTCOME_FILL[s.outcome]}"></span>${esc(s.outcome)}</td><td>${esc(s.ended ? `${s.ended.by}: ${s.ended.reason}` : '')}</td><td>${esc(s.causes.join(', '))}</td></tr>`,
    )
    .join('');

  const title = `tunppp doctor — ${r.inputs.map((i) => i.name).join(', ')}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d2630;background:#f5f7fa}
header{background:#1d2630;color:#fff;padding:14px 22px}header h1{font-size:18px;margin:0}header p{margin:4px 0 0;color:#c4ccd6}
main{display:grid;grid-template-columns:minmax(420px,800px) minmax(360px,1fr);gap:18px;padding:18px 22px}
.card{background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.12);padding:14px 16px;overflow:auto}
h2{font-size:16px;margin:4px 0 10px}h3{font-size:15px;margin:0 0 4px}
.lbl{font-size:11px;fill:#5b6774}.axis{font-size:11px;fill:#5b6774}.cause{font-size:11px;fill:#1d2630}
.row{cursor:pointer}.row.hl rect{stroke:#1d2630;stroke-width:2}
.key{margin-right:10px;font-size:12px}.key i{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:4px;vertical-align:-1px}
.finding{border-left:4px solid #dde3ea;padding:6px 10px;margin:0 0 14px}.finding.hl{border-left-color:#1d2630;background:#f0f4f8}
.sev{color:#fff;border-radius:3px;padding:1px 6px;font-size:11px;text-transform:uppercase;vertical-align:2px}
.title{margin:2px 0}.meta{color:#5b6774;font-size:12px;margin:2px 0 6px}
pre{background:#f3f5f8;border-radius:4px;padding:6px 8px;overflow:auto;font-size:12px;margin:4px 0;white-space:pre-wrap;overflow-wrap:anywhere}
summary{cursor:pointer;font-weight:600;font-size:13px}.fix b{font-size:12px}.note{font-size:12px;color:#5b6774;margin:2px 0}
.benign li{margin-bottom:8px}.benign span{color:#5b6774;font-size:12px}
table{border-collapse:collapse;width:100%;font-size:12px}td,th{border-bottom:1px solid #e3e8ee;padding:4px 6px;text-align:left;vertical-align:top}
.dot{display:inline-block;width:8px;height:8px;border-radius:50%;margin-right:4px}.ok{color:#2e9d5b;font-weight:600}
.wide{grid-column:1/-1}
</style></head><body>
<header><h1>${esc(title)}</h1><p>${r.stats.lines} lines · ${r.summary.sessions} sessions (${r.summary.ok} ok, ${r.summary.dropped} dropped, ${r.summary.failed} failed, ${r.summary.open} open, ${r.summary.partial} partial) · ${r.findings.length} finding${r.findings.length === 1 ? '' : 's'}${r.summary.topCause ? ` · top cause <b>${esc(r.summary.topCause)}</b>` : ''}</p></header>
<main>
<div class="card"><h2>Timeline</h2><div>${legend}</div>
<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="session timeline">${axis}${bars}</svg>
${r.sessions.length > sessions.length ? `<p class="meta">${r.sessions.length - sessions.length} more sessions in the table below.</p>` : ''}
${benign}</div>
<div class="card"><h2>Findings</h2>${r.summary.coverage.message ? `<p class="note"><b>Warning:</b> ${esc(r.summary.coverage.message)}</p>${r.summary.coverage.example ? `<pre>${esc(`${r.summary.coverage.example.file}:${r.summary.coverage.example.line}  ${r.summary.coverage.example.text}`)}</pre>` : ''}` : ''}${findings}</div>
<div class="card wide"><h2>Sessions</h2><table><thead><tr><th>id</th><th>kind</th><th>peer</th><th>user</th><th>if</th><th>start</th><th>s</th><th>outcome</th><th>ended</th><th>causes</th></tr></thead><tbody>${rows}</tbody></table></div>
</main>
<script>
document.querySelectorAll('.row').forEach(function(g){g.addEventListener('click',function(){
 var causes=(g.getAttribute('data-causes')||'').split(' ');
 document.querySelectorAll('.row').forEach(function(x){x.classList.toggle('hl',x===g)});
 document.querySelectorAll('.finding').forEach(function(f){var on=causes.indexOf(f.getAttribute('data-cause'))>=0;f.classList.toggle('hl',on);if(on)f.scrollIntoView({block:'nearest'})});
})});
</script>
</body></html>
`;
}
