import ArgumentParser
import Foundation
import Pedigree

struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Show one node: its fields, properties, events and contexts.")

    enum Kind: String, ExpressibleByArgument, CaseIterable { case artifact, execution, context }

    @OptionGroup var store: StoreOptions
    @Argument(help: "artifact, execution or context") var kind: Kind
    @Argument(help: "The node's id.") var id: Int64
    @Option(help: "table or json") var format: OutputFormat = .table

    func run() throws {
        try PedigreeCommand.run {
            let g = try store.open(.readOnly).snapshot
            var fields: [(String, String?)] = []
            var props: Properties = [:]
            var custom: Properties = [:]
            var typeID: TypeID
            var times: (Int64?, Int64?)
            var related: [(String, String)] = []  // (section, line)
            var relatedJSON: [String: [String]] = [:]

            func describe(_ kind: NodeKind, _ index: Int32) -> (String, String) {
                let (id, typeID, name): (Int64, TypeID, String?) =
                    switch kind {
                    case .artifact: (g.artifacts[Int(index)].id!.rawValue, g.artifacts[Int(index)].typeID, g.artifacts[Int(index)].name)
                    case .execution: (g.executions[Int(index)].id!.rawValue, g.executions[Int(index)].typeID, g.executions[Int(index)].name)
                    case .context: (g.contexts[Int(index)].id!.rawValue, g.contexts[Int(index)].typeID, g.contexts[Int(index)].name)
                    }
                let typeName = g.type(typeID)?.name ?? "?"
                let text = "\(kind) \(id) (\(typeName)\(name.map { " \"\($0)\"" } ?? ""))"
                let json = "{\"kind\":\"\(kind)\",\"id\":\(id),\"type\":\(JSONWriter.quoted(typeName))\(name.map { ",\"name\":" + JSONWriter.quoted($0) } ?? "")}"
                return (text, json)
            }
            func eventLine(_ index: Int32, from kind: NodeKind) -> (String, String) {
                let e = g.event(Int(index))
                let path = e.path.map { step -> String in
                    switch step {
                    case .index(let i): "[\(i)]"
                    case .key(let k): ".\(k)"
                    }
                }.joined()
                let (other, otherJSON) = kind == .artifact ? describe(.execution, g.events.executions[Int(index)]) : describe(.artifact, g.events.artifacts[Int(index)])
                let arrow = e.type.isInput == (kind == .artifact) ? "->" : "<-"
                let text = "\(e.type.description.padding(toLength: 16, withPad: " ", startingAt: 0)) \(arrow) \(other)\(path.isEmpty ? "" : "  path \(path)")"
                let json = "{\"type\":\"\(e.type)\",\"node\":\(otherJSON)\(path.isEmpty ? "" : ",\"path\":" + JSONWriter.quoted(path))\(e.time.map { ",\"milliseconds_since_epoch\":\($0)" } ?? "")}"
                return (text, json)
            }

            switch kind {
            case .artifact:
                guard let index = g.index(of: ArtifactID(id)) else { throw MetadataError.notFound("no artifact with id \(id)") }
                let a = g.artifacts[Int(index)]
                typeID = a.typeID
                fields = [("name", a.name), ("uri", a.uri), ("state", a.state?.description), ("external_id", a.externalID)]
                (props, custom, times) = (a.properties, a.customProperties, (a.createTime, a.updateTime))
                for e in g.artifactEvents.items(index) {
                    let (t, j) = eventLine(e, from: .artifact)
                    related.append(("events", t))
                    relatedJSON["events", default: []].append(j)
                }
                for c in g.artifactContexts.items(index) {
                    let (t, j) = describe(.context, c)
                    related.append(("contexts", t))
                    relatedJSON["contexts", default: []].append(j)
                }
            case .execution:
                guard let index = g.index(of: ExecutionID(id)) else { throw MetadataError.notFound("no execution with id \(id)") }
                let e = g.executions[Int(index)]
                typeID = e.typeID
                fields = [("name", e.name), ("last_known_state", e.lastKnownState?.description), ("external_id", e.externalID)]
                (props, custom, times) = (e.properties, e.customProperties, (e.createTime, e.updateTime))
                for ev in g.executionEvents.items(index) {
                    let (t, j) = eventLine(ev, from: .execution)
                    related.append(("events", t))
                    relatedJSON["events", default: []].append(j)
                }
                for c in g.executionContexts.items(index) {
                    let (t, j) = describe(.context, c)
                    related.append(("contexts", t))
                    relatedJSON["contexts", default: []].append(j)
                }
            case .context:
                guard let index = g.index(of: ContextID(id)) else { throw MetadataError.notFound("no context with id \(id)") }
                let c = g.contexts[Int(index)]
                typeID = c.typeID
                fields = [("name", c.name), ("external_id", c.externalID)]
                (props, custom, times) = (c.properties, c.customProperties, (c.createTime, c.updateTime))
                for (section, kind, items) in [
                    ("parents", NodeKind.context, g.contextParents.items(index)),
                    ("children", .context, g.contextChildren.items(index)),
                    ("executions", .execution, g.contextExecutions.items(index)),
                    ("artifacts", .artifact, g.contextArtifacts.items(index)),
                ] {
                    for i in items {
                        let (t, j) = describe(kind, i)
                        related.append((section, t))
                        relatedJSON[section, default: []].append(j)
                    }
                }
            }
            let typeName = g.type(typeID)?.name ?? "?"
            var out = Output()
            switch format {
            case .json:
                var parts = ["\"kind\":\"\(kind.rawValue)\"", "\"id\":\(id)", "\"type_id\":\(typeID)", "\"type\":\(JSONWriter.quoted(typeName))"]
                for (k, v) in fields { if let v { parts.append("\(JSONWriter.quoted(k)):\(JSONWriter.quoted(v))") } }
                parts.append("\"properties\":\(Interchange.properties(props))")
                parts.append("\"custom_properties\":\(Interchange.properties(custom))")
                if let t = times.0 { parts.append("\"create_time_since_epoch\":\(t)") }
                if let t = times.1 { parts.append("\"last_update_time_since_epoch\":\(t)") }
                for section in relatedJSON.keys.sorted() {
                    parts.append("\(JSONWriter.quoted(section)):[\(relatedJSON[section]!.joined(separator: ","))]")
                }
                out.line("{" + parts.joined(separator: ",") + "}")
            case .table:
                out.line("\(kind.rawValue) \(id)  type \(typeName) (\(typeID))")
                for (k, v) in fields { if let v { out.line("  \(k): \(v)") } }
                if let t = times.0 { out.line("  created: \(isoTime(t))") }
                if let t = times.1 { out.line("  updated: \(isoTime(t))") }
                for (title, set) in [("properties", props), ("custom properties", custom)] where !set.isEmpty {
                    out.line("  \(title):")
                    for name in set.keys.sorted() { out.line("    \(name) = \(render(set[name]!))") }
                }
                var lastSection = ""
                for (section, line) in related {
                    if section != lastSection {
                        out.line("  \(section):")
                        lastSection = section
                    }
                    out.line("    \(line)")
                }
            }
            out.flush()
        }
    }

    private func isoTime(_ ms: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
    }

    private func render(_ v: Value) -> String {
        switch v {
        case .int(let i): "\(i)"
        case .double(let d): "\(d)"
        case .string(let s): JSONWriter.quoted(s)
        case .bool(let b): "\(b)"
        case .struct: "struct " + Interchange.properties(["v": v]).dropFirst(5).dropLast(1)
        case .proto(let any): "proto \(any.typeURL) (\(any.value.count) bytes)"
        }
    }
}

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo", abstract: "Write a TFX-like example pipeline into a new store.")
    @OptionGroup var store: StoreOptions
    @Option(help: "Number of pipeline runs.") var runs: Int = 4

    func validate() throws {
        if runs < 3 { throw ValidationError("--runs must be at least 3 (the demo has a warm start and a failed run)") }
    }

    func run() throws {
        try PedigreeCommand.run {
            if FileManager.default.fileExists(atPath: store.db) {
                throw MetadataError.alreadyExists("\(store.db) exists; the demo writes a new store (remove the file first)")
            }
            let s = try store.open(.create)
            let summary = try DemoPipeline.write(into: s, runs: runs)
            s.close()
            print("wrote a \(summary.runs)-run TFX-like pipeline to \(store.db); latest model: artifact \(summary.latestModel)")
        }
    }
}
