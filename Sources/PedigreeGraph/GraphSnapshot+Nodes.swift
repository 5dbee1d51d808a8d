public import PedigreeModel

extension GraphSnapshot {
    /// The node a reference points to, whatever its kind: `snapshot[ref].nodeName`.
    public subscript(_ ref: NodeRef) -> any MetadataNode {
        switch ref.kind {
        case .artifact: artifacts[Int(ref.index)]
        case .execution: executions[Int(ref.index)]
        case .context: contexts[Int(ref.index)]
        }
    }

    /// The MLMD id of the node a reference points to.
    public func id(of ref: NodeRef) -> Int64 {
        switch ref.kind {
        case .artifact: artifactIDs[Int(ref.index)]
        case .execution: executionIDs[Int(ref.index)]
        case .context: contexts.ids[Int(ref.index)]
        }
    }

    /// The name of the type of the node a reference points to ("?" for a type the store lacks).
    public func typeName(of ref: NodeRef) -> String {
        let id: TypeID =
            switch ref.kind {
            case .artifact: artifactTypes[Int(ref.index)]
            case .execution: executionTypes[Int(ref.index)]
            case .context: contexts.types[Int(ref.index)]
            }
        return type(id)?.name ?? "?"
    }

    /// Generic access to the nodes of one kind.
    public func node<N: MetadataNode>(_ id: N.ID, as: N.Type = N.self) -> N? {
        switch N.kind {
        case .artifact: artifact(ArtifactID(id.rawValue)) as? N
        case .execution: execution(ExecutionID(id.rawValue)) as? N
        case .context: context(ContextID(id.rawValue)) as? N
        }
    }

    public func node<N: MetadataNode>(at index: Int32, as: N.Type = N.self) -> N {
        switch N.kind {
        case .artifact: artifacts[Int(index)] as! N
        case .execution: executions[Int(index)] as! N
        case .context: contexts[Int(index)] as! N
        }
    }

    public func nodeCount(_ kind: NodeKind) -> Int {
        switch kind {
        case .artifact: artifacts.count
        case .execution: executions.count
        case .context: contexts.count
        }
    }

    public func nodeIndex(kind: NodeKind, typeID: TypeID, name: String) -> Int32? {
        switch kind {
        case .artifact: artifactIndex(typeID: typeID, name: name)
        case .execution: executionIndex(typeID: typeID, name: name)
        case .context: contextIndex(typeID: typeID, name: name)
        }
    }

    public func nodeIndex(kind: NodeKind, externalID: String) -> Int32? {
        switch kind {
        case .artifact: artifactIndex(externalID: externalID)
        case .execution: executionIndex(externalID: externalID)
        case .context: contextIndex(externalID: externalID)
        }
    }

    public func nodeIndex(kind: NodeKind, id: Int64) -> Int32? {
        switch kind {
        case .artifact: index(of: ArtifactID(id))
        case .execution: index(of: ExecutionID(id))
        case .context: index(of: ContextID(id))
        }
    }

    package mutating func putNode<N: MetadataNode>(_ node: N) {
        switch node {
        case let a as Artifact: putArtifact(a)
        case let e as Execution: putExecution(e)
        case let c as Context: putContext(c)
        default: preconditionFailure("unknown node kind")
        }
    }
}
