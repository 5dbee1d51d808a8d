internal import Foundation
@_spi(Engine) import PedigreeGraph
import PedigreeModel
import PedigreeQuery
import PedigreeRender
import Pedigree

/// What the pages and the JSON API share: reading a request's view, running its query,
/// drawing its diagram.
struct Views {
    let app: WebApp
    let snapshot: GraphSnapshot

    /// The lineage view a request asks for around `focus`.
    func lineageRequest(_ focus: NodeRef, _ r: WebRequest) throws(WebError) -> LineageRequest {
        var l = LineageRequest(focus: focus)
        l.up = try r.int("up", default: 2, in: 0...LineageRequest.maxDepth)
        l.down = try r.int("down", default: 2, in: 0...LineageRequest.maxDepth)
        l.expand = try r.list("expand").map { (t) throws(WebError) in try WebApp.nodeRef(t, in: snapshot) }
        l.collapse = try r.list("collapse").map { (t) throws(WebError) in try WebApp.nodeRef(t, in: snapshot) }
        // The page's type boxes send the ticked types and, as `offered`, every type they showed:
        // the unticked ones are hidden, and types a deeper view brings in are shown.
        if r["offered"] != nil {
            let offered = Set(r.list("offered")), ticked = Set(r.list("types"))
            l.hide = Array(offered.subtracting(ticked).union(Set(r.list("hide")).subtracting(offered))).sorted()
        } else {
            l.types = r.list("types")
            l.hide = r.list("hide")
        }
        if let p = r["path"], !p.isEmpty {
            let target = try WebApp.nodeRef(p, in: snapshot)
            guard target.kind != .context, focus.kind != .context else {
                throw WebError(400, "paths run between artifacts and executions, not contexts")
            }
            l.pathTo = target
        }
        return l
    }

    /// Diagram options from `rankdir`, `collapse_executions`, `cluster_by` and `max_nodes`.
    func diagramOptions(_ r: WebRequest, format: DiagramOptions.Format) throws(WebError) -> DiagramOptions {
        var o = DiagramOptions(format: format)
        switch r["rankdir"]?.uppercased() {
        case nil, "", "LR": o.rankDirection = .leftToRight
        case "TB": o.rankDirection = .topToBottom
        case let other?: throw WebError(400, "rankdir is LR or TB, got '\(other)'")
        }
        o.collapseExecutions = ["1", "true", "on", "yes"].contains(r["collapse_executions"]?.lowercased() ?? "")
        if let c = r["cluster_by"], !c.isEmpty { o.clusterContextType = c }
        o.maxNodes = try r.int("max_nodes", default: 120, in: 1...5_000)
        // The page has room for the drawing alone; an export or `legend=1` carries the legend.
        o.legend = r["legend"].map { ["1", "true", "on"].contains($0) } ?? (r["download"] == "1")
        return o
    }

    func diagram(_ view: LineageView, options: DiagramOptions) throws(WebError) -> LineageDiagram {
        guard !view.nodes.isEmpty else { throw WebError(400, "there is nothing to draw: the view has no artifacts or executions") }
        var start: Set<NodeRef> = [view.request.focus]
        if let p = view.request.pathTo { start.insert(p) }
        do {
            return try LineageDiagram(snapshot: snapshot, nodes: Set(view.nodes), events: Set(view.events),
                                      start: start.intersection(view.nodes), results: [], options: options)
        } catch {
            throw WebError(error)
        }
    }

