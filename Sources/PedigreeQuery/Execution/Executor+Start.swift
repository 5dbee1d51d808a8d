extension Executor {
    /// The nodes a plan starts from: the matches of its start pattern, as the plan finds them.
    /// Diagrams use them to highlight where a query began.
    public func startNodes(_ plan: Plan) throws(QueryAbort) -> [NodeRef] {
        try select(plan.query.start, plan.startAccess)
    }
}
