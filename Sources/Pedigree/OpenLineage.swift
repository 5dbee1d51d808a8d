internal import Foundation
@_spi(Engine) internal import PedigreeGraph
internal import PedigreeModel

/// OpenLineage 2-0-x events (RunEvent, DatasetEvent, JobEvent) read from JSON, as the store maps
/// them onto MLMD's model (README: OpenLineage):
/// - a job is a context of type `ol.Job` named `namespace/name`;
/// - a run is an execution of type `ol.Run` named and externally identified by its runId,
///   associated with its job; its state comes from the event type (START and RUNNING: RUNNING,
///   COMPLETE, FAIL: FAILED, ABORT: CANCELED; OTHER leaves it), and a finished state is never
///   taken back by an earlier or a RUNNING event, so events merge in any order;
/// - a dataset is an artifact whose uri is `namespace/name`; an artifact with that uri already in
///   the store (an MLMD artifact of any type) is that dataset; otherwise one of type `ol.Dataset`;
/// - inputs and outputs are INPUT and OUTPUT events at the event's time;
/// - facets are kept as struct custom properties `ol.facet.NAME` (the latest event's facet of a
///   name wins), input and output facets on the run as `ol.input_facets` / `ol.output_facets` by
///   dataset uri, and the parent run facet makes the parent's job context a parent of the job's.
package enum OpenLineage {
    package static let jobType = "ol.Job"
    package static let runType = "ol.Run"
    package static let datasetType = "ol.Dataset"

    package struct Job: Equatable {
        var namespace: String
        var name: String
        var facets: [String: StructValue]
        package var contextName: String { "\(namespace)/\(name)" }
    }

    package struct Dataset: Equatable {
        var namespace: String
        var name: String
        var facets: [String: StructValue]
        /// inputFacets or outputFacets.
        var ioFacets: [String: StructValue]
        package var uri: String { OpenLineage.uri(namespace: namespace, name: name) }
    }

    package struct Parent: Equatable {
        var runID: String
        var job: Job
    }

    package enum Kind: Equatable {
        /// eventType (nil when absent), runId, run facets, parent.
        case run(type: String?, runID: String, facets: [String: StructValue], parent: Parent?)
        case job
        case dataset(Dataset)
    }

    package struct Event: Equatable {
        var kind: Kind
        /// eventTime, in milliseconds since the epoch.
        var time: Int64
        var producer: String
        var job: Job?
        var inputs: [Dataset] = []
        var outputs: [Dataset] = []
    }

    package static let eventTypes = ["START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER"]

    /// The dataset uri of OpenLineage's naming: namespace and name joined by one `/`
    /// (`postgres://db:5432` and `public.orders` make `postgres://db:5432/public.orders`).
    package static func uri(namespace: String, name: String) -> String {
        if namespace.hasSuffix("/") || name.hasPrefix("/") {
            return namespace.hasSuffix("/") && name.hasPrefix("/") ? namespace + name.dropFirst() : namespace + name
        }
        return namespace + "/" + name
    }

    /// A field that is wrong, by its path in the event (`run.runId`; empty when the text is not JSON).
    package struct FieldError: Error {
        package var path: String
        package var reason: String
        package var message: String { path.isEmpty ? reason : "\(path): \(reason)" }
        package var metadataError: MetadataError { .invalidArgument(message) }
    }

    static func fieldError(_ path: String, _ reason: String) -> FieldError { FieldError(path: path, reason: reason) }

    /// Reads one event from its JSON text.
    package static func parse(_ text: some StringProtocol) throws(FieldError) -> Event {
        let json: JSON
        do {
            json = try JSON.parse(text)
        } catch {
            throw FieldError(path: "", reason: "not an OpenLineage event: \(error.description)")
        }
        return try parse(json)
    }

    package static func parse(_ json: JSON) throws(FieldError) -> Event {
        guard case .object = json else { throw fieldError("(event)", "an event is a JSON object") }
        let time = try timestamp(try string(json, "eventTime", at: ""), path: "eventTime")
        let producer = try string(json, "producer", at: "")
        if json["run"] != nil || json["eventType"] != nil {
            let type = try optionalString(json, "eventType", at: "")
            if let type, !eventTypes.contains(type) {
                throw fieldError("eventType", "'\(type)' is not an event type: use \(eventTypes.joined(separator: ", "))")
            }
            guard let run = json["run"] else { throw fieldError("run", "a required field is missing") }
            let runID = try string(run, "runId", at: "run.")
            let facets = try facetsOf(run, at: "run.")
            var parent: Parent?
            if case .object(let p)? = run["facets"]?["parent"] {
                let pj = JSON.object(p)
                guard let prun = pj["run"], let pjob = pj["job"] else { throw fieldError("run.facets.parent", "needs run and job") }
                parent = Parent(runID: try string(prun, "runId", at: "run.facets.parent.run."),
                                job: Job(namespace: try string(pjob, "namespace", at: "run.facets.parent.job."),
                                         name: try string(pjob, "name", at: "run.facets.parent.job."), facets: [:]))
            }
            var event = Event(kind: .run(type: type, runID: runID, facets: facets, parent: parent), time: time, producer: producer,
                              job: try job(json))
            (event.inputs, event.outputs) = try datasets(json)
            return event
        }
        if let dataset = json["dataset"] {
            return Event(kind: .dataset(try self.dataset(dataset, at: "dataset.", io: nil)), time: time, producer: producer)
        }
        guard json["job"] != nil else { throw fieldError("job", "a required field is missing (a RunEvent has run and job, a JobEvent job, a DatasetEvent dataset)") }
        var event = Event(kind: .job, time: time, producer: producer, job: try job(json))
        (event.inputs, event.outputs) = try datasets(json)
        return event
    }

    private static func job(_ json: JSON) throws(FieldError) -> Job {
        guard let job = json["job"] else { throw fieldError("job", "a required field is missing") }
        return Job(namespace: try string(job, "namespace", at: "job."), name: try string(job, "name", at: "job."), facets: try facetsOf(job, at: "job."))
    }

    private static func datasets(_ json: JSON) throws(FieldError) -> ([Dataset], [Dataset]) {
        var out: ([Dataset], [Dataset]) = ([], [])
        for (key, io) in [("inputs", "inputFacets"), ("outputs", "outputFacets")] {
            guard let value = json[key] else { continue }
            guard case .array(let items) = value else { throw fieldError(key, "must be a list of datasets") }
            var list: [Dataset] = []
            for (i, item) in items.enumerated() { list.append(try dataset(item, at: "\(key)[\(i)].", io: io)) }
            if key == "inputs" { out.0 = list } else { out.1 = list }
        }
        return out
    }

    private static func dataset(_ json: JSON, at path: String, io: String?) throws(FieldError) -> Dataset {
        guard case .object = json else { throw fieldError(String(path.dropLast()), "a dataset is an object") }
        var ioFacets: [String: StructValue] = [:]
        if let io, let value = json[io] {
            guard case .object(let o) = value else { throw fieldError(path + io, "facets are an object") }
            ioFacets = o.mapValues(structValue)
        }
        return Dataset(namespace: try string(json, "namespace", at: path), name: try string(json, "name", at: path),
                       facets: try facetsOf(json, at: path), ioFacets: ioFacets)
    }

    private static func facetsOf(_ json: JSON, at path: String) throws(FieldError) -> [String: StructValue] {
        guard let value = json["facets"] else { return [:] }
        guard case .object(let o) = value else { throw fieldError(path + "facets", "facets are an object") }
        return o.mapValues(structValue)
    }

    private static func string(_ json: JSON, _ key: String, at path: String) throws(FieldError) -> String {
        guard let value = json[key] else { throw fieldError(path + key, "a required field is missing") }
        guard let s = value.string, !s.isEmpty else { throw fieldError(path + key, "must be a non-empty string") }
        return s
    }

    private static func optionalString(_ json: JSON, _ key: String, at path: String) throws(FieldError) -> String? {
        guard let value = json[key], value != .null else { return nil }
        guard let s = value.string else { throw fieldError(path + key, "must be a string") }
        return s
    }

    static func structValue(_ json: JSON) -> StructValue {
        switch json {
        case .null: .null
        case .bool(let b): .bool(b)
        case .number(let n): .number(Double(n) ?? 0)
        case .string(let s): .string(s)
        case .array(let a): .list(a.map(structValue))
        case .object(let o): .object(o.mapValues(structValue))
        }
    }

    /// An ISO 8601 date-time (`2020-12-28T19:52:00.001+10:00`, `...Z`, any digits of fraction) in
    /// milliseconds since the epoch.
    package static func timestamp(_ text: String, path: String) throws(FieldError) -> Int64 {
        let b = Array(text.utf8)
        func fail() -> FieldError { fieldError(path, "'\(text)' is not an ISO 8601 date-time such as 2024-01-31T12:00:00.000Z") }
        func number(_ from: Int, _ count: Int) throws(FieldError) -> Int {
            guard from + count <= b.count else { throw fail() }
            var n = 0
            for c in b[from..<from + count] {
                guard c >= 48 && c <= 57 else { throw fail() }
                n = n * 10 + Int(c - 48)
            }
            return n
        }
        guard b.count >= 19, b[4] == 45, b[7] == 45, b[10] == 84 || b[10] == 116 || b[10] == 32, b[13] == 58, b[16] == 58 else { throw fail() }
        let (y, mo, d) = (try number(0, 4), try number(5, 2), try number(8, 2))
        let (h, mi, s) = (try number(11, 2), try number(14, 2), try number(17, 2))
        guard (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, s < 61 else { throw fail() }
        var at = 19
        var millis = 0
        if at < b.count, b[at] == 46 {
            at += 1
            var digits = 0
            while at < b.count, b[at] >= 48 && b[at] <= 57 {
                if digits < 3 { millis = millis * 10 + Int(b[at] - 48) }
                digits += 1
                at += 1
            }
            guard digits > 0 else { throw fail() }
            for _ in digits..<max(digits, 3) { millis *= 10 }
        }
        var offset = 0
        if at < b.count {
            switch b[at] {
            case 90, 122:
                guard at + 1 == b.count else { throw fail() }
            case 43, 45:
                let sign = b[at] == 45 ? -1 : 1
                let oh = try number(at + 1, 2)
                let om = b.count == at + 6 && b[at + 3] == 58 ? try number(at + 4, 2) : b.count == at + 5 ? try number(at + 3, 2) : -1
                guard om >= 0, b.count <= at + 6, oh < 24, om < 60 else { throw fail() }
                offset = sign * (oh * 60 + om) * 60
            default: throw fail()
            }
        }
        // Days from the civil date (Howard Hinnant's algorithm).
        let yy = mo <= 2 ? y - 1 : y
        let era = (yy >= 0 ? yy : yy - 399) / 400
        let yoe = yy - era * 400
        let doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        let seconds = days * 86_400 + h * 3_600 + mi * 60 + s - offset
        return Int64(seconds) * 1_000 + Int64(millis)
    }
}

/// The edges an OpenLineage batch wrote to the database, held back from the graph until the end of
/// the batch (adding edges one at a time rebuilds an adjacency chunk each time); a repeated edge
/// within the batch is found here.
struct OpenLineageBatch {
    var events: Set<[Int64]> = []
    var memberships: Set<[Int64]> = []
}

extension WriteContext {
    /// The id of a type of this kind and name, created when the store has none.
    mutating func ensureType(_ kind: NodeKind, _ name: String) throws -> TypeID {
        if let id = graph.typeID(kind: kind, name: name, version: nil) { return id }
        return try putType(NodeType(kind: kind, name: name), canAddFields: false, canOmitFields: false)
    }

    /// Applies one OpenLineage event (see `OpenLineage`). Applying it again changes nothing. Its
    /// edges reach the graph with `flushPendingEdges()`.
    mutating func applyOpenLineage(_ e: OpenLineage.Event, batch: inout OpenLineageBatch) throws {
        var jobContext: ContextID?
        if let job = e.job { jobContext = try putJob(job) }
        switch e.kind {
        case .dataset(let d):
            _ = try putDataset(d)
        case .job:
            for d in e.inputs + e.outputs {
                let link = Attribution(contextID: jobContext!, artifactID: try putDataset(d))
                let (c, m) = (graph.index(of: link.contextID)!, graph.index(of: link.artifactID)!)
                if !graph.contextArtifacts.items(c).contains(m), batch.memberships.insert([0, link.contextID.rawValue, link.artifactID.rawValue]).inserted {
                    pendingAttributions.append((try tables.insert(link, rowID: nil), link))
                }
            }
        case .run(let type, let runID, let facets, let parent):
            let run = try putRun(runID, type: type, time: e.time, facets: facets, job: e.job!, parent: parent, inputs: e.inputs, outputs: e.outputs)
            let link = Association(contextID: jobContext!, executionID: run)
            let (c, m) = (graph.index(of: link.contextID)!, graph.index(of: run)!)
            if !graph.contextExecutions.items(c).contains(m), batch.memberships.insert([1, link.contextID.rawValue, run.rawValue]).inserted {
                pendingAssociations.append((try tables.insert(link, rowID: nil), link))
            }
            if let parent {
                let parentContext = try putJob(parent.job)
                let link = ParentContext(childID: jobContext!, parentID: parentContext)
                if parentContext != jobContext!, !graph.contextParents.items(graph.index(of: jobContext!)!).contains(graph.index(of: parentContext)!) {
                    try putParentContext(link)
                }
            }
            for (list, type) in [(e.inputs, EventType.input), (e.outputs, .output)] {
                for d in list {
                    let artifact = try putDataset(d)
                    let a = graph.index(of: artifact)!
                    let exists = graph.artifactEvents.items(a).contains { i in
                        let ev = graph.event(Int(i))
                        return ev.executionID == run && ev.type == type
                    }
                    if !exists, batch.events.insert([artifact.rawValue, run.rawValue, Int64(type.rawValue)]).inserted {
                        let event = Event(artifactID: artifact, executionID: run, type: type, time: e.time)
                        pendingEvents.append((try tables.insertEvent(event, rowID: nil), event))
                    }
                }
            }
        }
    }

    private static func facetProperties(_ facets: [String: StructValue]) -> Properties {
        var p: Properties = [:]
        for (name, value) in facets {
            if case .object(let o) = value { p["ol.facet." + name] = .struct(o) } else { p["ol.facet." + name] = .struct(["value": value]) }
        }
        return p
    }

    private mutating func putJob(_ job: OpenLineage.Job) throws -> ContextID {
        let type = try ensureType(.context, OpenLineage.jobType)
        var context = Context(typeID: type, name: job.contextName)
        if let i = graph.nodeIndex(kind: .context, typeID: type, name: job.contextName) {
            context = graph.node(at: i)
        }
        context.customProperties.merge(Self.facetProperties(job.facets)) { $1 }
        context.customProperties["ol.namespace"] = .string(job.namespace)
        context.customProperties["ol.name"] = .string(job.name)
        return try upsert(context)
    }

    /// The artifact of a dataset: the one with its uri (any type), else a new `ol.Dataset`.
    private mutating func putDataset(_ d: OpenLineage.Dataset) throws -> ArtifactID {
        let uri = d.uri
        if let i = graph.artifacts.indices(uri: uri).min(by: { graph.artifactIDs[Int($0)] < graph.artifactIDs[Int($1)] }) {
            var stored: Artifact = graph.node(at: i)
            // An MLMD artifact is left as its pipeline wrote it; a dataset of OpenLineage's takes the facets.
            guard graph.type(stored.typeID)?.name == OpenLineage.datasetType, !d.facets.isEmpty else { return stored.id! }
            stored.customProperties.merge(Self.facetProperties(d.facets)) { $1 }
            return try upsert(stored)
        }
        let type = try ensureType(.artifact, OpenLineage.datasetType)
        var custom = Self.facetProperties(d.facets)
        custom["ol.namespace"] = .string(d.namespace)
        custom["ol.name"] = .string(d.name)
        return try upsert(Artifact(typeID: type, name: uri, uri: uri, state: .live, customProperties: custom))
    }

    private static func rank(_ s: ExecutionState?) -> Int {
        switch s {
        case .running: 1
        case .complete, .failed, .canceled, .cached: 2
        default: 0
        }
    }

    private mutating func putRun(
        _ runID: String, type eventType: String?, time: Int64, facets: [String: StructValue], job: OpenLineage.Job,
        parent: OpenLineage.Parent?, inputs: [OpenLineage.Dataset], outputs: [OpenLineage.Dataset]
    ) throws -> ExecutionID {
        let type = try ensureType(.execution, OpenLineage.runType)
        var run = Execution(typeID: type, name: runID, externalID: runID)
        if let i = graph.executions.index(externalID: runID) { run = graph.node(at: i) }
        let state: ExecutionState? =
            switch eventType {
            case "START", "RUNNING": .running
            case "COMPLETE": .complete
            case "FAIL": .failed
            case "ABORT": .canceled
            default: nil
            }
        if let state {
            let stateTime: Int64? = if case .int(let t)? = run.customProperties["ol.state_time"] { t } else { nil }
            let (new, old) = (Self.rank(state), Self.rank(run.lastKnownState))
            if new > old || (new == old && new > 0 && time >= (stateTime ?? .min)) {
                run.lastKnownState = state
                run.customProperties["ol.state_time"] = .int(time)
            }
        }
        if eventType == "START" || run.customProperties["ol.start_time"] == nil {
            if case .int(let t)? = run.customProperties["ol.start_time"], t <= time {} else { run.customProperties["ol.start_time"] = .int(time) }
        }
        run.customProperties.merge(Self.facetProperties(facets)) { $1 }
        run.customProperties["ol.job"] = .string(job.contextName)
        if let parent { run.customProperties["ol.parent_run_id"] = .string(parent.runID) }
        for (key, list) in [("ol.input_facets", inputs), ("ol.output_facets", outputs)] where list.contains(where: { !$0.ioFacets.isEmpty }) {
            var byURI: [String: StructValue] = [:]
            if case .struct(let o)? = run.customProperties[key] { byURI = o }
            for d in list where !d.ioFacets.isEmpty { byURI[d.uri] = .object(d.ioFacets) }
            run.customProperties[key] = .struct(byURI)
        }
        return try upsert(run)
    }
}

extension MetadataStore {
    /// Imports OpenLineage events, one JSON object a line (`-` for standard input). Each batch of
    /// `batchSize` lines (all of them when nil) is one transaction; a bad line fails its batch with
    /// its number and the path of the field, and nothing of that batch is written.
    @discardableResult
    public func importOpenLineage(file path: String, batchSize: Int? = nil) throws -> ImportSummary {
        var lines = try LineReader(path: path)
        var summary = ImportSummary()
        var finished = false
        while !finished {
            let count = try write { ctx -> Int in
                var count = 0
                var batch = OpenLineageBatch()
                defer { ctx.flushPendingEdges() }
                while batchSize.map({ count < $0 }) ?? true {
                    guard let (number, line) = try lines.next() else {
                        finished = true
                        break
                    }
                    let parsed = Result { () throws(OpenLineage.FieldError) in try OpenLineage.parse(String(decoding: line, as: UTF8.self)) }
                    guard case .success(let event) = parsed else {
                        if case .failure(let error) = parsed { throw MetadataError.invalidArgument("line \(number): \(error.message)") }
                        break
                    }
                    do {
                        try ctx.applyOpenLineage(event, batch: &batch)
                    } catch let error as MetadataError {
                        throw MetadataError(error.code, "line \(number): \(error.message)")
                    }
                    count += 1
                }
                return count
            }
            if count > 0 { summary.transactions += 1 }
            summary.records += count
        }
        return summary
    }

    /// Applies OpenLineage events given as JSON text, in one transaction.
    public func ingestOpenLineage(_ events: [String]) throws {
        var parsed: [OpenLineage.Event] = []
        for text in events {
            switch Result(catching: { () throws(OpenLineage.FieldError) in try OpenLineage.parse(text) }) {
            case .success(let e): parsed.append(e)
            case .failure(let error): throw error.metadataError
            }
        }
        try apply(parsed)
    }

    /// Applies parsed OpenLineage events in one transaction (what `POST /api/v1/lineage` does with
    /// the event it receives).
    package func apply(_ events: [OpenLineage.Event]) throws {
        try write { ctx in
            var batch = OpenLineageBatch()
            for e in events { try ctx.applyOpenLineage(e, batch: &batch) }
            ctx.flushPendingEdges()
        }
    }
}