    /// Runs a query; `limit` cuts node and path rows (and says so in `truncated`).
    func run(_ text: String, parameters: [String: String], limit: Int?) throws(WebError) -> QueryResult {
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw WebError(400, "the query is empty") }
        do {
            let plan = try snapshot.plan(text, parameters: parameters)
            var result = try snapshot.run(plan, limits: app.limits)
            if let limit {
                switch result.rows {
                case .nodes(let n) where n.count > limit:
                    result.rows = .nodes(Array(n.prefix(limit)))
                    result.truncated = Truncation(returned: limit, omitted: n.count - limit, reason: "limit")
                case .paths(let p) where p.count > limit:
                    result.rows = .paths(Array(p.prefix(limit)))
                    result.truncated = Truncation(returned: limit, omitted: p.count - limit, reason: "limit")
                default: break
                }
            }
            return result
        } catch {
            throw WebError.from(error)
        }
    }

    /// The text of a diagram in a format, with its content type and file extension.
    static func encoded(_ diagram: LineageDiagram, _ format: DiagramOptions.Format) throws(WebError) -> WebResponse {
        let body: [UInt8]
        do {
            body = format == .dot ? Array(diagram.dot().utf8) : format == .mermaid ? Array(diagram.mermaid().utf8) : try diagram.render(format)
        } catch {
            throw WebError(error)
        }
        let type =
            switch format {
            case .svg: "image/svg+xml"
            case .png: "image/png"
            case .pdf: "application/pdf"
            case .dot: "text/vnd.graphviz; charset=utf-8"
            case .mermaid: "text/plain; charset=utf-8"
            }
        return WebResponse(status: 200, contentType: type, body: body)
    }

    static func diagramFormat(_ text: String) -> DiagramOptions.Format? {
        text == "mmd" ? .mermaid : DiagramOptions.Format(rawValue: text.lowercased())
    }

    /// The nodes of a lineage view as CSV.
    func csv(_ view: LineageView) -> String {
        var lines = ["kind,id,type,name,distance,more_upstream,more_downstream"]
        for n in view.nodes {
            let name = snapshot.nodeName(n) ?? ""
            lines.append([n.kind.description, String(snapshot.id(of: n)), ResultLayout.csvField(snapshot.typeName(of: n)), ResultLayout.csvField(name),
                          String(view.distance[n] ?? 0), String(view.moreUpstream[n] ?? 0), String(view.moreDownstream[n] ?? 0)].joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    func json(_ view: LineageView) -> JSONOut {
        let encoder = ResultEncoder(snapshot: snapshot)
        let collapsed = Set(view.request.collapse)
        let nodes: [JSONOut] = view.nodes.map { n in
            guard case .object(var fields) = encoder.node(n, depth: nil) else { return .null }
            fields += [("distance", .int(Int64(view.distance[n] ?? 0))), ("more_upstream", .int(Int64(view.moreUpstream[n] ?? 0))),
                       ("more_downstream", .int(Int64(view.moreDownstream[n] ?? 0)))]
            if collapsed.contains(n) { fields += [("collapsed", .bool(true)), ("hidden_beyond", .int(Int64(view.hiddenBehind[n] ?? 0)))] }
            return .object(fields)
        }
        let r = view.request
        var fields: [(String, JSONOut)] = [
            ("focus", encoder.brief(r.focus)), ("up", .int(Int64(r.up))), ("down", .int(Int64(r.down))),
            ("expand", .array(r.expand.map { .string(WebApp.refText(snapshot, $0)) })),
            ("collapse", .array(r.collapse.map { .string(WebApp.refText(snapshot, $0)) })),
            ("types", .array(r.types.map { .string($0) })), ("hide", .array(r.hide.map { .string($0) })),
        ]
        if let p = r.pathTo { fields += [("path", encoder.brief(p)), ("no_path", .bool(view.noPath))] }
        fields += [
            ("nodes", .array(nodes)), ("edges", .array(view.events.map(encoder.edge))),
            ("hidden_by_type", .object(view.hiddenByType.sorted { $0.key < $1.key }.map { ($0.key, .int(Int64($0.value))) })),
            ("truncated", .bool(view.truncated)),
        ]
        return .object(fields)
    }

    /// The query that counts what lies downstream of a node, by kind, type and state.
    static func downstreamQuery(_ kind: NodeKind, _ id: Int64) -> String {
        "\(kind)(id = \(id)) downstream* return count group by kind, type, state"
    }

    /// The delete selection the impact view dry-runs: the node, or the node and its downstream.
    static func deleteQuery(_ kind: NodeKind, _ id: Int64, downstream: Bool) -> String {
        downstream ? "\(kind)(id = \(id)) downstream{0,}" : "\(kind)(id = \(id))"
    }

    func impact(_ ref: NodeRef, downstream: Bool) async throws -> (counts: QueryResult?, delete: DeleteImpact?) {
        let id = snapshot.id(of: ref)
        guard ref.kind != .context else { return (nil, nil) }
        let counts = try run(Self.downstreamQuery(ref.kind, id), parameters: [:], limit: nil)
        let text = Self.deleteQuery(ref.kind, id, downstream: downstream)
        let impact = try await app.store.perform { try $0.deletionImpact(of: .query(text)) }
        return (counts, impact)
    }

    static func json(_ impact: DeleteImpact) -> JSONOut {
        func nodes(_ n: DeleteImpact.Nodes) -> JSONOut {
            .object([
                ("count", .int(Int64(n.count))),
                ("groups", .array(n.groups.map { g in
                    .object([("kind", .string(g.kind.description)), ("type", .string(g.type)), ("state", .string(g.state)), ("count", .int(Int64(g.count)))])
                })),
                ("sample", .array(n.sample.map { s in
                    .object([("kind", .string(s.kind.description)), ("id", .int(s.id)), ("type", .string(s.type)), ("name", .string(s.name)),
                             ("state", .string(s.state))])
                })),
            ])
        }
        return .object([
            ("mode", .string(impact.mode.rawValue)), ("deleted", nodes(impact.deleted)), ("events", .int(Int64(impact.events))),
            ("event_path_steps", .int(Int64(impact.eventPathSteps))), ("attributions", .int(Int64(impact.attributions))),
            ("associations", .int(Int64(impact.associations))), ("parent_contexts", .int(Int64(impact.parentContexts))),
            ("losing_provenance", nodes(impact.losingProvenance)), ("without_producer", nodes(impact.withoutProducer)),
            ("protected_at_risk", nodes(impact.protectedAtRisk)), ("protected_types", .array(impact.protectedTypes.map { .string($0) })),
            ("token", .string(impact.token)),
        ])
    }
}

/// The JSON API under /api/v1/.
struct API {
    let app: WebApp
    let snapshot: GraphSnapshot
    var views: Views { Views(app: app, snapshot: snapshot) }

    /// GET /api/v1/nodes?q=TEXT[&kind=K][&type=T][&limit=N]
    func search(_ r: WebRequest) throws(WebError) -> WebResponse {
        let kind = try r["kind"].flatMap { (k) throws(WebError) -> NodeKind? in
            if k.isEmpty { return nil }
            guard let kind = NodeKind(name: k) else { throw WebError(400, "kind is artifact, execution or context, got '\(k)'") }
            return kind
        }
        let limit = try r.int("limit", default: 20, in: 1...1_000)
        let s = NodeSearch(snapshot, index: app.searchIndex.index(for: snapshot), text: r["q"] ?? "", kind: kind, typeName: r["type"].flatMap { $0.isEmpty ? nil : $0 }, limit: limit)
        let encoder = ResultEncoder(snapshot: snapshot)
        return .json(.object([
            ("q", .string(r["q"] ?? "")), ("total", .int(Int64(s.total))),
            ("nodes", .array(s.hits.map { h in
                guard case .object(var fields) = encoder.brief(h.node) else { return .null }
                if h.node.kind == .artifact, let uri = snapshot.artifacts.uri(at: Int(h.node.index)) { fields.append(("uri", .string(uri))) }
                fields.append(("matched", .string(h.field)))
                return .object(fields)
            })),
            ("types", .array(s.types.map { .object([("kind", .string($0.kind.description)), ("name", .string($0.name)), ("count", .int(Int64($0.count)))]) })),
        ]))
    }

    /// GET /api/v1/nodes/KIND/ID: what `pedigree show --format json` prints.
    func node(kind: String, id: String) throws(WebError) -> WebResponse {
        let ref = try WebApp.nodeRef(kind: kind, id: id, in: snapshot)
        do {
            let detail = try snapshot.detail(kind: ref.kind, id: snapshot.id(of: ref))
            return .json(ResultEncoder(snapshot: snapshot).encode(detail))
        } catch {
            throw WebError(error)
        }
    }

    /// GET /api/v1/lineage/KIND/ID?up=&down=&expand=&collapse=&types=&path=&format=json|csv|svg|png|pdf|dot|mermaid
    func lineage(kind: String, id: String, _ r: WebRequest) throws(WebError) -> WebResponse {
        let focus = try WebApp.nodeRef(kind: kind, id: id, in: snapshot)
        let view = LineageView(snapshot, try views.lineageRequest(focus, r))
        _ = try views.diagramOptions(r, format: .svg)  // the drawing's fields are checked whatever the format
        let format = r["format"]?.lowercased() ?? "json"
        let file = "lineage-\(focus.kind)-\(snapshot.id(of: focus))"
        switch format {
        case "json": return .json(views.json(view))
        case "csv": return WebResponse.text(views.csv(view), contentType: "text/csv; charset=utf-8").attachment(file + ".csv")
        default:
            guard let f = Views.diagramFormat(format) else {
                throw WebError(400, "format is json, csv, svg, png, pdf, dot or mermaid, got '\(format)'")
            }
            let response = try Views.encoded(try views.diagram(view, options: try views.diagramOptions(r, format: f)), f)
            return r["download"] == "1" ? response.attachment(file + "." + (f == .mermaid ? "mmd" : f.rawValue)) : response
        }
    }

    /// GET /api/v1/impact/KIND/ID[?scope=node|downstream]: what lies downstream, by kind, type and
    /// state, and the delete dry run of the node (or of it and everything downstream).
    func impact(kind: String, id: String, _ r: WebRequest) async throws -> WebResponse {
        let ref = try WebApp.nodeRef(kind: kind, id: id, in: snapshot)
        guard ref.kind != .context else { throw WebError(400, "the impact view is for artifacts and executions") }
        let downstream = try Self.scope(r)
        let (counts, delete) = try await views.impact(ref, downstream: downstream)
        var fields: [(String, JSONOut)] = [("node", ResultEncoder(snapshot: snapshot).brief(ref))]
        if let counts { fields.append(("downstream", ResultEncoder(snapshot: snapshot).encode(counts))) }
        if let delete {
            fields.append(("delete_query", .string(Views.deleteQuery(ref.kind, snapshot.id(of: ref), downstream: downstream))))
            fields.append(("delete", Views.json(delete)))
        }
        return .json(.object(fields))
    }

    static func scope(_ r: WebRequest) throws(WebError) -> Bool {
        switch r["scope"] ?? "node" {
        case "node", "": return false
        case "downstream": return true
        case let other: throw WebError(400, "scope is node or downstream, got '\(other)'")
        }
    }

    /// GET or POST /api/v1/query: q, parameters (`p.NAME=value`), limit, format json|csv.
    func query(_ r: WebRequest) throws(WebError) -> WebResponse {
        guard let text = r["q"] ?? r["query"] else { throw WebError(400, "send the query as q") }
        let limit = try r.int("limit", default: 10_000, in: 1...10_000_000)
        let result = try views.run(text, parameters: r.queryParameters, limit: limit)
        switch r["format"]?.lowercased() ?? "json" {
        case "json": return .json(ResultEncoder(snapshot: snapshot).encode(result))
        case "csv":
            let lines = ResultLayout(format: .csv).lines(result, snapshot: snapshot)
            return WebResponse.text(lines.joined(separator: "\n") + "\n", contentType: "text/csv; charset=utf-8").attachment("query.csv")
        case let other: throw WebError(400, "format is json or csv, got '\(other)'")
        }
    }

    /// GET /api/v1/check?q=...: whether a query parses and binds, without running it: its plan,
    /// or 400 with its diagnostics (and `rendered`, the text with carets) — the query page's check
    /// as you type.
    func check(_ r: WebRequest) throws(WebError) -> WebResponse {
        guard let text = r["q"] ?? r["query"] else { throw WebError(400, "send the query as q") }
        do {
            let plan = try snapshot.plan(text, parameters: r.queryParameters)
            return .json(.object([("ok", .bool(true)), ("plan", .string(ExplainRenderer.render(plan)))]))
        } catch {
            throw WebError.from(error)
        }
    }

    /// GET or POST /api/v1/render: q, parameters, format svg|png|pdf|dot|mermaid, rankdir,
    /// cluster_by, collapse_executions, max_nodes.
    func render(_ r: WebRequest) throws(WebError) -> WebResponse {
        guard let text = r["q"] ?? r["query"] else { throw WebError(400, "send the query as q") }
        let formatText = r["format"] ?? "svg"
        guard let format = Views.diagramFormat(formatText) else { throw WebError(400, "format is svg, png, pdf, dot or mermaid, got '\(formatText)'") }
        let result = try views.run(text, parameters: r.queryParameters, limit: nil)
        let options = try views.diagramOptions(r, format: format)
        do {
            let response = try Views.encoded(try snapshot.diagram(result, options: options), format)
            return r["download"] == "1" ? response.attachment("query." + (format == .mermaid ? "mmd" : format.rawValue)) : response
        } catch let e as WebError {
            throw e
        } catch {
            throw WebError.from(error)
        }
    }

    /// POST /api/v1/lineage: one OpenLineage event (RunEvent, DatasetEvent or JobEvent), as the
    /// OpenLineage clients' HTTP transport sends it; applied in one transaction. 201 when taken;
    /// 400 with the path of the field at fault.
    func ingest(_ r: WebRequest) async throws -> WebResponse {
        guard !app.store.isReadOnly else {
            throw WebError(405, "this server opened the store read-only (pedigree web): send events to `pedigree serve --http-port`")
        }
        guard !r.body.isEmpty else { throw WebError(400, "send the event as the request body (application/json)") }
        let event: OpenLineage.Event
        do {
            event = try OpenLineage.parse(String(decoding: r.body, as: UTF8.self))
        } catch {
            throw WebError(400, error.message, field: error.path.isEmpty ? nil : error.path)
        }
        try await app.store.perform { try $0.apply([event]) }
        return .json(.object([("status", .string("created"))]), status: 201)
    }

    /// GET /api/v1/stats: counts by kind and type.
    func stats() -> WebResponse {
        let c = StoreCounts(snapshot)
        return .json(.object([
            ("artifacts", .int(Int64(c.artifacts))), ("executions", .int(Int64(c.executions))), ("contexts", .int(Int64(c.contexts))),
            ("events", .int(Int64(c.events))), ("types", .object(c.byType.sorted { $0.key < $1.key }.map { ($0.key, .int(Int64($0.value))) })),
            ("generation", .int(Int64(snapshot.generation))),
        ]))
    }
}
