internal import PedigreeModel
@_spi(Engine) internal import PedigreeGraph

extension Executor {
    func ordered(_ found: [(NodeRef, Int)]) -> [ResultNode] {
        let byIndex = snapshot.artifactIndicesFollowIDs && snapshot.executionIndicesFollowIDs
        let executionBit: UInt64 = 1 << 63
        var out: [ResultNode] = []
        out.reserveCapacity(found.count)
        let inDepthOrder = zip(found, found.dropFirst()).allSatisfy { $0.1 <= $1.1 }
        let sorted = inDepthOrder ? found : found.sorted { $0.1 < $1.1 }
        var keys: [UInt64] = []
        var withIDs: [(UInt64, NodeRef)] = []
        var start = sorted.startIndex
        while start < sorted.endIndex {
            let depth = sorted[start].1
            var end = start
            while end < sorted.endIndex, sorted[end].1 == depth { end += 1 }
            if byIndex {
                // The key is the node: kind bit and index; sorting plain integers is fast.
                keys.removeAll(keepingCapacity: true)
                for (n, _) in sorted[start..<end] {
                    keys.append((n.kind == .artifact ? 0 : executionBit) | UInt64(UInt32(bitPattern: n.index)))
                }
                keys.sort()
                for k in keys {
                    let n = NodeRef(k & executionBit == 0 ? .artifact : .execution, Int32(truncatingIfNeeded: k))
                    out.append(ResultNode(node: n, id: id(of: n), depth: depth))
                }
            } else {
                withIDs.removeAll(keepingCapacity: true)
                for (n, _) in sorted[start..<end] {
                    withIDs.append(((n.kind == .artifact ? 0 : executionBit) | UInt64(id(of: n)), n))
                }
                withIDs.sort { $0.0 < $1.0 }
                for (k, n) in withIDs { out.append(ResultNode(node: n, id: Int64(k & ~executionBit), depth: depth)) }
            }
            start = end
        }
        return out
    }


    func id(of n: NodeRef) -> Int64 { snapshot.id(of: n) }

    /// The nodes as results in the order given, their ids read from the id columns in place (no
    /// call per node): the materialisation of a whole-store closure's 600k rows.
    func resultNodes(_ found: [(NodeRef, Int)]) -> [ResultNode] {
        let artifactIDs = snapshot.artifactIDs, executionIDs = snapshot.executionIDs
        return Array(unsafeUninitializedCapacity: found.count) { buffer, count in
            for (i, (n, depth)) in found.enumerated() {
                let id: Int64 =
                    switch n.kind {
                    case .artifact: artifactIDs[Int(n.index)]
                    case .execution: executionIDs[Int(n.index)]
                    case .context: snapshot.id(of: n)
                    }
                (buffer.baseAddress! + i).initialize(to: ResultNode(node: n, id: id, depth: depth))
            }
            count = found.count
        }
    }


    // MARK: Subgraphs

    /// Adds the nodes and edges that lie on some path from a source to a result.
    func addPaths(_ o: StepOutcome, to nodes: inout Set<NodeRef>, _ edges: inout Set<Int32>) {
        var incoming: [NodeRef: [(NodeRef, Int32)]] = [:]
        for e in o.edges { incoming[e.to, default: []].append((e.from, e.event)) }
        var stack = o.results.map(\.0)
        var seen = Set(stack)
        while let n = stack.popLast() {
            nodes.insert(n)
            for (from, event) in incoming[n] ?? [] {
                edges.insert(event)
                if seen.insert(from).inserted { stack.append(from) }
            }
        }
    }

    func subgraph(_ nodes: Set<NodeRef>, _ edges: Set<Int32>) -> Subgraph {
        var s = Subgraph()
        s.artifacts = nodes.filter { $0.kind == .artifact }.map(\.index).sorted()
        s.executions = nodes.filter { $0.kind == .execution }.map(\.index).sorted()
        s.events = edges.sorted()
        var contexts: Set<Int32> = []
        for a in s.artifacts {
            for c in snapshot.artifactContexts.items(a) {
                contexts.insert(c)
                s.attributions.append((c, a))
            }
        }
        for e in s.executions {
            for c in snapshot.executionContexts.items(e) {
                contexts.insert(c)
                s.associations.append((c, e))
            }
        }
        s.contexts = contexts.sorted()
        return s
    }

    // MARK: Order and groups

    /// An order or group key's value on a node: an attribute or a property; nil when absent.
    func key(_ operand: BoundOperand, _ n: NodeRef) -> BoundValue? {
        PredicateEvaluator.value(operand, at: n, snapshot)
    }

    func order(_ nodes: [ResultNode], by keys: [BoundOrderKey]) -> [ResultNode] {
        nodes.enumerated().sorted { l, r in
            for k in keys {
                switch k {
                case .depth(let asc):
                    if l.element.depth != r.element.depth { return asc ? l.element.depth < r.element.depth : l.element.depth > r.element.depth }
                case .operand(let o, let asc, _):
                    let (a, b) = (key(o, l.element.node), key(o, r.element.node))
                    if a == b { continue }
                    // Missing values sort first, as NULLs do in SQLite.
                    guard let a else { return asc }
                    guard let b else { return !asc }
                    let less = PredicateEvaluator.compare(a, .less, b)
                    return asc ? less : !less
                }
            }
            return l.offset < r.offset
        }.map(\.element)
    }

