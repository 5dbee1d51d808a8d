/// The explorer's stylesheet and script: small, hand-written, served from the binary.
enum Assets {
    static let css = #"""
        :root { --fg: #1d2330; --muted: #6b7385; --line: #d9dde5; --bg: #ffffff; --panel: #f5f7fa; --accent: #2b5fd9; --warn: #a15c00; --err: #b42318; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: var(--fg); background: var(--bg); }
        header { display: flex; align-items: center; gap: 1.5rem; padding: .55rem 1.2rem; border-bottom: 1px solid var(--line); background: var(--panel); }
        header .brand { font-weight: 700; font-size: 1.1rem; color: var(--fg); text-decoration: none; letter-spacing: .02em; }
        header nav a { margin-right: 1rem; color: var(--muted); text-decoration: none; }
        header nav a.active, header nav a:hover { color: var(--accent); }
        header .store { margin-left: auto; color: var(--muted); font-size: .85rem; }
        main { padding: 1rem 1.2rem 3rem; }
        h1 { font-size: 1.35rem; margin: .2rem 0 .6rem; font-weight: 600; }
        h2 { font-size: 1.05rem; margin: 1.2rem 0 .4rem; }
        h3 { font-size: .95rem; margin: 1rem 0 .3rem; }
        a { color: var(--accent); }
        code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .9em; }
        .muted { color: var(--muted); font-weight: normal; }
        .kind { color: var(--muted); }
        .type { font-weight: 600; }
        .uri { color: var(--muted); font-family: ui-monospace, monospace; font-size: .85em; word-break: break-all; }
        a.node { text-decoration: none; }
        a.node:hover .name { text-decoration: underline; }
        .tabs { display: flex; gap: .2rem; border-bottom: 1px solid var(--line); margin-bottom: .8rem; }
        .tabs a { padding: .3rem .8rem; text-decoration: none; color: var(--muted); border: 1px solid transparent; border-bottom: none; border-radius: 4px 4px 0 0; }
        .tabs a.active { color: var(--fg); border-color: var(--line); background: var(--bg); margin-bottom: -1px; }
        form.search { display: flex; gap: .5rem; max-width: 52rem; }
        form.search input[type=search] { flex: 1; font-size: 1.05rem; padding: .45rem .6rem; border: 1px solid var(--line); border-radius: 4px; }
        select, input[type=text], input[type=password], textarea, button { font: inherit; }
        button { padding: .3rem .8rem; border: 1px solid var(--line); border-radius: 4px; background: var(--panel); cursor: pointer; }
        button:hover { border-color: var(--accent); }
        ul.results { list-style: none; padding: 0; max-width: 70rem; }
        ul.results li { padding: .3rem 0; border-bottom: 1px solid var(--panel); }
        table.grid { border-collapse: collapse; margin: .3rem 0; }
        table.grid th, table.grid td { padding: .25rem .6rem; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
        table.grid th { font-weight: 600; color: var(--muted); font-size: .85rem; }
        .num { text-align: right !important; font-variant-numeric: tabular-nums; }
        table.fields { border-collapse: collapse; width: 100%; }
        table.fields th { text-align: left; color: var(--muted); font-weight: 500; padding: .15rem .6rem .15rem 0; width: 9rem; vertical-align: top; }
        table.fields td { padding: .15rem 0; word-break: break-all; }
        .columns { display: grid; grid-template-columns: minmax(18rem, 26rem) 1fr; gap: 1.5rem; align-items: start; }
        @media (max-width: 900px) { .columns { grid-template-columns: 1fr; } }
        ul.related { list-style: none; padding: 0; margin: 0; }
        ul.related li { padding: .12rem 0; }
        .event { color: var(--muted); font-size: .85em; display: inline-block; min-width: 6.5rem; }
        form.controls { display: flex; flex-wrap: wrap; gap: .4rem 1rem; align-items: center; padding: .5rem .7rem; background: var(--panel); border: 1px solid var(--line); border-radius: 6px; }
        form.controls fieldset { border: none; padding: 0; margin: 0; display: flex; flex-wrap: wrap; gap: .2rem .8rem; flex-basis: 100%; }
        form.controls legend { float: left; color: var(--muted); margin-right: .6rem; }
        .diagram { position: relative; border: 1px solid var(--line); border-radius: 6px; margin: .6rem 0; height: 60vh; min-height: 320px; overflow: hidden; background: #fff; cursor: grab; }
        .diagram.dragging { cursor: grabbing; }
        .diagram svg { width: 100%; height: 100%; display: block; user-select: none; }
        .diagram g.node { cursor: pointer; }
        .diagram g.node:hover polygon, .diagram g.node:hover ellipse, .diagram g.node:hover path { stroke-width: 2.5; }
        .diagram .zoom { position: absolute; right: .5rem; top: .5rem; display: flex; gap: .25rem; z-index: 2; }
        .diagram .zoom button { padding: .1rem .55rem; background: #fff; }
        .hover { position: absolute; z-index: 3; pointer-events: none; background: #fff; border: 1px solid var(--line); border-radius: 4px; padding: .4rem .6rem; box-shadow: 0 2px 8px rgba(0,0,0,.12); font-size: .85rem; max-width: 28rem; }
        .hover .t { font-weight: 600; }
        ul.notes { color: var(--muted); font-size: .85rem; margin: .2rem 0; }
        .exports a { margin: 0 .15rem; }
        tr.focus td { background: #eef3ff; }
        td.actions a { margin-right: .5rem; font-size: .85rem; }
        .warning { color: var(--warn); }
        .error { color: var(--err); }
        pre.diagnostics { color: var(--err); background: #fff5f4; border: 1px solid #f3c5c0; padding: .6rem .8rem; border-radius: 4px; overflow-x: auto; }
        form.query textarea { width: 100%; max-width: 70rem; padding: .5rem; border: 1px solid var(--line); border-radius: 4px; font-family: ui-monospace, monospace; }
        form.query .row { display: flex; gap: 1rem; align-items: center; margin-top: .3rem; }
        .count.big { font-size: 2rem; font-weight: 600; }
        pre.command { background: var(--panel); padding: .5rem .7rem; border-radius: 4px; overflow-x: auto; }
        details.plan pre { background: var(--panel); padding: .5rem; }
        .hint { color: var(--muted); }
        form.login { display: flex; gap: .6rem; align-items: center; }
        """#

    static let script = #"""
        'use strict';
        (function () {
          function el(tag, cls, text) {
            const e = document.createElement(tag);
            if (cls) e.className = cls;
            if (text !== undefined && text !== null) e.textContent = text;
            return e;
          }
          function num(n) { return n.toLocaleString('en-US'); }

          // Search as you type: the API's answer, drawn with textContent only.
          const search = document.getElementById('search');
          if (search) {
            const kind = document.getElementById('search-kind');
            const results = document.getElementById('results');
            const summary = document.getElementById('summary');
            let timer = null, seq = 0;
            const run = function () {
              const q = search.value.trim();
              const params = new URLSearchParams();
              if (q) params.set('q', q);
              if (kind.value) params.set('kind', kind.value);
              history.replaceState(null, '', params.toString() ? '/?' + params : '/');
              if (summary) summary.hidden = q !== '';
              if (!q) { results.textContent = ''; return; }
              const mine = ++seq;
              fetch('/api/v1/nodes?limit=50&' + params, { headers: { 'Accept': 'application/json' } })
                .then(function (r) { return r.json(); })
                .then(function (data) { if (mine === seq && data.nodes) draw(data); });
            };
            const draw = function (data) {
              results.textContent = '';
              const count = el('p', 'count', num(data.total) + (data.total === 1 ? ' match' : ' matches') +
                (data.total > data.nodes.length ? ', the first ' + data.nodes.length + ' shown' : ''));
              count.id = 'result-count';
              results.appendChild(count);
              if (data.types.length) {
                const p = el('p', 'types', 'Types: ');
                data.types.forEach(function (t, i) {
                  if (i) p.append(' · ');
                  const a = el('a', null, t.name);
                  a.href = '/?' + new URLSearchParams({ q: t.name, kind: t.kind });
                  p.appendChild(a);
                  p.append(' ');
                  p.appendChild(el('span', 'muted', t.kind + ' · ' + num(t.count)));
                });
                results.appendChild(p);
              }
              const ul = el('ul', 'results');
              data.nodes.forEach(function (n) {
                const li = el('li');
                const a = el('a', 'node ' + n.kind);
                a.href = '/node/' + n.kind + '/' + n.id;
                a.appendChild(el('span', 'kind', n.kind + ' ' + n.id));
                a.append(' ');
                a.appendChild(el('span', 'type', n.type));
                if (n.name !== undefined) { a.append(' '); a.appendChild(el('span', 'name', n.name)); }
                li.appendChild(a);
                if (n.uri !== undefined) { li.append(' '); li.appendChild(el('span', 'uri', n.uri)); }
                ul.appendChild(li);
              });
              results.appendChild(ul);
            };
            search.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(run, 120); });
            kind.addEventListener('change', run);
            if (summary) summary.hidden = search.value.trim() !== '';
          }

          // The lineage controls apply as soon as they change (the Apply button does without script).
          const controls = document.getElementById('controls');
          if (controls) {
            controls.querySelectorAll('select, input[type=checkbox]').forEach(function (c) {
              c.addEventListener('change', function () { controls.requestSubmit(); });
            });
          }

          // Ctrl+Enter runs a query; as you type, the server checks it and its diagnostics show
          // under the text.
          const q = document.getElementById('q');
          const live = document.getElementById('live-diagnostics');
          if (q) q.addEventListener('keydown', function (ev) {
            if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); q.form.requestSubmit(); }
          });
          if (q && live) {
            let timer = null, seq = 0;
            q.addEventListener('input', function () {
              clearTimeout(timer);
              timer = setTimeout(function () {
                const mine = ++seq;
                if (!q.value.trim()) { live.hidden = true; return; }
                const params = new URLSearchParams(new FormData(q.form));
                fetch('/api/v1/check?' + params, { headers: { 'Accept': 'application/json' } })
                  .then(function (r) { return r.json(); })
                  .then(function (d) {
                    if (mine !== seq) return;
                    live.textContent = d.rendered || '';
                    live.hidden = !d.rendered;
                    const old = document.getElementById('diagnostics');
                    if (old) old.hidden = true;
                  });
              }, 250);
            });
          }

          // Diagrams: pan by dragging, zoom with the wheel or the buttons, hover for details,
          // click a node to open its page.
          const data = document.getElementById('lineage-data');
          const lineage = data ? JSON.parse(data.textContent) : null;
          const byKey = {};
          if (lineage) lineage.nodes.forEach(function (n) { byKey[n.kind + '-' + n.id] = n; });
          document.querySelectorAll('.diagram').forEach(function (box) {
            const svg = box.querySelector('svg');
            if (!svg || !svg.viewBox || !svg.viewBox.baseVal) return;
            const base = svg.viewBox.baseVal;
            const full = { x: base.x, y: base.y, w: base.width, h: base.height };
            let view = Object.assign({}, full);
            svg.removeAttribute('width');
            svg.removeAttribute('height');
            const apply = function () { svg.setAttribute('viewBox', view.x + ' ' + view.y + ' ' + view.w + ' ' + view.h); };
            const toSvg = function (x, y) {
              const p = svg.createSVGPoint();
              p.x = x; p.y = y;
              return p.matrixTransform(svg.getScreenCTM().inverse());
            };
            const zoom = function (f, cx, cy) {
              view.x = cx - (cx - view.x) * f; view.y = cy - (cy - view.y) * f;
              view.w *= f; view.h *= f;
              apply();
            };
            box.addEventListener('wheel', function (ev) {
              ev.preventDefault();
              const p = toSvg(ev.clientX, ev.clientY);
              zoom(ev.deltaY > 0 ? 1.15 : 1 / 1.15, p.x, p.y);
            }, { passive: false });
            box.querySelectorAll('[data-zoom]').forEach(function (b) {
              b.addEventListener('click', function () {
                const what = b.getAttribute('data-zoom');
                if (what === 'fit') { view = Object.assign({}, full); apply(); return; }
                zoom(what === 'in' ? 1 / 1.3 : 1.3, view.x + view.w / 2, view.y + view.h / 2);
              });
            });
            let drag = null, moved = false;
            svg.addEventListener('mousedown', function (ev) {
              if (ev.button !== 0) return;
              drag = { x: ev.clientX, y: ev.clientY, view: Object.assign({}, view), scale: svg.getScreenCTM().a };
              moved = false;
            });
            window.addEventListener('mousemove', function (ev) {
              if (!drag) return;
              const dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
              if (Math.abs(dx) + Math.abs(dy) > 3) { moved = true; box.classList.add('dragging'); }
              view.x = drag.view.x - dx / drag.scale; view.y = drag.view.y - dy / drag.scale;
              apply();
            });
            window.addEventListener('mouseup', function () { drag = null; box.classList.remove('dragging'); });
            const keep = box.getAttribute('data-keep');
            svg.addEventListener('click', function (ev) {
              if (moved) return;
              const g = ev.target.closest('g.node');
              const m = g && /^(artifact|execution|context)-(\d+)$/.exec(g.id);
              if (!m) return;
              ev.preventDefault();
              location.href = '/node/' + m[1] + '/' + m[2] + (keep ? '?' + keep : '');
            });
            const hover = box.querySelector('.hover');
            svg.addEventListener('mouseover', function (ev) {
              const g = ev.target.closest('g.node');
              if (!g || !hover) return;
              const n = byKey[g.id];
              hover.textContent = '';
              if (n) {
                hover.appendChild(el('div', 't', n.type + ' · ' + n.kind + ' ' + n.id));
                if (n.name !== undefined) hover.appendChild(el('div', null, n.name));
                if (n.uri !== undefined) hover.appendChild(el('div', 'uri', n.uri));
                const state = n.state || n.last_known_state;
                if (state) hover.appendChild(el('div', null, 'state: ' + state));
                hover.appendChild(el('div', 'muted', (n.distance < 0 ? -n.distance + ' hops upstream' : n.distance + ' hops downstream') +
                  ' · ' + n.more_upstream + ' more upstream · ' + n.more_downstream + ' more downstream'));
              } else {
                const a = g.querySelector('a');
                const title = a && (a.getAttribute('xlink:title') || a.getAttribute('title'));
                if (!title) return;
                title.split('\n').forEach(function (line) { hover.appendChild(el('div', null, line)); });
              }
              const r = box.getBoundingClientRect();
              hover.style.left = Math.min(ev.clientX - r.left + 14, r.width - 240) + 'px';
              hover.style.top = (ev.clientY - r.top + 14) + 'px';
              hover.hidden = false;
            });
            svg.addEventListener('mouseout', function (ev) {
              if (hover && !(ev.relatedTarget && ev.relatedTarget.closest && ev.relatedTarget.closest('g.node'))) hover.hidden = true;
            });
          });
        })();
        """#
}
