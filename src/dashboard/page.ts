/**
 * The dashboard: one self-contained HTML page (inline CSS and script, no
 * external requests, so it works on a host without network access) served by
 * the API at `/`. It polls the API every 2 s and shows the live sessions
 * with a disconnect button, a throughput graph (total and per session, the
 * last 5 minutes, drawn on a canvas), recent authentication failures and the
 * `tunppp doctor` findings on the server's own log.
 *
 * Every value from the server is inserted with textContent, never as HTML.
 */

const CSS = `
:root{--bg:#f4f6f8;--card:#fff;--ink:#1d2733;--muted:#6a7785;--line:#e1e6eb;--accent:#1f6feb;--in:#1f883d;--out:#8250df;--bad:#cf222e;--warn:#9a6700}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:var(--bg);color:var(--ink)}
header{background:#0d1b2a;color:#fff;padding:12px 24px;display:flex;align-items:baseline;gap:24px;flex-wrap:wrap}
header h1{font-size:18px;margin:0;font-weight:600}
header .meta{color:#b6c2cf;font-size:13px}
header .dot{display:inline-block;width:9px;height:9px;border-radius:50%;background:#3fb950;margin-right:6px}
header .dot.off{background:var(--bad)}
main{padding:16px 24px;display:grid;grid-template-columns:repeat(12,1fr);gap:16px}
section{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:14px 16px;min-width:0}
section h2{font-size:14px;margin:0 0 10px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);font-weight:600}
.tiles{grid-column:span 12;display:grid;grid-template-columns:repeat(6,1fr);gap:16px;background:none;border:0;padding:0}
.tile{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 14px}
.tile .v{font-size:22px;font-weight:600}
.tile .k{color:var(--muted);font-size:12px}
.graph{grid-column:span 12}
.sessions{grid-column:span 12}
.auth{grid-column:span 5}
.doctor{grid-column:span 7}
canvas{width:100%;height:220px;display:block}
.legend{display:flex;gap:14px;flex-wrap:wrap;font-size:12px;color:var(--muted);margin-top:6px}
.legend i{display:inline-block;width:12px;height:3px;margin-right:5px;vertical-align:middle}
table{width:100%;border-collapse:collapse;font-size:13px}
th{text-align:left;color:var(--muted);font-weight:600;border-bottom:1px solid var(--line);padding:6px 8px;white-space:nowrap}
td{border-bottom:1px solid var(--line);padding:6px 8px;white-space:nowrap}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
tr:last-child td{border-bottom:0}
.empty{color:var(--muted);padding:10px 0}
.pill{display:inline-block;border-radius:10px;padding:0 8px;font-size:12px;background:#ddf4e4;color:var(--in)}
.pill.starting{background:#fff8c5;color:var(--warn)}
button{font:inherit;font-size:12px;border:1px solid var(--line);background:#f6f8fa;border-radius:6px;padding:2px 10px;cursor:pointer}
button:hover{border-color:var(--bad);color:var(--bad)}
.finding{border-left:4px solid var(--warn);padding:6px 10px;margin-bottom:10px;background:#fffdf3}
.finding.critical,.finding.error{border-color:var(--bad);background:#fff6f6}
.finding.info{border-color:var(--accent);background:#f5f9ff}
.finding b{display:block}
.finding .ex{color:var(--muted);font-size:13px;margin:4px 0}
.finding pre{margin:4px 0 0;font-size:12px;background:#f6f8fa;padding:6px;border-radius:4px;white-space:pre-wrap}
.ok{color:var(--in)}
.err{color:var(--bad)}
footer{color:var(--muted);font-size:12px;padding:0 24px 16px}
@media (max-width:900px){.auth,.doctor{grid-column:span 12}.tiles{grid-template-columns:repeat(3,1fr)}}
`;

