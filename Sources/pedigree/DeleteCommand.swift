import ArgumentParser
import Foundation
import GRPCCore
import Pedigree
import PedigreeServer
import PedigreeWire

/// The options `delete` and `gc` share: how to delete, whether to, and how to report.
struct DeleteArguments: ParsableArguments {
    @Flag(help: "Delete, if the impact is still the one --token names (without it: a dry run that writes nothing).")
    var apply = false
    @Option(help: "The token of the dry run whose impact --apply may carry out.") var token: String?
    @Option(help: "tombstone (artifacts take a deletion state; every row is kept) or purge (the rows go).")
    var mode: Mode = .tombstone
    @Option(help: "The state a tombstone sets: marked-for-deletion or deleted.") var state: TombstoneState = .markedForDeletion
    @Option(
        name: .customLong("protect"),
        help: "An artifact type whose LIVE artifacts may not lose provenance without --force (repeatable; default: Model-like types).")
    var protectedTypes: [String] = []
    @Flag(help: "Delete even when LIVE artifacts of protected types would lose provenance.") var force = false
    @Option(help: "How many nodes each sample lists.") var sample: Int = 10
    @Option(help: "table or json (json: the counts, samples and a top-level \"token\").") var format: OutputFormat = .table

    enum Mode: String, ExpressibleByArgument, CaseIterable { case tombstone, purge }

    enum TombstoneState: String, ExpressibleByArgument, CaseIterable {
        case markedForDeletion = "marked-for-deletion", deleted
    }

    func validate() throws {
        if apply, token == nil { throw ValidationError("--apply needs --token: run the dry run first and pass the token it prints") }
        if token != nil, !apply { throw ValidationError("--token goes with --apply") }
        if sample < 0 { throw ValidationError("--sample must not be negative") }
    }

    /// The options, as the library takes them.
    var options: DeleteOptions {
        DeleteOptions(
            mode: mode == .purge ? .purge : .tombstone, tombstoneState: state == .deleted ? .deleted : .markedForDeletion,
            protectedTypes: protectedTypes.isEmpty ? nil : protectedTypes, force: force, sampleSize: sample, actor: Self.actor)
    }

    /// The same, for a server.
    var wire: Pedigree_V1_DeleteOptions {
        Pedigree_V1_DeleteOptions.with {
            $0.mode = mode.rawValue
            $0.tombstoneState = state == .deleted ? "DELETED" : "MARKED_FOR_DELETION"
            $0.protectedTypes = protectedTypes
            $0.force = force
            $0.sampleSize = Int32(clamping: sample)
        }
    }

    /// Who deletes, for the log: USER@HOST.
    static var actor: String {
        let env = ProcessInfo.processInfo.environment
        let user = env["USER"] ?? env["LOGNAME"] ?? getpwuid(getuid()).flatMap { $0.pointee.pw_name.map { String(cString: $0) } } ?? "uid \(getuid())"
        return "\(user)@\(ProcessInfo.processInfo.hostName)"
    }

    /// Runs the dry run or the delete on a store the command opens.
    func runLocal(_ path: String, _ selection: DeleteSelection) throws {
        let store = try MetadataStore(path: path, mode: apply ? .readWrite : .readOnly)
        defer { store.close() }
        let impact: DeleteImpact
        do {
            impact = try apply ? store.delete(selection, options: options, token: token!) : store.deletionImpact(of: selection, options: options)
        } catch let error as QueryError {
            try reportQueryError(error, json: format == .json)
        }
        try print(Pedigree_V1_DeleteImpact(impact))
    }

    /// Asks a server for the dry run or the delete (`call`), and prints its report.
    func runRemote(
        _ address: ServerAddress, _ call: (PedigreeClient, CallOptions) async throws -> Pedigree_V1_DeleteImpact
    ) async throws {
        let impact = try await ServerCall.run(address, json: format == .json) { client in
            try await call(client, ServerCall.options(timeout: 30))
        }
        try print(impact)
    }

    /// Prints a report: JSON, or a table for people.
    func print(_ impact: Pedigree_V1_DeleteImpact) throws {
        var out = Output()
        if format == .json {
            out.line(DeleteReport.json(impact).text)
        } else {
            DeleteReport.write(impact, force: force, to: &out)
        }
        out.flush()
    }
}


