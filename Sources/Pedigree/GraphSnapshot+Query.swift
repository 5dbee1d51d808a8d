public import PedigreeGraph
public import PedigreeQuery

/// Pedigree's path query language over a snapshot.
extension GraphSnapshot {
    /// Parses, binds and plans a query; throws `QueryError` with its diagnostics.
    public func plan(_ text: String, parameters: [String: String] = [:]) throws -> Plan {
        try plan(text, typedParameters: parameters.mapValues(Self.parameterValue))
    }

    /// `plan` with rewrite rules turned off (`explain --disable-rule`, the planner's tests).
    package func plan(_ text: String, parameters: [String: String] = [:], disabledRules: Set<Planner.Rule>) throws -> Plan {
        try plan(text, typedParameters: parameters.mapValues(Self.parameterValue), disabledRules: disabledRules)
    }

    /// `plan` with parameter values that already have their types (as the gRPC service gets them).
    package func plan(_ text: String, typedParameters: [String: Literal.Value], disabledRules: Set<Planner.Rule> = []) throws -> Plan {
        let (parsed, diagnostics) = Parser.parse(text)
        guard let parsed, diagnostics.isEmpty else { throw QueryError(source: text, diagnostics: diagnostics) }
        var binder = QueryBinder(snapshot: self, parameters: typedParameters)
        guard let bound = binder.bind(parsed) else { throw QueryError(source: text, diagnostics: binder.diagnostics) }
        return Planner.plan(bound, statistics: self, disabled: disabledRules)
    }

    /// Runs a query. Budgets, the deadline and cancellation end it with a MetadataError
    /// (RESOURCE_EXHAUSTED, DEADLINE_EXCEEDED, CANCELLED).
    public func query(_ text: String, parameters: [String: String] = [:], limits: QueryLimits = QueryLimits()) throws -> QueryResult {
        try run(plan(text, parameters: parameters), limits: limits)
    }

    public func run(_ plan: Plan, limits: QueryLimits = QueryLimits()) throws -> QueryResult {
        try Self.mappingAbort { () throws(QueryAbort) in try Executor(snapshot: self, limits: limits).run(plan) }
    }

    /// ml-metadata's GetLineageSubgraph walk, under the same budgets as a query.
    package func run(_ walk: MLMDLineageSubgraphWalk, limits: QueryLimits) throws -> MLMDLineageFound {
        do {
            return try Executor(snapshot: self, limits: limits, storage: Self.mlmdStorageText).run(walk)
        } catch let abort as QueryAbort {
            throw Self.error(abort)
        }
    }

    /// ml-metadata's GetLineageGraph walk, under the same budgets as a query.
    package func run(_ walk: MLMDLineageGraphWalk, limits: QueryLimits) throws -> MLMDLineageFound {
        do {
            return try Executor(snapshot: self, limits: limits, storage: Self.mlmdStorageText).run(walk)
        } catch let abort as QueryAbort {
            throw Self.error(abort)
        }
    }

    /// A budget, the deadline or cancellation as a MetadataError (RESOURCE_EXHAUSTED,
    /// DEADLINE_EXCEEDED, CANCELLED).
    private static func mappingAbort<T>(_ body: () throws(QueryAbort) -> T) throws(MetadataError) -> T {
        do {
            return try body()
        } catch {
            throw Self.error(error)
        }
    }

    private static func error(_ abort: QueryAbort) -> MetadataError {
        let code: MetadataError.Code =
            switch abort.reason {
            case .visitBudget, .pathBudget: .resourceExhausted
            case .deadline: .deadlineExceeded
            case .cancelled: .cancelled
            }
        return MetadataError(code, abort.description)
    }

    /// A `--param name=value` value: an integer, a number, true or false, or else a string
    /// (quote it, '123', to force a string).
    package static func parameterValue(_ raw: String) -> Literal.Value {
        if raw.count >= 2, raw.hasPrefix("'"), raw.hasSuffix("'") { return .string(String(raw.dropFirst().dropLast())) }
        if let i = Int64(raw) { return .integer(i) }
        if let d = Double(raw), raw.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) { return .decimal(d) }
        if raw == "true" || raw == "false" { return .bool(raw == "true") }
        return .string(raw)
    }
}