// Plain ES2020, no template literals (this file embeds it in one).
const SCRIPT = `
'use strict';
var POLL_MS = 2000, WINDOW_S = 300, COLORS = ['#0969da','#cf222e','#bf8700','#0598bc','#d63384','#e16f24','#6e7781','#7d8c00'];
var hist = [];          // {t, total: {in, out}, per: {id: bitsPerSecond}}
var prev = null;        // {t, bytes: {id: {in, out}}}
var names = {};
var shown = [];         // the sessions last drawn (for redraws on resize)
function $(id){ return document.getElementById(id); }
function el(tag, text, cls){ var e = document.createElement(tag); if (text !== undefined && text !== null) e.textContent = String(text); if (cls) e.className = cls; return e; }
function api(path, opts){ opts = opts || {}; opts.credentials = 'same-origin'; opts.headers = { 'X-Tunppp-Request': '1' }; return fetch(path, opts).then(function(r){ if (r.status === 401) { location.href = '/'; throw new Error('token'); } return r.json(); }); }
function bytes(n){ var u = ['B','kB','MB','GB','TB']; var i = 0; while (n >= 1000 && i < u.length - 1) { n /= 1000; i++; } return (i ? n.toFixed(n < 10 ? 2 : n < 100 ? 1 : 0) : n) + ' ' + u[i]; }
function rate(bps){ var u = ['bit/s','kbit/s','Mbit/s','Gbit/s']; var i = 0; while (bps >= 1000 && i < u.length - 1) { bps /= 1000; i++; } return bps.toFixed(bps < 10 && i ? 1 : 0) + ' ' + u[i]; }
function dur(s){ s = Math.floor(s); var d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60); return (d ? d + 'd ' : '') + (d || h ? h + 'h ' : '') + m + 'm ' + (s % 60) + 's'; }
function color(id){ return COLORS[id % COLORS.length]; }

function tile(k, v){ var t = el('div', null, 'tile'); t.appendChild(el('div', v, 'v')); t.appendChild(el('div', k, 'k')); return t; }
function renderStatus(s){
  $('meta').textContent = 'v' + s.version + ' · pid ' + s.pid + ' · up ' + dur(s.uptimeS) + ' · ' + s.listening.map(function(l){ return l.proto + ' ' + l.address + ':' + l.port; }).join(', ') + ' · TUN ' + s.tun + (s.ops.masquerade ? ' · NAT via ' + s.ops.masquerade : '') + (s.ops.user ? ' · runs as ' + s.ops.user : '');
  var fails = 0; for (var k in s.authFailuresByReason) fails += s.authFailuresByReason[k];
  var tiles = $('tiles'); tiles.textContent = '';
  tiles.appendChild(tile('sessions up', s.sessions.up));
  tiles.appendChild(tile('negotiating', s.sessions.starting));
  tiles.appendChild(tile('logins ok / failed', s.authOk + ' / ' + fails));
  var last = hist[hist.length - 1];
  tiles.appendChild(tile('from clients now', rate(last ? last.total.in : 0)));
  tiles.appendChild(tile('to clients now', rate(last ? last.total.out : 0)));
  tiles.appendChild(tile('path-MTU events', s.counters.pmtuEvents || 0));
}

function renderSessions(list){
  var now = Date.now() / 1000, cur = { t: now, bytes: {} }, per = {}, tin = 0, tout = 0;
  list.forEach(function(s){
    cur.bytes[s.id] = { in: s.bytesIn, out: s.bytesOut };
    names[s.id] = (s.user || '?') + ' (' + s.id + ')';
    var p = prev && prev.bytes[s.id], dt = prev ? now - prev.t : 0;
    var ri = p && dt > 0 ? Math.max(0, (s.bytesIn - p.in) * 8 / dt) : 0, ro = p && dt > 0 ? Math.max(0, (s.bytesOut - p.out) * 8 / dt) : 0;
    per[s.id] = ri + ro; s.rateIn = ri; s.rateOut = ro; tin += ri; tout += ro;
  });
  if (prev) hist.push({ t: now, total: { in: tin, out: tout }, per: per });
  prev = cur;
  while (hist.length && hist[0].t < now - WINDOW_S) hist.shift();
  var body = $('sessions-body'); body.textContent = '';
  $('sessions-empty').style.display = list.length ? 'none' : '';
  list.forEach(function(s){
    var tr = document.createElement('tr');
    var sw = el('td'); var i = el('i'); i.style.cssText = 'display:inline-block;width:10px;height:10px;border-radius:2px;background:' + color(s.id); sw.appendChild(i); tr.appendChild(sw);
    tr.appendChild(el('td', s.id, 'num'));
    tr.appendChild(el('td', s.user || '—'));
    tr.appendChild(el('td', s.clientAddress));
    tr.appendChild(el('td', s.assignedIp || '—'));
    tr.appendChild(el('td', s.protocol.toUpperCase()));
    var st = el('td'); st.appendChild(el('span', s.state, 'pill ' + s.state)); tr.appendChild(st);
    tr.appendChild(el('td', dur(s.uptimeS), 'num'));
    tr.appendChild(el('td', bytes(s.bytesIn), 'num'));
    tr.appendChild(el('td', bytes(s.bytesOut), 'num'));
    tr.appendChild(el('td', rate(s.rateIn + s.rateOut), 'num'));
    tr.appendChild(el('td', s.mtu, 'num'));
    tr.appendChild(el('td', s.mppe || 'none'));
    var act = el('td'); var b = el('button', 'Disconnect'); b.onclick = function(){ if (confirm('Disconnect ' + (s.user || 'session') + ' (' + s.id + ')?')) api('/sessions/' + s.id, { method: 'DELETE' }).then(poll); }; act.appendChild(b); tr.appendChild(act);
    body.appendChild(tr);
  });
  drawGraph(list);
}

function drawGraph(list){
  shown = list;
  var c = $('graph'), dpr = window.devicePixelRatio || 1, w = c.clientWidth, h = c.clientHeight;
  c.width = w * dpr; c.height = h * dpr;
  var g = c.getContext('2d'); g.scale(dpr, dpr); g.clearRect(0, 0, w, h);
  var padL = 70, padB = 20, pw = w - padL - 8, ph = h - padB - 8, now = Date.now() / 1000;
  var max = 1000;
  hist.forEach(function(p){ max = Math.max(max, p.total.in, p.total.out); for (var id in p.per) max = Math.max(max, p.per[id]); });
  var step = Math.pow(10, Math.floor(Math.log10(max))); var top = Math.ceil(max / step) * step;
  g.font = '11px system-ui, sans-serif'; g.fillStyle = '#6a7785'; g.strokeStyle = '#e1e6eb'; g.lineWidth = 1;
  for (var k = 0; k <= 4; k++) { var y = 8 + ph - ph * k / 4; g.beginPath(); g.moveTo(padL, y); g.lineTo(padL + pw, y); g.stroke(); g.fillText(rate(top * k / 4), 4, y + 4); }
  // The window grows with the history: from 30 s up to 5 minutes.
  var span = Math.min(WINDOW_S, Math.max(30, hist.length ? now - hist[0].t : 0));
  for (var m = 0; m <= 5; m++) { var x = padL + pw * m / 5, ago = span * (5 - m) / 5; g.fillText(m === 5 ? 'now' : '-' + (span >= 120 ? (ago / 60).toFixed(ago % 60 ? 1 : 0) + ' min' : Math.round(ago) + ' s'), x - 14, h - 4); }
  function X(t){ return padL + pw * (1 - (now - t) / span); }
  function Y(v){ return 8 + ph - ph * v / top; }
  function line(pick, col, width, dash){
    g.beginPath(); g.strokeStyle = col; g.lineWidth = width; g.setLineDash(dash || []); var started = false;
    hist.forEach(function(p){ var v = pick(p); if (v === undefined) { started = false; return; } if (!started) { g.moveTo(X(p.t), Y(v)); started = true; } else g.lineTo(X(p.t), Y(v)); });
    g.stroke(); g.setLineDash([]);
  }
  list.forEach(function(s){ line(function(p){ return p.per[s.id]; }, color(s.id), 1.2, [4, 3]); });
  // "from clients" wider underneath, so equal totals (pings, echoes) still show both lines.
  line(function(p){ return p.total.in; }, '#1f883d', 4);
  line(function(p){ return p.total.out; }, '#8250df', 1.8);
  var lg = $('legend'); lg.textContent = '';
  function key(text, col){ var s = el('span'); var i = el('i'); i.style.background = col; s.appendChild(i); s.appendChild(document.createTextNode(text)); lg.appendChild(s); }
  key('total from clients', '#1f883d'); key('total to clients', '#8250df');
  list.forEach(function(s){ key(names[s.id] + ' (both ways)', color(s.id)); });
}

function renderAuth(list){
  var body = $('auth-body'); body.textContent = '';
  $('auth-empty').style.display = list.length ? 'none' : '';
  list.slice(0, 15).forEach(function(a){
    var tr = document.createElement('tr');
    tr.appendChild(el('td', new Date(a.time).toLocaleTimeString()));
    tr.appendChild(el('td', a.user || '?'));
    tr.appendChild(el('td', a.peer || '—'));
    tr.appendChild(el('td', a.protocol || '—'));
    tr.appendChild(el('td', a.reason, 'err'));
    body.appendChild(tr);
  });
}

function renderDoctor(d){
  var box = $('doctor-body'); box.textContent = '';
  // 503: the doctor hit its input or time cap (it runs in a worker thread); say why, keep the rest of the page.
  if (d.error) { $('doctor-meta').textContent = ''; box.appendChild(el('div', 'Doctor not available: ' + d.error, 'empty err')); return; }
  $('doctor-meta').textContent = d.lines + ' recent log lines, ' + d.sessions.total + ' sessions (' + d.sessions.ok + ' ok, ' + d.sessions.failed + ' failed, ' + d.sessions.dropped + ' dropped)';
  if (!d.findings.length) { box.appendChild(el('div', 'No findings: nothing in the recent log points at a problem.', 'empty ok')); return; }
  d.findings.forEach(function(f){
    var div = el('div', null, 'finding ' + f.severity);
    div.appendChild(el('b', f.title + ' [' + f.cause + ']'));
    div.appendChild(el('div', f.explanation, 'ex'));
    f.fix.forEach(function(x){ div.appendChild(el('div', 'Fix (' + x.target + '):')); div.appendChild(el('pre', x.lines.join('\\n'))); });
    if (f.evidence.length) div.appendChild(el('pre', f.evidence.slice(0, 3).join('\\n')));
    box.appendChild(div);
  });
}

var polls = 0;
function poll(){
  var jobs = [api('/status'), api('/sessions'), api('/auth-failures')];
  if (polls++ % 8 === 0) jobs.push(api('/doctor'));
  return Promise.all(jobs).then(function(r){
    renderSessions(r[1]); renderStatus(r[0]); renderAuth(r[2]); if (r[3]) renderDoctor(r[3]);
    $('dot').className = 'dot'; $('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
  }).catch(function(e){ $('dot').className = 'dot off'; $('updated').textContent = 'server not answering (' + e.message + ')'; });
}
poll(); setInterval(poll, POLL_MS);
window.addEventListener('resize', function(){ drawGraph(shown); });
`;

