internal import Foundation
@_spi(Engine) import PedigreeGraph
import PedigreeModel
import PedigreeQuery
import Pedigree

/// An HTTP request as the explorer reads it, whatever server carried it.
struct WebRequest: Sendable {
    var method: String
    /// The decoded path, without the query string.
    var path: String
    /// Query-string fields, then form or JSON body fields, in order.
    var fields: [(String, String)]
    /// Lower-case header names.
    var headers: [String: String]
    /// The body as sent, for the endpoints that read it whole (OpenLineage's events).
    var body: [UInt8] = []
    /// The path and query string as sent.
    var target: String

    init(method: String, target: String, headers: [String: String] = [:], body: [UInt8] = []) throws(WebError) {
        self.method = method
        self.headers = headers
        self.target = target
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        path = String(parts[0]).removingPercentEncoding ?? String(parts[0])
        fields = parts.count > 1 ? Self.formFields(parts[1]) : []
        guard !body.isEmpty else { return }
        if Self.rawBodyPaths.contains(path) {
            self.body = body
            return
        }
        let contentType = headers["content-type"]?.lowercased() ?? ""
        guard let text = String(validating: body, as: UTF8.self) else { throw WebError(400, "the request body is not UTF-8") }
        if contentType.hasPrefix("application/json") {
            fields += try Self.jsonFields(text)
        } else if contentType.hasPrefix("application/x-www-form-urlencoded") {
            fields += Self.formFields(Substring(text))
        } else {
            throw WebError(415, "send the body as application/json or application/x-www-form-urlencoded (got '\(contentType)')")
        }
    }

    /// Where the body is kept as it is, not read as fields.
    static let rawBodyPaths: Set<String> = ["/api/v1/lineage"]

    /// The last value of a field.
    subscript(_ name: String) -> String? { fields.last { $0.0 == name }?.1 }

