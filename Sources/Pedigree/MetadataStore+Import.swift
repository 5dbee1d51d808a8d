internal import Foundation
internal import Synchronization
internal import PedigreeStore
public import PedigreeModel

extension MetadataStore {
    /// What an import wrote.
    public struct ImportSummary: Sendable {
        public var records = 0
        public var transactions = 0
    }

    /// Writes whole store contents, ids and times as given, in one transaction.
    public func insert(_ contents: StoreContents) throws {
        try write { ctx in try ctx.insertContents(contents) }
    }

    /// Imports interchange text, one record a line. Each batch of `batchSize` lines (all of them
    /// when nil) is one transaction; a bad line fails its batch with the line number, and nothing
    /// of that batch is written.
    @discardableResult
    public func importRecords(text: String, batchSize: Int? = nil) throws -> ImportSummary {
        var lines = LineReader(bytes: Array(text.utf8))
        return try importRecords(&lines, batchSize: batchSize)
    }

    /// Imports an interchange file (`-` for standard input), streaming it: memory holds one
    /// batch of lines at a time, not the file.
    @discardableResult
    public func importRecords(file path: String, batchSize: Int? = nil) throws -> ImportSummary {
        var lines = try LineReader(path: path)
        return try importRecords(&lines, batchSize: batchSize)
    }

    private func importRecords(_ lines: inout LineReader, batchSize: Int?) throws -> ImportSummary {
        var summary = ImportSummary()
        var finished = false
        while !finished {
            let count = try write { ctx -> Int in
                let rebuild = try ctx.dropSecondaryIndexesIfEmpty()
                ctx.tables.beginBatch()
                var count = 0
                while batchSize.map({ count < $0 }) ?? true {
                    guard let (number, line) = try lines.next() else {
                        finished = true
                        break
                    }
                    try ctx.importLine(number, line)
                    count += 1
                }
                try ctx.finishBulkWrite(rebuildIndexes: rebuild)
                return count
            }
            if count > 0 { summary.transactions += 1 }
            summary.records += count
        }
        return summary
    }
}

/// Splits bytes, or a file read in large chunks, into non-blank lines with their numbers.
struct LineReader {
    private var buffer: [UInt8]
    private var position = 0
    private let file: FileHandle?
    private var lineNumber = 0

    init(bytes: [UInt8]) {
        buffer = bytes
        file = nil
    }

    /// The lines of a file, or of standard input for `-`.
    init(path: String) throws {
        if path == "-" {
            self.init(file: FileHandle.standardInput)
        } else {
            guard let h = FileHandle(forReadingAtPath: path) else { throw MetadataError.invalidArgument("cannot read \(path)") }
            self.init(file: h)
        }
    }

    init(file: FileHandle) {
        buffer = []
        self.file = file
    }

    /// The next non-blank line and its 1-based number, or nil at the end.
    mutating func next() throws -> (Int, [UInt8])? {
        while true {
            if let newline = buffer[position...].firstIndex(of: 0x0a) {
                let line = Array(buffer[position..<newline])
                position = newline + 1
                lineNumber += 1
                if isBlank(line) { continue }
                return (lineNumber, line)
            }
            if let file, let chunk = try file.read(upToCount: 1 << 20), !chunk.isEmpty {
                buffer.removeFirst(position)
                position = 0
                buffer.append(contentsOf: chunk)
                continue
            }
            // The last line, without a newline.
            guard position < buffer.count else { return nil }
            let line = Array(buffer[position...])
            position = buffer.count
            lineNumber += 1
            return isBlank(line) ? nil : (lineNumber, line)
        }
    }

    private func isBlank(_ line: [UInt8]) -> Bool { line.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0d } }
}

extension WriteContext {
    /// Writes one interchange line verbatim; errors name the line.
    mutating func importLine(_ number: Int, _ text: [UInt8]) throws {
        do {
            try insertVerbatim(try Interchange.decode(text))
        } catch let error as Interchange.DecodeError {
            throw MetadataError.invalidArgument("line \(number): \(error.description)")
        } catch let error as MetadataError {
            throw MetadataError(error.code, "line \(number): \(error.message)")
        } catch let error as DatabaseError {
            let e = MetadataStore.translate(error)
            throw MetadataError(e.code, "line \(number): \(e.message)")
        }
    }

    /// Ends a bulk write: built-in types back, secondary indexes rebuilt when they were dropped,
    /// and the edges added to the graph.
    mutating func finishBulkWrite(rebuildIndexes: Bool) throws {
        try tables.flushBatch()
        try restoreBuiltinTypes()
        if rebuildIndexes { try createSecondaryIndexes() }
        flushPendingEdges()
    }

    /// In a store without nodes, drops the secondary indexes for a bulk load (in the same
    /// transaction, so a failed load leaves them as they were). Unique constraints stay.
    func dropSecondaryIndexesIfEmpty() throws -> Bool {
        guard graph.artifacts.isEmpty, graph.executions.isEmpty, graph.contexts.isEmpty,
            let indexes = MLMDSchema.secondaryIndexes(tables.db.engine)
        else { return false }
        for index in indexes { try tables.db.execute("DROP INDEX IF EXISTS `\(index.name)`") }
        return true
    }