/// The table and JSON forms of an impact.
enum DeleteReport {
    /// Every field, zeros included: the token first, the counts, then the node sets.
    static func json(_ impact: Pedigree_V1_DeleteImpact) -> JSONOut {
        func nodes(_ n: Pedigree_V1_DeleteNodes) -> JSONOut {
            .object([
                ("count", .int(n.count)),
                ("by_type", .array(n.byType.map { .object([("kind", .string($0.kind)), ("type", .string($0.type)), ("state", .string($0.state)), ("count", .int($0.count))]) })),
                ("sample", .array(n.sample.map { .object([("kind", .string($0.kind)), ("id", .int($0.id)), ("type", .string($0.type)), ("name", .string($0.name)), ("state", .string($0.state))]) })),
            ])
        }
        var fields: [(String, JSONOut)] = [
            ("token", .string(impact.token)), ("applied", .bool(impact.applied)), ("log_entry", .int(impact.logEntry)),
            ("mode", .string(impact.mode)), ("tombstone_state", .string(impact.tombstoneState)),
            ("counts", .object([
                ("nodes", .int(impact.deleted.count)), ("events", .int(impact.events)), ("event_path_steps", .int(impact.eventPathSteps)),
                ("attributions", .int(impact.attributions)), ("associations", .int(impact.associations)),
                ("parent_contexts", .int(impact.parentContexts)), ("tombstoned", .int(impact.tombstoned)),
                ("losing_provenance", .int(impact.losingProvenance.count)), ("without_producer", .int(impact.withoutProducer.count)),
                ("protected_at_risk", .int(impact.protectedAtRisk.count)),
            ])),
            ("deleted", nodes(impact.deleted)), ("losing_provenance", nodes(impact.losingProvenance)),
            ("without_producer", nodes(impact.withoutProducer)), ("protected_at_risk", nodes(impact.protectedAtRisk)),
            ("protected_types", .array(impact.protectedTypes.map { .string($0) })),
        ]
        if !impact.rules.isEmpty { fields.append(("rules", .array(impact.rules.map { .string($0) }))) }
        return .object(fields)
    }

    static func write(_ impact: Pedigree_V1_DeleteImpact, force: Bool, to out: inout Output) {
        let purge = impact.mode == "purge"
        for rule in impact.rules { out.line(rule) }
        if !impact.rules.isEmpty { out.line() }
        out.line(
            impact.applied
                ? (purge ? "Purged" : "Tombstoned") + " (deletion log entry \(impact.logEntry)):"
                : "Dry run (nothing was written). " + (purge ? "A purge would remove:" : "A tombstone would mark:"))
        section("nodes", impact.deleted, to: &out)
        if purge {
            out.line(
                "rows        \(impact.events) events (\(impact.eventPathSteps) path steps), \(impact.attributions) attributions, "
                    + "\(impact.associations) associations, \(impact.parentContexts) parent-context links")
        } else {
            out.line("tombstone   \(impact.tombstoned) artifacts \(impact.applied ? "became" : "would become") \(impact.tombstoneState); every row is kept")
            out.line(
                "            (a purge would also remove \(impact.events) events, \(impact.attributions) attributions, "
                    + "\(impact.associations) associations, \(impact.parentContexts) parent-context links)")
        }
        out.line()
        out.line("Downstream, kept but cut off from their provenance:")
        section("nodes", impact.losingProvenance, to: &out)
        out.line("Artifacts left without a producer:")
        section("artifacts", impact.withoutProducer, to: &out)
        out.line("Protected types: " + (impact.protectedTypes.isEmpty ? "(none in this store)" : impact.protectedTypes.joined(separator: ", ")))
        if impact.protectedAtRisk.count > 0 {
            out.line("LIVE artifacts of protected types deleted or losing provenance:")
            section("artifacts", impact.protectedAtRisk, to: &out)
            if !impact.applied {
                out.line(force ? "--force: the delete goes ahead anyway." : "An --apply of this delete is refused unless --force is given.")
            }
        }
        out.line()
        out.line("token       \(impact.token)")
        if !impact.applied {
            out.line("To delete:  repeat the command with --apply --token \(impact.token)")
        }
    }

    private static func section(_ noun: String, _ nodes: Pedigree_V1_DeleteNodes, to out: inout Output) {
        out.line("\(noun.padding(toLength: 11, withPad: " ", startingAt: 0)) \(nodes.count)")
        guard nodes.count > 0 else { return }
        let width = nodes.byType.map(\.type.count).max() ?? 0
        for group in nodes.byType {
            out.line(
                "  " + group.kind.padding(toLength: 10, withPad: " ", startingAt: 0) + group.type.padding(toLength: width + 2, withPad: " ", startingAt: 0)
                    + (group.state.isEmpty ? "-" : group.state).padding(toLength: 20, withPad: " ", startingAt: 0) + "\(group.count)")
        }
        out.line("  sample:")
        for s in nodes.sample {
            out.line("    \(s.kind) \(s.id)  \(s.type)  \(s.name.isEmpty ? "(no name)" : s.name)" + (s.state.isEmpty ? "" : "  \(s.state)"))
        }
        if nodes.count > nodes.sample.count { out.line("    ... and \(nodes.count - Int64(nodes.sample.count)) more") }
    }
}