    /// Every value of a field, commas splitting each value too (`expand=a,b&expand=c`).
    func list(_ name: String) -> [String] {
        fields.filter { $0.0 == name }.flatMap { $0.1.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
            .filter { !$0.isEmpty }
    }

    /// An integer field within bounds, or the default when absent.
    func int(_ name: String, default value: Int, in range: ClosedRange<Int>) throws(WebError) -> Int {
        guard let text = self[name], !text.isEmpty else { return value }
        guard let n = Int(text), range.contains(n) else {
            throw WebError(400, "\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound), got '\(text)'")
        }
        return n
    }

    /// Query parameters for the language: fields `p.NAME` (or a JSON body's "parameters" object).
    var queryParameters: [String: String] {
        var out: [String: String] = [:]
        for (k, v) in fields where k.hasPrefix("p.") { out[String(k.dropFirst(2))] = v }
        return out
    }

    static func formFields(_ text: Substring) -> [(String, String)] {
        text.split(separator: "&").compactMap { pair in
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String {
                let spaced = s.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            let key = decode(kv[0])
            return key.isEmpty ? nil : (key, kv.count > 1 ? decode(kv[1]) : "")
        }
    }

    /// A JSON object body: string, number and boolean fields as text (arrays as repeated
    /// fields); the "parameters" object as `p.NAME`.
    static func jsonFields(_ text: String) throws(WebError) -> [(String, String)] {
        guard let parsed = try? JSON.parse(text), case .object(let object) = parsed else {
            throw WebError(400, "the request body is not a JSON object")
        }
        func scalar(_ v: JSON) -> String? {
            switch v {
            case .string(let s): s
            case .number(let n): n
            case .bool(let b): b ? "true" : "false"
            default: nil
            }
        }
        var out: [(String, String)] = []
        for key in object.keys.sorted() {
            let value = object[key]!
            switch (key, value) {
            case ("parameters", .object(let params)):
                for (name, v) in params.sorted(by: { $0.key < $1.key }) {
                    guard let s = scalar(v) else { throw WebError(400, "parameter \"\(name)\" must be a string, number or boolean") }
                    out.append(("p." + name, s))
                }
            case ("parameters", _): throw WebError(400, "\"parameters\" must be an object")
            case (_, .array(let items)):
                for item in items {
                    guard let s = scalar(item) else { throw WebError(400, "\"\(key)\" must hold strings or numbers") }
                    out.append((key, s))
                }
            default:
                guard let s = scalar(value) else { throw WebError(400, "\"\(key)\" must be a string, number or boolean") }
                out.append((key, s))
            }
        }
        return out
    }
}

/// An answer: status, content type, body and extra headers.
struct WebResponse: Sendable {
    var status: Int
    var contentType: String
    var body: [UInt8]
    var headers: [(String, String)] = []

    static func json(_ value: JSONOut, status: Int = 200) -> WebResponse {
        WebResponse(status: status, contentType: "application/json; charset=utf-8", body: Array(value.text.utf8))
    }

    static func html(_ text: String, status: Int = 200) -> WebResponse {
        WebResponse(status: status, contentType: "text/html; charset=utf-8", body: Array(text.utf8))
    }

    static func text(_ text: String, contentType: String, status: Int = 200) -> WebResponse {
        WebResponse(status: status, contentType: contentType, body: Array(text.utf8))
    }

    static func redirect(_ location: String) -> WebResponse {
        WebResponse(status: 303, contentType: "text/plain; charset=utf-8", body: Array("see \(location)\n".utf8), headers: [("Location", location)])
    }

    /// Offered as a download named `name`.
    func attachment(_ name: String) -> WebResponse {
        var r = self
        r.headers.append(("Content-Disposition", "attachment; filename=\"\(name)\""))
        return r
    }
}

/// A request the explorer refuses: an HTTP status and a message for people.
struct WebError: Error, Sendable {
    var status: Int
    var message: String
    /// A query's diagnostics, when the query is what was wrong.
    var queryError: QueryError?

    /// The path of the field at fault in an OpenLineage event (`run.runId`).
    var field: String?

    init(_ status: Int, _ message: String, queryError: QueryError? = nil, field: String? = nil) {
        self.status = status
        self.message = message
        self.queryError = queryError
        self.field = field
    }

    init(_ error: MetadataError) {
        let status =
            switch error.code {
            case .notFound: 404
            case .invalidArgument: 400
            case .failedPrecondition, .alreadyExists, .aborted: 409
            case .resourceExhausted: 413
            case .deadlineExceeded: 504
            case .unavailable: 503
            default: 500
            }
        self.init(status, error.message)
    }

    init(_ error: QueryError) {
        self.init(400, error.diagnostics.first?.message ?? "the query is not valid", queryError: error)
    }

    /// Wraps whatever a handler threw.
    static func from(_ error: any Error) -> WebError {
        switch error {
        case let e as WebError: e
        case let e as MetadataError: WebError(e)
        case let e as QueryError: WebError(e)
        default: WebError(500, "\(error)")
        }
    }
}

/// The explorer: routes a request to its page or API handler. Reads answer from the store's
/// current snapshot; nothing here writes.
struct WebApp: Sendable {
    let store: MetadataStore
    let limits: QueryLimits
    /// When set, every request but the login page's must carry it (header or cookie).
    let authToken: String?
    /// Names and uris for the search box, rebuilt when the snapshot moves on.
    let searchIndex = SearchIndexCache()

    static let apiPrefix = "/api/v1/"

    func respond(_ request: WebRequest) async -> WebResponse {
        let isAPI = request.path.hasPrefix(Self.apiPrefix) || request.path == "/api/v1"
        do {
            if let token = authToken, !request.path.hasPrefix("/static/"), request.path != "/login", !Self.authorized(request, token) {
                if isAPI { throw WebError(401, "send 'Authorization: Bearer <token>' (the server's --auth-token-file)") }
                return .redirect("/login?next=" + Self.formEscape(request.target))
            }
            return try await route(request, isAPI: isAPI)
        } catch {
            let e = WebError.from(error)
            if isAPI { return Self.apiError(e) }
            return .html(Pages(app: self, snapshot: store.snapshot).errorPage(e), status: e.status)
        }
    }

    private func route(_ request: WebRequest, isAPI: Bool) async throws -> WebResponse {
        let parts = request.path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        let method = request.method
        func only(_ allowed: String...) throws(WebError) {
            guard allowed.contains(method) else { throw WebError(405, "\(request.path) answers \(allowed.joined(separator: " and ")), not \(method)") }
        }
        if isAPI {
            let api = API(app: self, snapshot: store.snapshot)
            switch Array(parts.dropFirst(2)) {
            case ["nodes"]: try only("GET"); return try api.search(request)
            case let p where p.count == 3 && p[0] == "nodes": try only("GET"); return try api.node(kind: p[1], id: p[2])
            case let p where p.count == 3 && p[0] == "lineage": try only("GET"); return try api.lineage(kind: p[1], id: p[2], request)
            case let p where p.count == 3 && p[0] == "impact": try only("GET"); return try await api.impact(kind: p[1], id: p[2], request)
            case ["query"]: try only("GET", "POST"); return try api.query(request)
            case ["check"]: try only("GET", "POST"); return try api.check(request)
            case ["lineage"]: try only("POST"); return try await api.ingest(request)
            case ["render"]: try only("GET", "POST"); return try api.render(request)
            case ["stats"]: try only("GET"); return api.stats()
            default: throw WebError(404, "no API endpoint \(request.path): see the README's list under /api/v1/")
            }
        }
        let pages = Pages(app: self, snapshot: store.snapshot)
        switch parts {
        case []: try only("GET"); return .html(try pages.search(request))
        case ["query"]: try only("GET", "POST"); return .html(try pages.query(request))
        case let p where p.count == 3 && p[0] == "node": try only("GET"); return .html(try pages.node(kind: p[1], id: p[2], request))
        case let p where p.count == 3 && p[0] == "impact": try only("GET"); return .html(try await pages.impact(kind: p[1], id: p[2], request))
        case ["login"]:
            try only("GET", "POST")
            return try login(request, pages)
        case ["static", "pedigree.css"]: return .text(Assets.css, contentType: "text/css; charset=utf-8").cached()
        case ["static", "pedigree.js"]: return .text(Assets.script, contentType: "text/javascript; charset=utf-8").cached()
        default: throw WebError(404, "there is no page \(request.path)")
        }
    }

    // MARK: Access

    static let cookieName = "pedigree_token"

    static func authorized(_ request: WebRequest, _ token: String) -> Bool {
        if let header = request.headers["authorization"], header.hasPrefix("Bearer "), constantTimeEqual(String(header.dropFirst(7)), token) {
            return true
        }
        for part in (request.headers["cookie"] ?? "").split(separator: ";") {
            let kv = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            if kv.count == 2, kv[0] == cookieName, constantTimeEqual(String(kv[1]).removingPercentEncoding ?? "", token) { return true }
        }
        return false
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// The login form; a right token sets an HttpOnly cookie and goes where the visitor was going.
    private func login(_ request: WebRequest, _ pages: Pages) throws(WebError) -> WebResponse {
        let next = request["next"].flatMap { $0.hasPrefix("/") && !$0.hasPrefix("//") ? $0 : nil } ?? "/"
        guard request.method == "POST" else { return .html(pages.login(next: next, failed: false)) }
        guard let token = authToken else { return .redirect(next) }
        guard let given = request["token"], Self.constantTimeEqual(given, token) else {
            return .html(pages.login(next: next, failed: true), status: 401)
        }
        var r = WebResponse.redirect(next)
        r.headers.append(("Set-Cookie", "\(Self.cookieName)=\(Self.formEscape(token)); Path=/; HttpOnly; SameSite=Strict"))
        return r
    }

    // MARK: Shared helpers

    static func apiError(_ e: WebError) -> WebResponse {
        var fields: [(String, JSONOut)] = [("error", .string(e.message)), ("status", .int(Int64(e.status)))]
        if let field = e.field { fields.append(("field", .string(field))) }
        if let q = e.queryError, case .object(let diagnostics) = ResultEncoder.encode(q) {
            fields += diagnostics + [("rendered", .string(DiagnosticRenderer.render(q.diagnostics, in: q.source)))]
        }
        return .json(.object(fields), status: e.status)
    }

    /// Percent-escapes a value for a URL's query string or path.
    static func formEscape(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~/:")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }

    /// A node named in a URL: `artifact:12`, `artifact 12` or `artifact/12`.
    static func nodeRef(_ text: String, in g: GraphSnapshot) throws(WebError) -> NodeRef {
        let parts = text.split(whereSeparator: { $0 == ":" || $0 == " " || $0 == "/" })
        guard parts.count == 2 else { throw WebError(400, "'\(text)' is not a node: write kind:id, e.g. artifact:12") }
        return try nodeRef(kind: String(parts[0]), id: String(parts[1]), in: g)
    }

    static func nodeRef(kind: String, id: String, in g: GraphSnapshot) throws(WebError) -> NodeRef {
        guard let k = NodeKind(name: kind) else { throw WebError(400, "'\(kind)' is not a node kind: use artifact, execution or context") }
        guard let n = Int64(id) else { throw WebError(400, "'\(id)' is not a node id: ids are whole numbers") }
        guard let index = g.nodeIndex(kind: k, id: n) else { throw WebError(404, "no \(k) with id \(n)") }
        return NodeRef(k, index)
    }

    static func refText(_ g: GraphSnapshot, _ n: NodeRef) -> String { "\(n.kind):\(g.id(of: n))" }
}

extension NodeKind {
    init?(name: String) {
        switch name.lowercased() {
        case "artifact", "artifacts": self = .artifact
        case "execution", "executions": self = .execution
        case "context", "contexts": self = .context
        default: return nil
        }
    }
}

extension WebResponse {
    /// Static files change only with the binary: a day in caches.
    func cached() -> WebResponse {
        var r = self
        r.headers.append(("Cache-Control", "public, max-age=86400"))
        return r
    }
}