    private func createSecondaryIndexes() throws {
        for index in MLMDSchema.secondaryIndexes(tables.db.engine) ?? [] { try tables.db.execute(index.sql) }
    }

    /// Writes whole store contents verbatim (ids and times kept): the bulk path of `generate`.
    mutating func insertContents(_ contents: StoreContents) throws {
        let rebuild = try dropSecondaryIndexesIfEmpty()
        for t in contents.types { try insertVerbatim(.type(t)) }
        tables.beginBatch()
        // Into a store without nodes, nodes are indexed once, after the last (as `open` does).
        for a in contents.artifacts { try insertVerbatim(a, bulk: rebuild) }
        for e in contents.executions { try insertVerbatim(e, bulk: rebuild) }
        for c in contents.contexts { try insertVerbatim(c, bulk: rebuild) }
        // The nodes' indexes are built on another thread while the database writes the edges
        // (events and memberships are held back until the end and need only the id slots that
        // `load` filled), and the edges' adjacency while it builds its own indexes: the two are
        // independent, and the second core is otherwise idle.
        let indexed = rebuild ? Background(graph) { $0.indexLoadedNodes() } : nil
        for (rowID, e) in contents.events { try insertVerbatim(.event(rowID, e)) }
        for (rowID, a) in contents.attributions { try insertVerbatim(.attribution(rowID, a)) }
        for (rowID, a) in contents.associations { try insertVerbatim(.association(rowID, a)) }
        if let indexed { graph = indexed.wait() }
        // Parent links go into the graph as they are written: after the indexes are back.
        for p in contents.parentContexts { try insertVerbatim(.parentContext(p)) }
        try tables.flushBatch()
        try restoreBuiltinTypes()
        let pending = (events: pendingEvents, attributions: pendingAttributions, associations: pendingAssociations)
        pendingEvents = []
        pendingAttributions = []
        pendingAssociations = []
        let edges = Background(graph) { g in
            g.addEvents(pending.events)
            g.addAttributions(pending.attributions)
            g.addAssociations(pending.associations)
        }
        if rebuild { try createSecondaryIndexes() }
        graph = edges.wait()
    }

    /// Adds the edges written since the last flush to the graph, in bulk.
    mutating func flushPendingEdges() {
        graph.addEvents(pendingEvents)
        graph.addAttributions(pendingAttributions)
        graph.addAssociations(pendingAssociations)
        pendingEvents.removeAll()
        pendingAttributions.removeAll()
        pendingAssociations.removeAll()
    }

    /// Writes one record exactly as given. Nodes go into the graph as they are written (so
    /// names, external ids and endpoints are checked against everything before them); events,
    /// attributions and associations are added to the graph in bulk at the end.
    private mutating func insertVerbatim(_ record: Interchange.Record) throws {
        switch record {
        case .header: break
        case .type(let t): try insertTypeVerbatim(t)
        case .artifact(let a): try insertVerbatim(a)
        case .execution(let e): try insertVerbatim(e)
        case .context(let c): try insertVerbatim(c)
        case .event(let rowID, let e):
            // A decoded event has both ids (`decode` requires them).
            guard let artifactID = e.artifactID, graph.index(of: artifactID) != nil else {
                throw MetadataError.invalidArgument("No artifact with the given id \(e.artifactID.map(\.description) ?? "(none)")")
            }
            guard let executionID = e.executionID, graph.index(of: executionID) != nil else {
                throw MetadataError.invalidArgument("No execution with the given id \(e.executionID.map(\.description) ?? "(none)")")
            }
            pendingEvents.append((try tables.insertEvent(e, rowID: rowID), e))
        case .attribution(let rowID, let a):
            guard graph.index(of: a.contextID) != nil, graph.index(of: a.artifactID) != nil else {
                throw MetadataError.invalidArgument("attribution \(a.contextID) -> \(a.artifactID): context or artifact not found")
            }
            pendingAttributions.append((try tables.insert(a, rowID: rowID), a))
        case .association(let rowID, let a):
            guard graph.index(of: a.contextID) != nil, graph.index(of: a.executionID) != nil else {
                throw MetadataError.invalidArgument("association \(a.contextID) -> \(a.executionID): context or execution not found")
            }
            pendingAssociations.append((try tables.insert(a, rowID: rowID), a))
        case .parentContext(let p):
            guard graph.index(of: p.childID) != nil, graph.index(of: p.parentID) != nil else {
                throw MetadataError.invalidArgument("parent context \(p.childID) -> \(p.parentID): context not found")
            }
            try tables.insertParentContext(p)
            graph.addParentContext(p)
        }
    }
}

/// A value changed by `work` on a thread of its own; `wait` gives the result.
private final class Background<Value: Sendable>: Sendable {
    private let result = Mutex<Value?>(nil)
    private let done = DispatchSemaphore(value: 0)
    private let input: Value

    init(_ value: Value, _ work: @escaping @Sendable (inout Value) -> Void) {
        input = value
        let thread = Thread { [self] in
            var changed = input
            work(&changed)
            result.withLock { $0 = changed }
            done.signal()
        }
        thread.stackSize = 8 << 20
        thread.start()
    }

    func wait() -> Value {
        done.wait()
        return result.withLock { $0 } ?? input
    }
}