/** The dashboard page; `nonce` must match the response's Content-Security-Policy. */
export function renderDashboard(nonce: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tunppp dashboard</title>
<style nonce="${nonce}">${CSS}</style>
</head>
<body>
<header><h1><span id="dot" class="dot"></span>tunppp</h1><span class="meta" id="meta">connecting…</span><span class="meta" id="updated"></span></header>
<main>
<div class="tiles" id="tiles"></div>
<section class="graph"><h2>Throughput</h2><canvas id="graph"></canvas><div class="legend" id="legend"></div></section>
<section class="sessions"><h2>Sessions</h2>
<table><thead><tr><th></th><th class="num">ID</th><th>User</th><th>Client</th><th>Address</th><th>Proto</th><th>State</th><th class="num">Uptime</th><th class="num">From client</th><th class="num">To client</th><th class="num">Rate (both ways)</th><th class="num">MTU</th><th>MPPE</th><th></th></tr></thead>
<tbody id="sessions-body"></tbody></table><div class="empty" id="sessions-empty">No sessions.</div></section>
<section class="auth"><h2>Recent authentication failures</h2>
<table><thead><tr><th>Time</th><th>User</th><th>Client</th><th>Method</th><th>Reason</th></tr></thead><tbody id="auth-body"></tbody></table>
<div class="empty" id="auth-empty">None.</div></section>
<section class="doctor"><h2>Doctor (server log)</h2><div class="empty" id="doctor-meta"></div><div id="doctor-body"></div></section>
</main>
<footer>Data from this server's API; refreshed every 2 s. Metrics for Prometheus at /metrics.</footer>
<script nonce="${nonce}">${SCRIPT}</script>
</body>
</html>
`;
}