    /// Counts by any keys: each node's key values as strings.
    func groups(_ nodes: [(NodeRef, Int)], _ keys: [BoundGroupKey]) -> [GroupRow] {
        var counts: [[String]: Int] = [:]
        for (n, _) in nodes {
            let row = keys.map { k -> String in
                switch k {
                case .kind: return n.kind.description
                case .type: return typeName(n)
                case .state: return stateName(n)
                case .operand(let o, _):
                    switch key(o, n) {
                    case nil: return "(none)"
                    case .string(let s)?: return s
                    case .int(let i)?: return Self.enumName(o, i) ?? String(i)
                    case .double(let d)?: return String(d)
                    case .bool(let b)?: return String(b)
                    }
                }
            }
            counts[row, default: 0] += 1
        }
        return Self.rows(counts)
    }

    /// Counts by kind, type and state: a histogram keyed by (kind, type id, state) as one integer,
    /// read from the columns; names only for the few distinct keys at the end.
    func groupsByColumns(_ nodes: [(NodeRef, Int)], _ keys: [BoundGroupKey]) -> [GroupRow] {
        let g = snapshot
        let useState = keys.contains(.state)
        let useType = keys.contains { if case .type = $0 { true } else { false } }
        let artifactTypes = g.artifactTypes, executionTypes = g.executionTypes
        // Key: kind in bit 62, state + 1 in bits 48..<56, type id below (ids are positive).
        func key(_ kind: Int64, _ stateSlot: Int64, _ type: Int64) -> Int64 { kind << 62 | stateSlot << 48 | type }
        // The counts in a flat table by (kind, state slot, type id) where type ids are small, as
        // they are (a store has few types); anything else in a dictionary.
        let typeBound = Int(min(max(g.types.last?.id?.rawValue ?? 0, 0), 4_095)) + 1
        var table = [Int](repeating: 0, count: 2 * 16 * typeBound)
        var histogram: [Int64: Int] = [:]
        for (n, _) in nodes {
            let isArtifact = n.kind == .artifact
            let kind = isArtifact ? 0 : 1
            let type = useType ? Int((isArtifact ? artifactTypes[Int(n.index)] : executionTypes[Int(n.index)]).rawValue) : 0
            let stateSlot = useState ? Int(isArtifact ? g.artifacts.stateRaw(Int(n.index)) : g.executions.stateRaw(Int(n.index))) + 1 : 0
            if type >= 0 && type < typeBound && stateSlot >= 0 && stateSlot < 16 {
                table[(kind * 16 + stateSlot) * typeBound + type] += 1
            } else {
                histogram[key(Int64(kind), Int64(UInt8(truncatingIfNeeded: stateSlot)), Int64(type) & 0xFFFF_FFFF_FFFF), default: 0] += 1
            }
        }
        for (slot, count) in table.enumerated() where count > 0 {
            let type = slot % typeBound, rest = slot / typeBound
            histogram[key(Int64(rest / 16), Int64(rest % 16), Int64(type)), default: 0] += count
        }
        var counts: [[String]: Int] = [:]
        for (key, count) in histogram {
            let kind: NodeKind = key & (1 << 62) == 0 ? .artifact : .execution
            let row = keys.map { k -> String in
                switch k {
                case .kind: return kind.description
                case .type: return g.type(TypeID(key & 0xFFFF_FFFF_FFFF))?.name ?? "(none)"
                case .state:
                    let raw = Int((key >> 48) & 0xFF) - 1
                    return raw < 0 ? "(none)" : Self.stateName(kind, raw)
                case .operand: return ""
                }
            }
            counts[row, default: 0] += count
        }
        return Self.rows(counts)
    }

    static func rows(_ counts: [[String]: Int]) -> [GroupRow] {
        counts.map { GroupRow(keys: $0.key, count: $0.value) }.sorted { $0.keys.lexicographicallyPrecedes($1.keys) }
    }

    func typeName(_ n: NodeRef) -> String {
        let id: TypeID =
            switch n.kind {
            case .artifact: snapshot.artifactTypes[Int(n.index)]
            case .execution: snapshot.executionTypes[Int(n.index)]
            case .context: snapshot.contexts[Int(n.index)].typeID
            }
        return snapshot.type(id)?.name ?? "(none)"
    }

    func stateName(_ n: NodeRef) -> String {
        let raw: Int8 =
            switch n.kind {
            case .artifact: snapshot.artifacts.stateRaw(Int(n.index))
            case .execution: snapshot.executions.stateRaw(Int(n.index))
            case .context: -1
            }
        return raw < 0 ? "(none)" : Self.stateName(n.kind, Int(raw))
    }

    static func stateName(_ kind: NodeKind, _ raw: Int) -> String {
        (kind == .artifact ? ArtifactState(rawValue: raw)?.description : ExecutionState(rawValue: raw)?.description) ?? String(raw)
    }

    /// State values print by name.
    static func enumName(_ o: BoundOperand, _ raw: Int64) -> String? {
        switch o.leaf {
        case .artifactState: ArtifactState(rawValue: Int(raw))?.description
        case .executionState: ExecutionState(rawValue: Int(raw))?.description
        case .event(_, .type): EventType(rawValue: Int(raw))?.description
        default: nil
        }
    }

}
