internal import PedigreeStore
@_spi(Engine) internal import PedigreeGraph
internal import PedigreeModel

extension WriteContext {
    /// Inserts an event; both ends must exist, and (artifact, execution, type) must be new.
    mutating func putEvent(_ request: Event, rowID: Int64? = nil) throws {
        var event = request
        guard let artifactID = event.artifactID else { throw MetadataError.invalidArgument("No artifact id is specified.") }
        guard let executionID = event.executionID else { throw MetadataError.invalidArgument("No execution id is specified.") }
        guard event.type != .unknown else { throw MetadataError.invalidArgument("No event type is specified.") }
        guard let a = graph.index(of: artifactID) else {
            throw MetadataError.invalidArgument("No artifact with the given id \(artifactID)")
        }
        guard graph.index(of: executionID) != nil else {
            throw MetadataError.invalidArgument("No execution with the given id \(executionID)")
        }
        for e in graph.artifactEvents.items(a) {
            let existing = graph.event(Int(e))
            if existing.executionID == executionID && existing.type == event.type {
                throw MetadataError.alreadyExists(
                    "Given event already exists: artifact \(artifactID), execution \(executionID), type \(event.type)")
            }
        }
        if event.time == nil { event.time = now }
        let row = try tables.insertEvent(event, rowID: rowID)
        graph.addEvent(rowID: row, event)
    }

    /// Adds an attribution unless it exists (MLMD ignores duplicates).
    mutating func putAttribution(_ link: Attribution, rowID: Int64? = nil) throws {
        if try isNewMembership(link, rowID: rowID, members: graph.contextArtifacts, name: "attribution") {
            graph.addAttribution(rowID: try tables.insert(link, rowID: rowID), link)
        }
    }

    /// Adds an association unless it exists (MLMD ignores duplicates).
    mutating func putAssociation(_ link: Association, rowID: Int64? = nil) throws {
        if try isNewMembership(link, rowID: rowID, members: graph.contextExecutions, name: "association") {
            graph.addAssociation(rowID: try tables.insert(link, rowID: rowID), link)
        }
    }

    /// Whether a membership is new; both ends must exist, and a duplicate with an explicit row id
    /// (an import) is an error.
    private func isNewMembership<M: ContextMembership>(_ link: M, rowID: Int64?, members: MultiMap, name: String) throws -> Bool {
        guard let c = graph.index(of: link.contextID) else { throw MetadataError.invalidArgument("Context id not found.") }
        guard let m = graph.nodeIndex(kind: M.memberKind, id: link.memberID) else {
            throw MetadataError.invalidArgument("\(M.memberKind == .artifact ? "Artifact" : "Execution") id not found.")
        }
        guard !members.items(c).contains(m) else {
            if rowID != nil { throw MetadataError.alreadyExists("\(name) \(link.contextID) -> \(link.memberID) exists") }
            return false
        }
        return true
    }

    /// Adds a parent link; both contexts must exist, the link must be new and make no cycle.
    mutating func putParentContext(_ link: ParentContext) throws {
        guard let child = graph.index(of: link.childID), let parent = graph.index(of: link.parentID), child != parent else {
            throw MetadataError.invalidArgument(
                "Given parent / child id in the parent_context cannot be found: child \(link.childID), parent \(link.parentID)")
        }
        if graph.contextParents.items(child).contains(parent) {
            throw MetadataError.alreadyExists("Given parent_context already exists: child \(link.childID), parent \(link.parentID)")
        }
        // A cycle exists if the child is among the parent's ancestors.
        var stack = [parent]
        var seen: Set<Int32> = [parent]
        while let c = stack.popLast() {
            for p in graph.contextParents.items(c) where seen.insert(p).inserted {
                if p == child { throw MetadataError.invalidArgument("There is a cycle detected of the given relationship.") }
                stack.append(p)
            }
        }
        try tables.insertParentContext(link)
        graph.addParentContext(link)
    }
}
