@_spi(Engine) import PedigreeGraph
/// One node with what surrounds it (its fields, events, contexts, or a context's parents,
/// children and members): what `pedigree show` prints, as data.
package struct NodeDetail {
    /// One of the node's events, seen from the node.
    package struct EventItem {
        package var type: EventType
        /// The node at the other end.
        package var other: NodeRef
        /// Whether the event points from this node to the other (downstream).
        package var outgoing: Bool
        /// The event's path as text (`[0].key`), empty when it has none.
        package var path: String
        package var time: Int64?
    }

    package enum Item {
        case node(NodeRef)
        case event(EventItem)
    }

    package var ref: NodeRef
    /// The kind's own fields in order (name, uri, state, external id, ...), nil when unset.
    package var fields: [(String, String?)]
    /// Related nodes and events by section (`events`, `contexts`, `parents`, `children`,
    /// `executions`, `artifacts`), in that order, each section in the store's order.
    package var sections: [(String, [Item])]
}

extension GraphSnapshot {
    /// The node of a kind with an id, and what surrounds it; NOT_FOUND when there is none.
    package func detail(kind: NodeKind, id: Int64) throws(MetadataError) -> NodeDetail {
        guard let index = nodeIndex(kind: kind, id: id) else { throw MetadataError.notFound("no \(kind) with id \(id)") }
        let ref = NodeRef(kind, index)
        let node = self[ref]
        func nodes(_ kind: NodeKind, _ items: some Sequence<Int32>) -> [NodeDetail.Item] { items.map { .node(NodeRef(kind, $0)) } }
        func events(_ items: some Sequence<Int32>) -> [NodeDetail.Item] {
            items.map { e in
                let event = self.event(Int(e))
                let fromArtifact = kind == .artifact
                let other = fromArtifact ? NodeRef(.execution, self.events.executions[Int(e)]) : NodeRef(.artifact, self.events.artifacts[Int(e)])
                let path = event.path.map { step -> String in
                    switch step {
                    case .index(let i): "[\(i)]"
                    case .key(let k): ".\(k)"
                    }
                }.joined()
                return .event(NodeDetail.EventItem(type: event.type, other: other, outgoing: event.type.isInput == fromArtifact, path: path, time: event.time))
            }
        }
        var fields: [(String, String?)] = [("name", node.nodeName)]
        var sections: [(String, [NodeDetail.Item])]
        switch kind {
        case .artifact:
            let a = artifacts[Int(index)]
            fields += [("uri", a.uri), ("state", a.state?.description)]
            sections = [("events", events(artifactEvents.items(index))), ("contexts", nodes(.context, artifactContexts.items(index)))]
        case .execution:
            fields.append(("last_known_state", executions[Int(index)].lastKnownState?.description))
            sections = [("events", events(executionEvents.items(index))), ("contexts", nodes(.context, executionContexts.items(index)))]
        case .context:
            sections = [
                ("parents", nodes(.context, contextParents.items(index))), ("children", nodes(.context, contextChildren.items(index))),
                ("executions", nodes(.execution, contextExecutions.items(index))), ("artifacts", nodes(.artifact, contextArtifacts.items(index))),
            ]
        }
        fields.append(("external_id", node.externalID))
        return NodeDetail(ref: ref, fields: fields, sections: sections.filter { !$0.1.isEmpty })
    }
}

extension ResultEncoder {
    /// A node in brief: kind, id, type and name.
    package func brief(_ n: NodeRef) -> JSONOut {
        var fields: [(String, JSONOut)] = [("kind", .string(n.kind.description)), ("id", .int(snapshot.id(of: n))), ("type", .string(snapshot.typeName(of: n)))]
        if let name = snapshot[n].nodeName { fields.append(("name", .string(name))) }
        return .object(fields)
    }

    /// What `show` prints: the node's fields, properties, times, and its related sections.
    package func encode(_ d: NodeDetail) -> JSONOut {
        let node = snapshot[d.ref]
        var fields: [(String, JSONOut)] = [
            ("kind", .string(d.ref.kind.description)), ("id", .int(snapshot.id(of: d.ref))), ("type_id", .int(node.typeID.rawValue)),
            ("type", .string(snapshot.typeName(of: d.ref))),
        ]
        for (key, value) in d.fields { if let value { fields.append((key, .string(value))) } }
        fields += [("properties", Self.properties(node.properties)), ("custom_properties", Self.properties(node.customProperties))]
        if let t = node.createTime { fields.append(("create_time_since_epoch", .int(t))) }
        if let t = node.updateTime { fields.append(("last_update_time_since_epoch", .int(t))) }
        for (section, items) in d.sections.sorted(by: { $0.0 < $1.0 }) {
            fields.append((section, .array(items.map { item in
                switch item {
                case .node(let n): return brief(n)
                case .event(let e):
                    var event: [(String, JSONOut)] = [("type", .string(e.type.description)), ("node", brief(e.other))]
                    if !e.path.isEmpty { event.append(("path", .string(e.path))) }
                    if let t = e.time { event.append(("milliseconds_since_epoch", .int(t))) }
                    return .object(event)
                }
            })))
        }
        return .object(fields)
    }
}
