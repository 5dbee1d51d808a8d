internal import Foundation
@_spi(Engine) import PedigreeGraph
import PedigreeModel
import PedigreeQuery
import PedigreeRender
import Pedigree

/// The explorer's HTML pages. Each works as plain links and GET forms; the script adds search as
/// you type, pan and zoom, hover details and clicks on the diagram.
struct Pages {
    let app: WebApp
    let snapshot: GraphSnapshot
    var views: Views { Views(app: app, snapshot: snapshot) }

    private func e(_ s: String) -> String { HTML.escape(s) }

    // MARK: Layout

    func layout(title: String, body: String, page: String) -> String {
        func nav(_ href: String, _ label: String, _ key: String) -> String {
            "<a href=\"\(href)\"\(key == page ? " class=\"active\"" : "")>\(label)</a>"
        }
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(e(title)) · Pedigree</title>
            <link rel="stylesheet" href="/static/pedigree.css">
            <script src="/static/pedigree.js" defer></script>
            </head><body data-page="\(page)">
            <header><a class="brand" href="/">Pedigree</a>
            <nav>\(nav("/", "Search", "search"))\(nav("/query", "Query", "query"))</nav>
            <span class="store" title="\(e(app.store.path))">\(e((app.store.path as NSString).lastPathComponent)) · \
            \(HTML.count(snapshot.nodeCount(.artifact))) artifacts · \(HTML.count(snapshot.nodeCount(.execution))) executions</span>
            </header>
            <main>
            \(body)
            </main></body></html>
            """
    }

    func errorPage(_ error: WebError) -> String {
        layout(title: "Error \(error.status)", body: """
            <h1>\(error.status == 404 ? "Not found" : "Cannot show this")</h1>
            <p class="error" id="error">\(e(error.message))</p>
            <p><a href="/">Search the store</a> · <a href="/query">Write a query</a></p>
            """, page: "error")
    }

    func login(next: String, failed: Bool) -> String {
        layout(title: "Sign in", body: """
            <h1>Sign in</h1>
            <form method="post" action="/login" class="login">
            <input type="hidden" name="next" value="\(e(next))">
            <label>Token <input type="password" name="token" autofocus autocomplete="current-password"></label>
            <button type="submit">Sign in</button>
            </form>
            \(failed ? "<p class=\"error\">That is not the server's token.</p>" : "")
            <p class="hint">The token is the one in the server's <code>--auth-token-file</code>.</p>
            """, page: "login")
    }

    // MARK: Search

    func search(_ r: WebRequest) throws(WebError) -> String {
        let q = r["q"] ?? ""
        let kindText = r["kind"] ?? ""
        let kind = NodeKind(name: kindText)
        var body = """
            <h1>Search</h1>
            <form class="search" action="/" method="get" role="search">
            <input type="search" name="q" id="search" value="\(e(q))" placeholder="name, uri, type or id" autofocus autocomplete="off">
            <select name="kind" id="search-kind">
            """
        for (value, label) in [("", "all kinds"), ("artifact", "artifacts"), ("execution", "executions"), ("context", "contexts")] {
            body += "<option value=\"\(value)\"\(value == kindText ? " selected" : "")>\(label)</option>"
        }
        body += "</select> <button type=\"submit\">Search</button></form>\n"
        if q.isEmpty {
            body += "<div id=\"results\"></div><div id=\"summary\">" + storeSummary() + "</div>"
        } else {
            let s = NodeSearch(snapshot, index: app.searchIndex.index(for: snapshot), text: q, kind: kind, typeName: nil, limit: 50)
            body += "<div id=\"results\">" + searchResults(s) + "</div>"
        }
        return layout(title: q.isEmpty ? "Search" : "Search: \(q)", body: body, page: "search")
    }

    func searchResults(_ s: NodeSearch) -> String {
        var out = "<p class=\"count\" id=\"result-count\">\(HTML.count(s.total)) match\(s.total == 1 ? "" : "es")\(s.total > s.hits.count ? ", the first \(s.hits.count) shown" : "")</p>"
        if !s.types.isEmpty {
            out += "<p class=\"types\">Types: " + s.types.map { t in
                "<a href=\"\(HTML.url("/", [("q", t.name), ("kind", t.kind.description)]))\">\(e(t.name))</a> <span class=\"muted\">\(t.kind) · \(HTML.count(t.count))</span>"
            }.joined(separator: " · ") + "</p>"
        }
        out += "<ul class=\"results\">"
        for h in s.hits {
            out += "<li>" + nodeLink(h.node, [])
            if h.node.kind == .artifact, let uri = snapshot.artifacts.uri(at: Int(h.node.index)) { out += " <span class=\"uri\">\(e(uri))</span>" }
            out += "</li>"
        }
        return out + "</ul>"
    }

    func storeSummary() -> String {
        let c = StoreCounts(snapshot)
        var out = "<h2>In this store</h2><p>\(HTML.count(c.artifacts)) artifacts, \(HTML.count(c.executions)) executions, \(HTML.count(c.contexts)) contexts, \(HTML.count(c.events)) events.</p>"
        out += "<table class=\"grid\"><thead><tr><th>kind</th><th>type</th><th class=\"num\">nodes</th></tr></thead><tbody>"
        for (id, t) in zip(snapshot.typeIDs, snapshot.types) {
            let n = snapshot.nodeIndices(ofType: id).count
            if n == 0 && t.name.hasPrefix("mlmd.") { continue }
            out += "<tr><td>\(t.kind)</td><td><a href=\"\(HTML.url("/", [("q", t.name), ("kind", t.kind.description)]))\">\(e(t.name))</a></td><td class=\"num\">\(HTML.count(n))</td></tr>"
        }
        return out + "</tbody></table>"
    }

    // MARK: Links

    /// A link to a node's page, with the lineage fields to keep.
    func nodeLink(_ n: NodeRef, _ keep: [(String, String)]) -> String {
        let id = snapshot.id(of: n)
        let name = snapshot.nodeName(n).map { " <span class=\"name\">\(e($0))</span>" } ?? ""
        return "<a class=\"node \(n.kind)\" href=\"\(HTML.url("/node/\(n.kind)/\(id)", keep))\"><span class=\"kind\">\(n.kind) \(id)</span> <span class=\"type\">\(e(snapshot.typeName(of: n)))</span>\(name)</a>"
    }

    // MARK: Node

    /// The fields that make a lineage view: carried by every link that keeps the view.
    static let viewFields = ["up", "down", "expand", "collapse", "types", "hide", "path", "rankdir", "collapse_executions", "max_nodes"]

    func node(kind: String, id: String, _ r: WebRequest) throws(WebError) -> String {
        let focus = try WebApp.nodeRef(kind: kind, id: id, in: snapshot)
        let request = try views.lineageRequest(focus, r)
        let view = LineageView(snapshot, request)
        let detail: NodeDetail
        do {
            detail = try snapshot.detail(kind: focus.kind, id: snapshot.id(of: focus))
        } catch {
            throw WebError(error)
        }
        let node = snapshot[focus]
        let idValue = snapshot.id(of: focus)
        // The view's own fields, as the URL gave them.
        var state: [(String, String)] = Self.viewFields.compactMap { k in r[k].map { (k, $0) } }
        state = state.filter { !["expand", "collapse", "types", "hide"].contains($0.0) }
        state += [("expand", request.expand.map { WebApp.refText(snapshot, $0) }.joined(separator: ",")),
                  ("collapse", request.collapse.map { WebApp.refText(snapshot, $0) }.joined(separator: ",")),
                  ("types", request.types.joined(separator: ",")), ("hide", request.hide.joined(separator: ","))]
        let depthOnly = state.filter { $0.0 == "up" || $0.0 == "down" || $0.0 == "rankdir" }
        func with(_ key: String, _ value: String) -> [(String, String)] { state.filter { $0.0 != key } + [(key, value)] }
        let here = "/node/\(focus.kind)/\(idValue)"

        var body = "<h1><span class=\"kind\">\(focus.kind) \(idValue)</span> <span class=\"type\">\(e(snapshot.typeName(of: focus)))</span>"
        if let name = node.nodeName { body += " <span class=\"name\" id=\"node-name\">\(e(name))</span>" }
        body += "</h1>\n<nav class=\"tabs\"><a class=\"active\" href=\"\(HTML.url(here, state))\">Lineage</a>"
        if focus.kind != .context { body += "<a href=\"/impact/\(focus.kind)/\(idValue)\" id=\"impact-link\">Impact</a>" }
        body += "<a href=\"/api/v1/nodes/\(focus.kind)/\(idValue)\">JSON</a></nav>\n<div class=\"columns\"><section class=\"info\">"
        body += fieldsTable(detail, node)
        body += propertiesTable("Properties", node.properties) + propertiesTable("Custom properties", node.customProperties)
        body += sections(detail, keep: depthOnly)
        body += "</section><section class=\"lineage\">"
        body += lineageControls(view, here: here, state: state)
        body += lineageDiagram(view, r, here: here, state: state, keep: depthOnly)
        body += lineageTable(view, here: here, state: state, with: with, keep: depthOnly)
        body += "</section></div>"
        return layout(title: "\(snapshot.typeName(of: focus)) \(idValue)", body: body, page: "node")
    }

    func fieldsTable(_ d: NodeDetail, _ node: any MetadataNode) -> String {
        var rows: [(String, String)] = [("type", snapshot.typeName(of: d.ref))]
        rows += d.fields.compactMap { k, v in v.map { (k, $0) } }
        if let t = node.createTime { rows.append(("created", Self.time(t))) }
        if let t = node.updateTime { rows.append(("updated", Self.time(t))) }
        return "<table class=\"fields\" id=\"fields\">" + rows.map { "<tr><th>\(e($0.0))</th><td>\(e($0.1))</td></tr>" }.joined() + "</table>"
    }

    static func time(_ ms: Int64) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
    }

    func propertiesTable(_ title: String, _ p: Properties) -> String {
        guard !p.isEmpty else { return "" }
        var out = "<h2>\(title)</h2><table class=\"fields properties\">"
        for key in p.keys.sorted() {
            out += "<tr><th>\(e(key))</th><td>\(e(Self.valueText(p[key]!)))</td></tr>"
        }
        return out + "</table>"
    }

    static func valueText(_ v: Value) -> String {
        switch v {
        case .int(let i): String(i)
        case .double(let d): String(d)
        case .string(let s): s
        case .bool(let b): b ? "true" : "false"
        case .struct: ResultEncoder.value(v).text
        case .proto(let any): "proto \(any.typeURL) (\(any.value.count) bytes)"
        }
    }

    func sections(_ d: NodeDetail, keep: [(String, String)]) -> String {
        var out = ""
        for (title, items) in d.sections {
            out += "<h2>\(e(title.prefix(1).uppercased() + title.dropFirst())) <span class=\"muted\">\(HTML.count(items.count))</span></h2><ul class=\"related \(title)\">"
            for item in items.prefix(200) {
                switch item {
                case .node(let n): out += "<li>" + nodeLink(n, keep) + "</li>"
                case .event(let ev):
                    let arrow = ev.outgoing ? "→" : "←"
                    out += "<li><span class=\"event\">\(ev.type) \(arrow)</span> " + nodeLink(ev.other, keep)
                    if !ev.path.isEmpty { out += " <code>\(e(ev.path))</code>" }
                    out += "</li>"
                }
            }
            if items.count > 200 { out += "<li class=\"muted\">and \(HTML.count(items.count - 200)) more</li>" }
            out += "</ul>"
        }
        return out
    }

    func lineageControls(_ view: LineageView, here: String, state: [(String, String)]) -> String {
        let r = view.request
        func depthSelect(_ name: String, _ value: Int, _ label: String) -> String {
            var out = "<label>\(label) <select name=\"\(name)\" id=\"\(name)\">"
            var choices = Array(0...6) + [10, 20, 50]
            if !choices.contains(value) { choices.append(value); choices.sort() }
            for c in choices { out += "<option\(c == value ? " selected" : "")>\(c)</option>" }
            return out + "</select></label>"
        }
        var out = "<form class=\"controls\" id=\"controls\" method=\"get\" action=\"\(e(here))\">"
        if r.focus.kind != .context {
            out += depthSelect("up", r.up, "Upstream") + depthSelect("down", r.down, "Downstream")
        }
        for key in ["expand", "collapse"] {
            if let v = state.first(where: { $0.0 == key })?.1, !v.isEmpty { out += "<input type=\"hidden\" name=\"\(key)\" value=\"\(e(v))\">" }
        }
        let rankdir = state.first { $0.0 == "rankdir" }?.1 ?? "LR"
        out += "<label>Layout <select name=\"rankdir\" id=\"rankdir\"><option value=\"LR\"\(rankdir == "TB" ? "" : " selected")>left to right</option><option value=\"TB\"\(rankdir == "TB" ? " selected" : "")>top to bottom</option></select></label>"
        let collapseExec = state.contains { $0.0 == "collapse_executions" && ["1", "true", "on"].contains($0.1) }
        out += "<label><input type=\"checkbox\" name=\"collapse_executions\" value=\"1\"\(collapseExec ? " checked" : "")> artifacts only</label>"
        if r.focus.kind != .context {
            let path = r.pathTo.map { WebApp.refText(snapshot, $0) } ?? ""
            out += "<label>Paths to <input type=\"text\" name=\"path\" id=\"path\" value=\"\(e(path))\" placeholder=\"artifact:12\" size=\"12\"></label>"
        }
        // Types: those drawn and those the filter hides.
        var counts: [String: Int] = view.hiddenByType
        for n in view.nodes { counts[snapshot.typeName(of: n), default: 0] += 1 }
        if counts.count > 1 || !r.types.isEmpty || !r.hide.isEmpty {
            let offered = counts.keys.sorted()
            out += "<fieldset class=\"types\" id=\"type-filter\"><legend>Types</legend>"
            out += "<input type=\"hidden\" name=\"offered\" value=\"\(e(offered.joined(separator: ",")))\">"
            for type in offered {
                let n = counts[type]!
                let checked = !r.hide.contains(type) && (r.types.isEmpty || r.types.contains(type))
                out += "<label><input type=\"checkbox\" name=\"types\" value=\"\(e(type))\"\(checked ? " checked" : "")> \(e(type)) <span class=\"muted\">\(n)</span></label>"
            }
            out += "</fieldset>"
        }
        out += "<button type=\"submit\" id=\"apply\">Apply</button>"
        out += " <a href=\"\(e(here))\" class=\"reset\">reset</a></form>"
        return out
    }

    func lineageDiagram(_ view: LineageView, _ r: WebRequest, here: String, state: [(String, String)], keep: [(String, String)]) -> String {
        var out = ""
        if view.noPath, let p = view.request.pathTo {
            out += "<p class=\"warning\" id=\"no-path\">No directed path joins this node and \(e(WebApp.refText(snapshot, p))).</p>"
        }
        let diagram: LineageDiagram
        do {
            diagram = try views.diagram(view, options: try views.diagramOptions(r, format: .svg))
        } catch {
            return out + "<p class=\"muted\" id=\"diagram-empty\">\(e(error.message))</p>"
        }
        let svg: String
        do {
            svg = HTML.inlineSVG(try diagram.render(.svg))
        } catch {
            return out + "<p class=\"error\">\(e(error.message))</p>"
        }
        let keepQuery = keep.map { "\(WebApp.formEscape($0.0))=\(WebApp.formEscape($0.1))" }.joined(separator: "&")
        out += "<div class=\"diagram\" id=\"diagram\" data-keep=\"\(e(keepQuery))\"><div class=\"zoom\"><button type=\"button\" data-zoom=\"in\" title=\"zoom in\">+</button><button type=\"button\" data-zoom=\"out\" title=\"zoom out\">−</button><button type=\"button\" data-zoom=\"fit\" title=\"fit\">fit</button></div>\(svg)<div class=\"hover\" id=\"hover\" hidden></div></div>"
        var notes = diagram.notes
        let hiddenTypes = view.hiddenByType.values.reduce(0, +)
        if hiddenTypes > 0 { notes.append("\(hiddenTypes) node\(hiddenTypes == 1 ? "" : "s") of types left out by the filter") }
        let beyond = view.hiddenBehind.values.reduce(0, +)
        if beyond > 0 { notes.append("\(beyond) node\(beyond == 1 ? "" : "s") beyond collapsed nodes") }
        if view.truncated { notes.append("the view stopped at \(HTML.count(LineageRequest.maxNodes)) nodes") }
        if !notes.isEmpty { out += "<ul class=\"notes\" id=\"notes\">" + notes.map { "<li>\(e($0))</li>" }.joined() + "</ul>" }
        // Exports of this very view.
        let api = "/api/v1/lineage/\(view.request.focus.kind)/\(snapshot.id(of: view.request.focus))"
        out += "<p class=\"exports\" id=\"exports\">Export: " + ["svg", "png", "dot", "mermaid", "csv", "json"].map { f in
            "<a href=\"\(HTML.url(api, state + [("format", f)] + (f == "json" ? [] : [("download", "1")])))\" data-format=\"\(f)\">\(f == "dot" ? "DOT" : f == "mermaid" ? "Mermaid" : f.uppercased())</a>"
        }.joined(separator: " · ") + "</p>"
        out += "<script type=\"application/json\" id=\"lineage-data\">\(HTML.scriptJSON(views.json(view).text))</script>"
        return out
    }

    func lineageTable(_ view: LineageView, here: String, state: [(String, String)],
                      with: (String, String) -> [(String, String)], keep: [(String, String)]) -> String {
        let r = view.request
        let expanded = Set(r.expand), collapsed = Set(r.collapse)
        func listWith(_ list: [NodeRef], _ n: NodeRef, add: Bool) -> String {
            (add ? list + [n] : list.filter { $0 != n }).map { WebApp.refText(snapshot, $0) }.joined(separator: ",")
        }
        var out = "<h2>Nodes in view <span class=\"muted\">\(HTML.count(view.nodes.count))</span></h2>"
        out += "<table class=\"grid lineage-nodes\" id=\"lineage-nodes\"><thead><tr><th>node</th><th>state</th><th class=\"num\">hops</th><th class=\"num\">more ↑</th><th class=\"num\">more ↓</th><th>view</th></tr></thead><tbody>"
        for n in view.nodes.prefix(1_000) {
            let ref = WebApp.refText(snapshot, n)
            let node = snapshot[n]
            var stateText = ""
            if let a = node as? Artifact, let s = a.state { stateText = s.description }
            if let x = node as? Execution, let s = x.lastKnownState { stateText = s.description }
            var actions: [String] = []
            if n != r.focus, r.focus.kind != .context {
                if expanded.contains(n) {
                    actions.append("<a class=\"unexpand\" href=\"\(HTML.url(here, with("expand", listWith(r.expand, n, add: false))))\">unexpand</a>")
                } else if (view.moreUpstream[n] ?? 0) + (view.moreDownstream[n] ?? 0) > 0 {
                    actions.append("<a class=\"expand\" href=\"\(HTML.url(here, with("expand", listWith(r.expand, n, add: true))))\">expand</a>")
                }
                if collapsed.contains(n) {
                    actions.append("<a class=\"uncollapse\" href=\"\(HTML.url(here, with("collapse", listWith(r.collapse, n, add: false))))\">uncollapse (\(HTML.count(view.hiddenBehind[n] ?? 0)) hidden)</a>")
                } else {
                    actions.append("<a class=\"collapse\" href=\"\(HTML.url(here, with("collapse", listWith(r.collapse, n, add: true))))\">collapse</a>")
                }
                actions.append("<a class=\"path\" href=\"\(HTML.url(here, with("path", ref)))\">paths</a>")
            }
            out += "<tr data-node=\"\(e(ref))\"\(n == r.focus ? " class=\"focus\"" : "")><td>\(nodeLink(n, keep))</td><td>\(e(stateText))</td><td class=\"num\">\(view.distance[n] ?? 0)</td><td class=\"num\">\(view.moreUpstream[n] ?? 0)</td><td class=\"num\">\(view.moreDownstream[n] ?? 0)</td><td class=\"actions\">\(actions.joined(separator: " "))</td></tr>"
        }
        out += "</tbody></table>"
        if view.nodes.count > 1_000 { out += "<p class=\"muted\">The first 1,000 of \(HTML.count(view.nodes.count)) nodes; the exports hold them all.</p>" }
        return out
    }

    // MARK: Impact

    func impact(kind: String, id: String, _ r: WebRequest) async throws -> String {
        let ref = try WebApp.nodeRef(kind: kind, id: id, in: snapshot)
        guard ref.kind != .context else { throw WebError(400, "the impact view is for artifacts and executions") }
        let downstream = try API.scope(r)
        let idValue = snapshot.id(of: ref)
        let (counts, delete) = try await views.impact(ref, downstream: downstream)
        var body = "<h1>Impact of <span class=\"kind\">\(ref.kind) \(idValue)</span> <span class=\"type\">\(e(snapshot.typeName(of: ref)))</span>"
        if let name = snapshot.nodeName(ref) { body += " <span class=\"name\">\(e(name))</span>" }
        body += "</h1><nav class=\"tabs\"><a href=\"/node/\(ref.kind)/\(idValue)\">Lineage</a><a class=\"active\" href=\"/impact/\(ref.kind)/\(idValue)\">Impact</a><a href=\"/api/v1/impact/\(ref.kind)/\(idValue)\(downstream ? "?scope=downstream" : "")\">JSON</a></nav>"
        if let counts, case .groups(let rows) = counts.rows {
            let total = rows.reduce(0) { $0 + $1.count }
            let q = Views.downstreamQuery(ref.kind, idValue)
            body += "<h2>Downstream <span class=\"muted\" id=\"downstream-total\">\(HTML.count(total))</span></h2>"
            body += "<p class=\"hint\">Everything derived from this node, by kind, type and state: <a href=\"\(HTML.url("/query", [("q", q)]))\"><code>\(e(q))</code></a></p>"
            body += "<table class=\"grid\" id=\"downstream\"><thead><tr><th>kind</th><th>type</th><th>state</th><th class=\"num\">nodes</th></tr></thead><tbody>"
            for row in rows { body += "<tr>" + row.keys.map { "<td>\(e($0))</td>" }.joined() + "<td class=\"num\">\(HTML.count(row.count))</td></tr>" }
            body += "</tbody></table>"
        }
        if let delete {
            let q = Views.deleteQuery(ref.kind, idValue, downstream: downstream)
            body += "<h2>If it were deleted</h2><p class=\"scope\">Dry run of <code id=\"delete-query\">\(e(q))</code> · "
            body += downstream
                ? "<a href=\"/impact/\(ref.kind)/\(idValue)\">this node only</a>"
                : "<a href=\"/impact/\(ref.kind)/\(idValue)?scope=downstream\" id=\"scope-downstream\">with everything downstream</a>"
            body += "</p>" + deleteReport(delete, query: q)
        }
        return layout(title: "Impact of \(ref.kind) \(idValue)", body: body, page: "impact")
    }

    func deleteReport(_ d: DeleteImpact, query: String) -> String {
        func groups(_ title: String, _ n: DeleteImpact.Nodes, id: String) -> String {
            var out = "<h3>\(title) <span class=\"muted\">\(HTML.count(n.count))</span></h3>"
            guard n.count > 0 else { return out }
            out += "<table class=\"grid\" id=\"\(id)\"><thead><tr><th>kind</th><th>type</th><th>state</th><th class=\"num\">nodes</th></tr></thead><tbody>"
            for g in n.groups { out += "<tr><td>\(g.kind)</td><td>\(e(g.type))</td><td>\(e(g.state))</td><td class=\"num\">\(HTML.count(g.count))</td></tr>" }
            out += "</tbody></table>"
            if !n.sample.isEmpty {
                out += "<p class=\"sample\">e.g. " + n.sample.prefix(5).map { s in
                    "<a href=\"/node/\(s.kind)/\(s.id)\">\(s.kind) \(s.id) \(e(s.type)) \(e(s.name))</a>"
                }.joined(separator: ", ") + "</p>"
            }
            return out
        }
        var out = "<div class=\"report\" id=\"delete-report\">"
        if d.protectedAtRisk.count > 0 {
            out += "<p class=\"warning\" id=\"protected\">\(HTML.count(d.protectedAtRisk.count)) live artifact\(d.protectedAtRisk.count == 1 ? "" : "s") of protected types (\(e(d.protectedTypes.joined(separator: ", ")))) would lose provenance: the delete is refused without --force.</p>"
        }
        out += groups("Deleted", d.deleted, id: "deleted")
        out += "<p>\(HTML.count(d.events)) events (\(HTML.count(d.eventPathSteps)) path steps), \(HTML.count(d.attributions)) attributions, \(HTML.count(d.associations)) associations, \(HTML.count(d.parentContexts)) parent-context links.</p>"
        out += groups("Downstream nodes losing provenance", d.losingProvenance, id: "losing-provenance")
        out += groups("Artifacts left without a producer", d.withoutProducer, id: "without-producer")
        out += groups("Protected artifacts at risk", d.protectedAtRisk, id: "protected-at-risk")
        let db = app.store.path
        out += "<p class=\"hint\">To apply it, with this report's token (it fails if the store changed since):</p>"
        out += "<pre class=\"command\" id=\"delete-command\">pedigree delete --db \(e(Self.shellQuoted(db))) \(e(Self.shellQuoted(query))) --mode tombstone --apply --token \(e(d.token))</pre>"
        return out + "</div>"
    }

    static func shellQuoted(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    // MARK: Query

    static let examples = [
        "artifact(type = 'Model') upstream* return subgraph",
        "artifact(type = 'Examples') downstream* artifact(type = 'Model')",
        "execution() return count group by type, state",
        "artifact(name like '%model%') return nodes",
    ]

    func query(_ r: WebRequest) throws(WebError) -> String {
        let q = r["q"] ?? ""
        let viewKind = r["view"] == "diagram" ? "diagram" : "table"
        var body = "<h1>Query</h1><form class=\"query\" id=\"query-form\" method=\"get\" action=\"/query\">"
        body += "<textarea name=\"q\" id=\"q\" rows=\"3\" spellcheck=\"false\" placeholder=\"artifact(type = 'Model') upstream* return subgraph\">\(e(q))</textarea>"
        body += "<pre class=\"diagnostics\" id=\"live-diagnostics\" hidden></pre>"
        for (k, v) in r.fields where k.hasPrefix("p.") { body += "<input type=\"hidden\" name=\"\(e(k))\" value=\"\(e(v))\">" }
        body += "<div class=\"row\"><label><input type=\"radio\" name=\"view\" value=\"table\"\(viewKind == "table" ? " checked" : "")> table</label>"
        body += "<label><input type=\"radio\" name=\"view\" value=\"diagram\"\(viewKind == "diagram" ? " checked" : "")> diagram</label>"
        body += "<button type=\"submit\" id=\"run\">Run</button></div></form>"
        guard !q.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            body += "<h2>Examples</h2><ul class=\"examples\">" + Self.examples.map { x in
                "<li><a href=\"\(HTML.url("/query", [("q", x)]))\"><code>\(e(x))</code></a></li>"
            }.joined() + "</ul><p class=\"hint\">The language is described in the README: start nodes, steps (<code>upstream</code>, <code>downstream</code>, <code>both</code> with <code>*</code> or <code>{min,max}</code>), filters and <code>return</code>.</p>"
            return layout(title: "Query", body: body, page: "query")
        }
        let result: QueryResult
        do {
            result = try views.run(q, parameters: r.queryParameters, limit: 10_000)
        } catch let error {
            if let qe = error.queryError {
                body += "<pre class=\"diagnostics\" id=\"diagnostics\">\(e(DiagnosticRenderer.render(qe.diagnostics, in: qe.source)))</pre>"
            } else {
                body += "<p class=\"error\" id=\"query-error\">\(e(error.message))</p>"
            }
            return layout(title: "Query", body: body, page: "query")
        }
        let fields = [("q", q)] + r.fields.filter { $0.0.hasPrefix("p.") }
        body += "<p class=\"exports\" id=\"exports\">Export: " + ["csv", "json"].map { f in
            "<a href=\"\(HTML.url("/api/v1/query", fields + [("format", f)]))\" data-format=\"\(f)\">\(f.uppercased())</a>"
        }.joined(separator: " · ")
        if result.hasDiagram {
            body += " · " + ["svg", "png", "dot", "mermaid"].map { f in
                "<a href=\"\(HTML.url("/api/v1/render", fields + [("format", f), ("download", "1")]))\" data-format=\"\(f)\">\(f == "dot" ? "DOT" : f == "mermaid" ? "Mermaid" : f.uppercased())</a>"
            }.joined(separator: " · ")
        }
        body += "</p>"
        if let t = result.truncated { body += "<p class=\"warning\">Truncated (\(e(t.reason))): \(HTML.count(t.returned)) shown\(t.omitted.map { ", \(HTML.count($0)) more" } ?? "").</p>" }
        if viewKind == "diagram", result.hasDiagram {
            do {
                let diagram = try snapshot.diagram(result, options: try views.diagramOptions(r, format: .svg))
                body += "<div class=\"diagram\" id=\"diagram\" data-keep=\"\"><div class=\"zoom\"><button type=\"button\" data-zoom=\"in\">+</button><button type=\"button\" data-zoom=\"out\">−</button><button type=\"button\" data-zoom=\"fit\">fit</button></div>\(HTML.inlineSVG(try diagram.render(.svg)))<div class=\"hover\" id=\"hover\" hidden></div></div>"
                if !diagram.notes.isEmpty { body += "<ul class=\"notes\" id=\"notes\">" + diagram.notes.map { "<li>\(e($0))</li>" }.joined() + "</ul>" }
            } catch {
                body += "<p class=\"error\">\(e(WebError.from(error).message))</p>"
            }
        } else {
            body += resultTable(result)
        }
        body += "<details class=\"plan\"><summary>Plan</summary><pre>\(e(ExplainRenderer.render(result.plan, profile: result.profile)))</pre></details>"
        return layout(title: "Query", body: body, page: "query")
    }

    func resultTable(_ result: QueryResult) -> String {
        let shown = 500
        func nodes(_ refs: [NodeRef], depths: [Int]?) -> String {
            var out = "<table class=\"grid\" id=\"results-table\"><thead><tr><th>node</th><th>state</th>\(depths == nil ? "" : "<th class=\"num\">depth</th>")</tr></thead><tbody>"
            for (i, n) in refs.prefix(shown).enumerated() {
                let node = snapshot[n]
                let state = (node as? Artifact)?.state?.description ?? (node as? Execution)?.lastKnownState?.description ?? ""
                out += "<tr><td>\(nodeLink(n, []))</td><td>\(e(state))</td>\(depths.map { "<td class=\"num\">\($0[i])</td>" } ?? "")</tr>"
            }
            out += "</tbody></table>"
            if refs.count > shown { out += "<p class=\"muted\">The first \(shown) of \(HTML.count(refs.count)) rows; the exports hold them all.</p>" }
            return out
        }
        switch result.rows {
        case .nodes(let rows):
            return "<p class=\"count\" id=\"row-count\">\(HTML.count(rows.count)) node\(rows.count == 1 ? "" : "s")</p>"
                + nodes(rows.map(\.node), depths: result.withDepth ? rows.map(\.depth) : nil)
        case .subgraph(let s):
            let refs = s.artifacts.map { NodeRef(.artifact, $0) } + s.executions.map { NodeRef(.execution, $0) }
            return "<p class=\"count\" id=\"row-count\">\(HTML.count(refs.count)) nodes, \(HTML.count(s.events.count)) events, \(HTML.count(s.contexts.count)) contexts</p>" + nodes(refs, depths: nil)
        case .paths(let paths):
            var out = "<p class=\"count\" id=\"row-count\">\(HTML.count(paths.count)) path\(paths.count == 1 ? "" : "s")</p><ol class=\"paths\">"
            for p in paths.prefix(shown) {
                out += "<li>" + p.nodes.map { nodeLink($0, []) }.joined(separator: " <span class=\"muted\">—</span> ") + "</li>"
            }
            return out + "</ol>"
        case .count(let n):
            return "<p class=\"count big\" id=\"row-count\">\(HTML.count(n))</p>"
        case .groups(let rows):
            var out = "<table class=\"grid\" id=\"results-table\"><thead><tr>" + result.groupColumns.map { "<th>\(e($0))</th>" }.joined() + "<th class=\"num\">count</th></tr></thead><tbody>"
            for row in rows.prefix(shown) { out += "<tr>" + row.keys.map { "<td>\(e($0))</td>" }.joined() + "<td class=\"num\">\(HTML.count(row.count))</td></tr>" }
            return out + "</tbody></table>"
        }
    }
}

extension QueryResult {
    /// Whether a diagram can show it (counts cannot, nor an empty result).
    var hasDiagram: Bool {
        switch rows {
        case .nodes(let n): !n.isEmpty
        case .subgraph(let s): !s.artifacts.isEmpty || !s.executions.isEmpty
        case .paths(let p): !p.isEmpty
        case .count, .groups: false
        }
    }
}