struct DeleteCommand: TargetedCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete", abstract: "Delete the nodes a query returns, decided by an impact report (a dry run unless --apply).",
        discussion: """
            Without --apply, writes nothing and reports what would go: the nodes by kind, type and \
            state, the events, attributions, associations and parent-context links with them, the \
            nodes downstream that would lose their provenance, the artifacts left without a \
            producer, and a token that fingerprints exactly this impact. With --apply --token T, \
            deletes only if the impact is still T's (otherwise nothing is written), in one \
            transaction, and logs it. --mode tombstone (the default) sets artifacts to \
            MARKED_FOR_DELETION (or --state deleted) and keeps every row; --mode purge removes the \
            rows. A delete that would cut the provenance of a LIVE artifact of a protected type \
            (--protect, default Model-like types) is refused unless --force.
            """)

    @OptionGroup var target: TargetOptions
    @Argument(help: "The query whose answer is deleted, e.g. \"artifact(type = 'Examples') in context(name = 'run-1')\"; '-' reads it from standard input.")
    var text: String
    @Option(name: .customLong("param"), help: "A query parameter, name=value (repeatable); $name in the query.")
    var params: [String] = []
    @OptionGroup var delete: DeleteArguments

    func runLocal(_ path: String) throws {
        try PedigreeCommand.run {
            try delete.runLocal(path, .query(readQuery(text), parameters: QueryOptions.parameters(params)))
        }
    }

    func runRemote(_ address: ServerAddress) async throws {
        try await PedigreeCommand.run {
            var request = Pedigree_V1_DeleteRequest()
            request.query = readQuery(text)
            request.parameters = try ServerCall.wire(parameters: QueryOptions.parameters(params))
            (request.options, request.apply, request.token) = (delete.wire, delete.apply, delete.token ?? "")
            try await delete.runRemote(address) { client, options in try await client.delete(request, options: options) }
        }
    }
}

struct GarbageCollectCommand: TargetedCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc", abstract: "Apply a retention policy: delete what its rules select, decided by an impact report.",
        discussion: """
            A policy file holds rules, each a query and what to keep of its answer:

              rule old-runs
                select node() in context(type = 'pipeline_run')
                keep last 3 runs of pipeline_run per pipeline   # the rest of the runs go

              rule examples
                select artifact(type = 'Examples')
                keep top 2 by span then 1 by version

              rule stale
                select artifact(type = 'ExampleStatistics')
                older than 30d

            A rule deletes what its query returns less what it keeps: `keep last N [per TYPE]` \
            keeps the N newest nodes (of each group sharing their contexts of TYPE); `keep last N \
            runs of RUN_TYPE [per TYPE]` keeps the nodes of the N newest runs (contexts of RUN_TYPE) \
            under each parent context of TYPE, and a run whose nodes all go, goes too; `keep top N \
            by P [then M by Q]` keeps the nodes with the N highest values of property P (TFX's \
            KeepPropertyValueGroups); `older than 30d` (s, m, h, d, w) deletes only older nodes. \
            The policy deletes the union of its rules'. The dry run, --apply --token, --mode and \
            protection work as for `pedigree delete`; a dry run and its apply must be near in \
            time when a rule says `older than` (a node that comes of age between them changes the \
            token).
            """)

    @OptionGroup var target: TargetOptions
    @Option(help: "The retention policy file.") var policy: String
    @OptionGroup var delete: DeleteArguments

    func policyText() throws -> String {
        guard let data = FileManager.default.contents(atPath: policy) else {
            throw MetadataError.notFound("cannot read the policy file \(policy)")
        }
        return String(decoding: data, as: UTF8.self)
    }

    func runLocal(_ path: String) throws {
        try PedigreeCommand.run {
            try delete.runLocal(path, .policy(RetentionPolicy(try policyText())))
        }
    }

    func runRemote(_ address: ServerAddress) async throws {
        try await PedigreeCommand.run {
            var request = Pedigree_V1_GarbageCollectRequest()
            request.policy = try policyText()
            (request.options, request.apply, request.token) = (delete.wire, delete.apply, delete.token ?? "")
            try await delete.runRemote(address) { client, options in try await client.garbageCollect(request, options: options) }
        }
    }
}
