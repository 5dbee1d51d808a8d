/// Replaces the full scans under the start pattern's filter with the most selective index for
/// each kind (`id = 1`, `type = 'Model' and name = 'm'`, `uri = ...`, `state = LIVE`, ...), or the
/// members of the contexts an `in context(name = 'run-1')` scope names.
struct UseIndexForStart: PlanRule {
    static let rule = Planner.Rule.useIndexForStart

    func apply(to root: inout PlanNode, _ context: RuleContext) -> [String] {
        var reasons: [String] = []
        root = root.rewritten { node in
            guard case .filter(let test) = node.op, test == context.query.start else { return node }
            let scans = node.inputs.count == 1 && node.inputs[0].op.isUnion ? node.inputs[0].inputs : node.inputs
            var accesses: [PlanNode] = []
            for scan in scans {
                guard case .scan(let kind) = scan.op,
                    let index = context.estimator.bestIndex(kind: kind, predicate: test.predicate(kind), scope: test.scope)
                else {
                    accesses.append(scan)
                    continue
                }
                accesses.append(PlanNode(.indexLookup(index)))
                reasons.append("\(index) in place of a scan of every \(kind)")
            }
            return Planner.select(test, accesses: accesses)
        }
        return reasons
    }
}

extension PlanOperator {
    var isUnion: Bool {
        if case .union = self { return true }
        return false
    }
}
