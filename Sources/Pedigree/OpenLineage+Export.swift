internal import Foundation
@_spi(Engine) internal import PedigreeGraph
internal import PedigreeModel

extension OpenLineage {
    package static let producer = "urn:pedigree:export"
    package static let runEventSchema = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/definitions/RunEvent"

    /// Every execution of a snapshot as one OpenLineage RunEvent, in id order: what `pedigree
    /// export --format openlineage` writes, for Marquez or another consumer. Runs that came from
    /// OpenLineage go back as they came (runId, job, facets, the parent); an MLMD execution becomes
    /// a run of job `mlmd` / `CONTEXT.TYPE` (its first context's name and its type) with a runId
    /// derived from its id. Datasets are named from their uri (`scheme://authority` and the rest).
    package static func events(_ g: GraphSnapshot) -> [JSONOut] {
        let jobType = g.typeID(kind: .context, name: jobType, version: nil)
        var out: [JSONOut] = []
        for x in 0..<g.nodeCount(.execution) {
            let run: Execution = g.node(at: Int32(x))
            let ref = NodeRef(.execution, Int32(x))
            let contexts = g.executionContexts.items(ref.index).map { g.node(at: $0, as: Context.self) }.sorted { $0.id! < $1.id! }
            // The job: its ol.Job context, else the first context's name and the execution's type.
            let job: (namespace: String, name: String, facets: JSONOut)
            if let ctx = contexts.first(where: { $0.typeID == jobType }) {
                let parts = ctx.name.split(separator: "/", maxSplits: 1).map(String.init)
                job = (string(ctx.customProperties["ol.namespace"]) ?? parts[0], string(ctx.customProperties["ol.name"]) ?? parts.last!,
                       facets(ctx.customProperties))
            } else {
                let type = g.typeName(of: ref)
                job = ("mlmd", contexts.first.map { "\($0.name).\(type)" } ?? type, .object([]))
            }
            let runID = run.externalID.flatMap { isUUID($0) ? $0 : nil } ?? derivedUUID("pedigree execution \(run.id!.rawValue) \(run.name ?? "")")
            let eventType: String =
                switch run.lastKnownState {
                case .complete?, .cached?: "COMPLETE"
                case .failed?: "FAIL"
                case .canceled?: "ABORT"
                case .running?, .new?: "START"
                default: "OTHER"
                }
            let time: Int64 = if case .int(let t)? = run.customProperties["ol.state_time"] { t } else { run.updateTime ?? run.createTime ?? 0 }
            var inputs: [JSONOut] = [], outputs: [JSONOut] = []
            var seen: Set<String> = []
            for e in g.executionEvents.items(ref.index) {
                let raw = g.events.types[Int(e)]
                guard raw != 0 else { continue }
                let input = EventType.isInput(raw: Int32(raw))
                let artifact: Artifact = g.node(at: g.events.artifacts[Int(e)])
                let (ns, name) = datasetName(artifact, type: g.type(artifact.typeID)?.name ?? "?")
                guard seen.insert("\(input) \(ns)/\(name)").inserted else { continue }
                var fields: [(String, JSONOut)] = [("namespace", .string(ns)), ("name", .string(name)), ("facets", facets(artifact.customProperties))]
                let key = input ? "ol.input_facets" : "ol.output_facets"
                if case .struct(let byURI)? = run.customProperties[key], let uri = artifact.uri, let f = byURI[uri] {
                    fields.append((input ? "inputFacets" : "outputFacets", json(f)))
                }
                if input { inputs.append(.object(fields)) } else { outputs.append(.object(fields)) }
            }
            out.append(.object([
                ("eventType", .string(eventType)), ("eventTime", .string(isoTime(time))),
                ("run", .object([("runId", .string(runID)), ("facets", facets(run.customProperties))])),
                ("job", .object([("namespace", .string(job.namespace)), ("name", .string(job.name)), ("facets", job.facets)])),
                ("inputs", .array(inputs)), ("outputs", .array(outputs)),
                ("producer", .string(producer)), ("schemaURL", .string(runEventSchema)),
            ]))
        }
        return out
    }

    /// A facet as JSON: whole numbers as integers (facets such as rowCount are integers in the spec).
    private static func json(_ s: StructValue) -> JSONOut {
        switch s {
        case .number(let d) where d.rounded() == d && abs(d) < 9e15: .int(Int64(d))
        case .object(let o): .object(o.keys.sorted().map { ($0, json(o[$0]!)) })
        case .list(let l): .array(l.map(json))
        default: ResultEncoder.structValue(s)
        }
    }

    private static func string(_ v: Value?) -> String? { if case .string(let s)? = v { s } else { nil } }

    /// The `ol.facet.NAME` custom properties as a facets object.
    private static func facets(_ p: Properties) -> JSONOut {
        .object(p.keys.filter { $0.hasPrefix("ol.facet.") }.sorted().compactMap { key in
            guard case .struct(let s)? = p[key] else { return nil }
            return (String(key.dropFirst("ol.facet.".count)), json(.object(s)))
        })
    }

    /// A dataset's namespace and name: as OpenLineage gave them, else from the uri
    /// (`gs://bucket/a/b`: `gs://bucket` and `a/b`), else `mlmd` and `TYPE/NAME`.
    static func datasetName(_ a: Artifact, type: String) -> (String, String) {
        if let ns = string(a.customProperties["ol.namespace"]), let name = string(a.customProperties["ol.name"]) { return (ns, name) }
        if let uri = a.uri, let scheme = uri.range(of: "://") {
            let rest = uri[scheme.upperBound...]
            if let slash = rest.firstIndex(of: "/") {
                return (String(uri[..<slash]), String(rest[rest.index(after: slash)...]))
            }
            return (uri, "")
        }
        if let uri = a.uri, !uri.isEmpty { return ("file", uri) }
        return ("mlmd", "\(type)/\(a.name ?? String(a.id!.rawValue))")
    }

    static func isUUID(_ s: String) -> Bool {
        let b = Array(s.utf8)
        guard b.count == 36 else { return false }
        for (i, c) in b.enumerated() {
            if [8, 13, 18, 23].contains(i) { guard c == 45 else { return false } } else {
                guard (48...57).contains(c) || (97...102).contains(c) || (65...70).contains(c) else { return false }
            }
        }
        return true
    }

    /// A UUID (version 8, name-based) from a text: the same text, the same id.
    static func derivedUUID(_ text: String) -> String {
        func fnv(_ seed: UInt64) -> UInt64 {
            var h = seed
            for b in text.utf8 {
                h ^= UInt64(b)
                h = h &* 0x100_0000_01b3
            }
            return h
        }
        var hi = fnv(0xcbf2_9ce4_8422_2325), lo = fnv(0x8422_2325_cbf2_9ce4)
        hi = (hi & ~0xF000) | 0x8000  // version 8
        lo = (lo & ~(0xC << 60)) | (0x8 << 60)  // RFC 4122 variant
        let hex = String(format: "%016llx%016llx", hi, lo)
        let c = Array(hex)
        return "\(String(c[0..<8]))-\(String(c[8..<12]))-\(String(c[12..<16]))-\(String(c[16..<20]))-\(String(c[20..<32]))"
    }

    static func isoTime(_ ms: Int64) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
    }
}

extension MetadataStore {
    /// Every execution as an OpenLineage RunEvent, one JSON object a line (see `OpenLineage.events`).
    public func exportOpenLineage(to write: (String) throws -> Void) rethrows {
        for e in OpenLineage.events(snapshot) { try write(e.text) }
    }
}
