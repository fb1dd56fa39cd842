// The cluster page: polls this node's /cluster/api/... and draws tables and SVG charts.
// Plain JavaScript with nothing fetched from elsewhere: the page works offline.
'use strict';
(function () {
  const API = '/cluster/api/';
  const COLORS = ['#2f6fd0', '#d0562f', '#2e9d57', '#8b4fc7', '#c9a20d', '#1aa3a3', '#c73f7d', '#6b7280'];
  const SVG = 'http://www.w3.org/2000/svg';
  let watched = null; // {set, object} asked in the form
  let failures = 0;

  function $(id) { return document.getElementById(id); }
  function color(node) { return COLORS[(node - 1) % COLORS.length]; }
  function cell(row, text, cls) {
    const td = document.createElement('td');
    if (cls) { td.className = cls; }
    td.textContent = text === null || text === undefined ? '-' : String(text);
    row.appendChild(td);
    return td;
  }
  function badge(row, state) {
    const td = document.createElement('td');
    const b = document.createElement('span');
    b.className = 'badge ' + state;
    b.textContent = state.toLowerCase();
    td.appendChild(b);
    row.appendChild(td);
  }
  function ms(v) { return v === null || v === undefined ? '-' : (v < 1 ? v.toFixed(2) : v < 10 ? v.toFixed(1) : Math.round(v)) + ' ms'; }
  function us(v) {
    if (!v) { return '-'; }
    return v < 1000 ? Math.round(v) + ' \u00b5s' : (v / 1000).toFixed(v < 10000 ? 1 : 0) + ' ms';
  }
  function bytes(v) {
    if (v === null || v === undefined) { return '-'; }
    const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    while (v >= 1024 && i < u.length - 1) { v /= 1024; i++; }
    return (i === 0 ? v : v.toFixed(1)) + ' ' + u[i];
  }
  function fill(tableId, rows) {
    const body = $(tableId).tBodies[0];
    body.replaceChildren(...rows);
  }
  async function get(path) {
    const r = await fetch(API + path, {cache: 'no-store'});
    const doc = await r.json();
    if (!r.ok) { throw new Error(doc.error || r.status); }
    return doc;
  }
  function status(text) { $('status').textContent = text; }

  function drawNodes(doc) {
    $('where').textContent = '\u2014 seen from node ' + doc.node;
    document.title = 'kDDM cluster (node ' + doc.node + ')';
    $('view-line').textContent = 'view ' + doc.epoch + ': nodes ' + doc.view.join(', ') + '; voters ' +
      doc.voters.join(', ') + '; node ' + doc.node + (doc.lease ? ' holds a lease' : ' holds NO lease') +
      '. States and round-trip times are as node ' + doc.node + ' sees them.';
    const counts = {};
    const rows = doc.nodes.map(n => {
      counts[n.state] = (counts[n.state] || 0) + 1;
      const tr = document.createElement('tr');
      tr.id = 'node-' + n.id;
      tr.dataset.node = n.id;
      tr.dataset.state = n.state;
      tr.className = 'state-' + n.state;
      if (n.report) { tr.dataset.gets = n.report.gets; tr.dataset.grabs = n.report.grabs; }
      cell(tr, n.id + (n.local ? ' (this node)' : ''));
      cell(tr, n.address);
      badge(tr, n.state);
      cell(tr, n.inView ? 'yes' : 'no');
      cell(tr, n.voter ? 'yes' : '');
      cell(tr, n.local ? '-' : ms(n.rttMs));
      cell(tr, n.local ? '-' : ms(n.lastHeardMs));
      const r = n.report;
      cell(tr, r ? r.opsPerSecond.toFixed(r.opsPerSecond < 10 ? 1 : 0) : '-');
      cell(tr, r ? us(r.getP50Us) + ' / ' + us(r.getP99Us) : '-');
      cell(tr, r ? us(r.grabP50Us) + ' / ' + us(r.grabP99Us) : '-');
      cell(tr, r ? bytes(r.bytesHeld) : '-');
      cell(tr, n.boardError ? 'not read: ' + n.boardError : r ? (r.ageMs < 3000 ? 'live' : Math.round(r.ageMs / 1000) + ' s old') : '-');
      return tr;
    });
    fill('nodes', rows);
    const parts = Object.keys(counts).sort().map(s => counts[s] + ' ' + s.toLowerCase());
    $('summary').textContent = doc.nodes.length + ' nodes: ' + parts.join(', ');
    $('summary').dataset.alive = counts.ALIVE || 0;
    $('summary').dataset.dead = counts.DEAD || 0;
  }

  function svg(name, attrs, parent) {
    const e = document.createElementNS(SVG, name);
    for (const k in attrs) { e.setAttribute(k, attrs[k]); }
    parent.appendChild(e);
    return e;
  }

  // series: {node: [[t, y], ...]}; dashed: {node: [[t, y], ...]} drawn dashed on the same axes.
  function chart(id, series, dashed, unit) {
    const el = $(id);
    el.replaceChildren();
    const W = 560, H = 200, L = 46, R = 8, T = 8, B = 22;
    let t1 = 0, ymax = 0;
    const all = [series, dashed || {}];
    all.forEach(s => Object.values(s).forEach(pts => pts.forEach(p => { t1 = Math.max(t1, p[0]); ymax = Math.max(ymax, p[1]); })));
    const t0 = t1 - 120000;
    ymax = nice(ymax);
    const x = t => L + (W - L - R) * (t - t0) / (t1 - t0 || 1);
    const y = v => H - B - (H - T - B) * v / ymax;
    for (let i = 0; i <= 4; i++) {
      const v = ymax * i / 4;
      svg('line', {x1: L, x2: W - R, y1: y(v), y2: y(v), stroke: '#e6e8ec'}, el);
      svg('text', {x: L - 4, y: y(v) + 3, 'text-anchor': 'end'}, el).textContent = fmt(v) + (i === 4 ? ' ' + unit : '');
    }
    for (let s = 0; s <= 120; s += 30) {
      svg('text', {x: x(t0 + s * 1000), y: H - 6, 'text-anchor': 'middle'}, el).textContent = s === 120 ? 'now' : '-' + (120 - s) + ' s';
    }
    all.forEach((set, k) => Object.keys(set).forEach(node => {
      const pts = set[node].filter(p => p[0] >= t0);
      if (pts.length === 0) { return; }
      svg('polyline', {
        points: pts.map(p => x(p[0]).toFixed(1) + ',' + y(p[1]).toFixed(1)).join(' '),
        fill: 'none', stroke: color(+node), 'stroke-width': 1.8, 'stroke-dasharray': k ? '4 3' : ''
      }, el);
    }));
  }
  function nice(v) {
    if (v <= 0) { return 1; }
    const p = Math.pow(10, Math.floor(Math.log10(v)));
    for (const m of [1, 2, 2.5, 5, 10]) { if (m * p >= v) { return m * p; } }
    return 10 * p;
  }
  function fmt(v) { return v >= 1000 ? (v / 1000) + 'k' : String(Math.round(v * 100) / 100); }

  function drawStats(doc) {
    const ops = {}, p50 = {}, p99 = {};
    const legend = [];
    Object.keys(doc.series).forEach(node => {
      const pts = doc.series[node];
      ops[node] = pts.map(p => [p[0], p[1]]);
      p50[node] = pts.filter(p => p[2] > 0).map(p => [p[0], p[2]]);
      p99[node] = pts.filter(p => p[3] > 0).map(p => [p[0], p[3]]);
      legend.push(node);
    });
    chart('chart-ops', ops, null, '/s');
    chart('chart-lat', p50, p99, '\u00b5s');
    $('legend').replaceChildren(...legend.map(n => {
      const s = document.createElement('span');
      const i = document.createElement('i');
      i.style.background = color(+n);
      s.appendChild(i);
      s.appendChild(document.createTextNode('node ' + n));
      return s;
    }));
  }

  function drawSets(doc) {
    fill('sets', doc.sets.map(s => {
      const tr = document.createElement('tr');
      cell(tr, s.id);
      cell(tr, s.registered ? s.family : s.family + ' (not registered here)');
      cell(tr, s.ioLinker);
      cell(tr, s.homes.join(', '));
      cell(tr, s.objectsHere);
      cell(tr, bytes(s.bytesHere));
      return tr;
    }));
    fill('families', doc.families.map(f => {
      const tr = document.createElement('tr');
      cell(tr, f.name);
      cell(tr, f.ioLinker);
      cell(tr, f.home);
      cell(tr, bytes(f.maxObjectSize));
      cell(tr, f.backups);
      cell(tr, f.firstTouchAtHome ? 'yes' : 'no');
      cell(tr, f.wellKnown);
      return tr;
    }));
  }

  function drawKdfs(doc) {
    if (!doc.available) { $('kdfs-line').textContent = 'The kDFS bundle is not on this node.'; $('kdfs').hidden = true; return; }
    if (doc.pending) { $('kdfs-line').textContent = 'asking the partitions\u2026'; return; }
    if (!doc.mounted) { $('kdfs-line').textContent = 'kDFS is not mounted on this node.'; $('kdfs').hidden = true; return; }
    $('kdfs-line').textContent = (doc.partition ? 'this node\'s partition: ' + doc.partition : 'this node is diskless') +
      (doc.error ? '; ' + doc.error : '; total ' + bytes(doc.totalBytes) + ', free ' + bytes(doc.freeBytes) + ', ' +
        doc.entries + ' entries') + (doc.unreachable && doc.unreachable.length ? '; not counted: nodes ' + doc.unreachable.join(', ') : '');
    $('kdfs').hidden = !doc.partitions;
    fill('kdfs', (doc.partitions || []).map(p => {
      const tr = document.createElement('tr');
      cell(tr, p.node);
      cell(tr, bytes(p.totalBytes));
      cell(tr, bytes(p.freeBytes));
      cell(tr, p.totalBytes ? Math.round(100 * (p.totalBytes - p.freeBytes) / p.totalBytes) + ' %' : '-');
      cell(tr, p.entries);
      return tr;
    }));
  }

  function drawObject(doc) {
    $('object').hidden = false;
    $('object-line').textContent = 'set ' + doc.set + ', object ' + doc.object + ': holders ' +
      (doc.holders ? (doc.holders.length ? doc.holders.join(', ') + ' (owner first)' : 'none') : doc.holdersError || 'asking\u2026') +
      (doc.pending ? '; waiting for every node\'s report\u2026' : '');
    fill('object', doc.nodes.map(n => {
      const tr = document.createElement('tr');
      tr.dataset.node = n.id;
      cell(tr, n.id);
      badge(tr, n.state);
      const r = n.row;
      tr.dataset.object = !r ? 'none' : r.open ? r.state : 'closed';
      if (!n.inView) { cell(tr, 'not in the view: no report'); return tr; }
      if (!r) { cell(tr, 'not reported yet'); return tr; }
      if (!r.open) { cell(tr, 'set not open here'); return tr; }
      cell(tr, r.state);
      cell(tr, r.bytes);
      cell(tr, r.version);
      cell(tr, r.copyset.join(', '));
      cell(tr, r.readers);
      cell(tr, r.writers);
      cell(tr, r.queued);
      cell(tr, r.home);
      cell(tr, r.homeState);
      cell(tr, r.owner > 0 ? r.owner : null);
      return tr;
    }));
  }

  async function everySecond() {
    try {
      drawNodes(await get('nodes'));
      drawStats(await get('stats'));
      if (watched) {
        try {
          drawObject(await get('object?set=' + encodeURIComponent(watched.set) + '&object=' + encodeURIComponent(watched.object)));
        } catch (e) {
          $('object-line').textContent = String(e.message);
          $('object').hidden = true;
          if (!String(e.message).startsWith('ENOENT')) { watched = null; }
        }
      }
      failures = 0;
      status('');
    } catch (e) {
      failures++;
      status('this node does not answer (' + e.message + '); trying again every second');
    }
  }
  async function everyFiveSeconds() {
    try { drawSets(await get('sets')); } catch (e) { /* shown by everySecond */ }
    try { drawKdfs(await get('kdfs')); } catch (e) { /* shown by everySecond */ }
  }

  function watch(set, object) {
    watched = {set: set, object: object};
    $('object-line').textContent = 'asking every node\u2026';
    // The address names the object, so that the page can be bookmarked or sent as it is.
    history.replaceState(null, '', '/cluster?set=' + encodeURIComponent(set) + '&object=' + encodeURIComponent(object));
  }
  $('object-form').addEventListener('submit', ev => {
    ev.preventDefault();
    watch($('object-set').value.trim(), $('object-id').value.trim());
    everySecond();
  });
  const asked = new URLSearchParams(location.search);
  if (asked.get('set') && asked.get('object')) {
    $('object-set').value = asked.get('set');
    $('object-id').value = asked.get('object');
    watch(asked.get('set'), asked.get('object'));
  }
  everySecond();
  everyFiveSeconds();
  setInterval(everySecond, 1000);
  setInterval(everyFiveSeconds, 5000);
})();
