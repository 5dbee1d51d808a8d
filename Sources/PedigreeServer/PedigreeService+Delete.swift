public import GRPCCore
public import PedigreeWire
package import Pedigree
internal import PedigreeQuery

/// Delete and GarbageCollect: a dry run by default, the delete with `apply` and the dry run's token.
extension PedigreeService {
    public func delete(request: Pedigree_V1_DeleteRequest, context: ServerContext) async throws -> Pedigree_V1_DeleteImpact {
        let selection = DeleteSelection.query(request.query, typedParameters: try parameters(request.parameters))
        return try await run(selection, request.options, apply: request.apply, token: request.token, peer: context.remotePeer)
    }

    public func garbageCollect(
        request: Pedigree_V1_GarbageCollectRequest, context: ServerContext
    ) async throws -> Pedigree_V1_DeleteImpact {
        let policy: RetentionPolicy
        do {
            policy = try RetentionPolicy(request.policy)
        } catch {
            throw rpcError(error)
        }
        return try await run(.policy(policy), request.options, apply: request.apply, token: request.token, peer: context.remotePeer)
    }

    private func run(
        _ selection: DeleteSelection, _ wire: Pedigree_V1_DeleteOptions, apply: Bool, token: String, peer: String
    ) async throws -> Pedigree_V1_DeleteImpact {
        let options = try Self.deleteOptions(wire, actor: "grpc \(peer)")
        if apply, token.isEmpty {
            throw RPCError(code: .invalidArgument, message: "apply needs the token of a dry run of the same delete (run it with apply false first)")
        }
        let impact = try await write { store in
            apply ? try store.delete(selection, options: options, token: token) : try store.deletionImpact(of: selection, options: options)
        }
        return Pedigree_V1_DeleteImpact(impact)
    }

    /// The library's options from the wire's; unknown names are INVALID_ARGUMENT.
    package static func deleteOptions(_ wire: Pedigree_V1_DeleteOptions, actor: String) throws -> DeleteOptions {
        var options = DeleteOptions(force: wire.force, actor: actor)
        if !wire.mode.isEmpty {
            guard let mode = DeleteMode(rawValue: wire.mode) else {
                throw RPCError(code: .invalidArgument, message: "mode '\(wire.mode)': expected tombstone or purge")
            }
            options.mode = mode
        }
        if !wire.tombstoneState.isEmpty {
            guard let state = ArtifactState(name: wire.tombstoneState), state == .markedForDeletion || state == .deleted else {
                throw RPCError(code: .invalidArgument, message: "tombstone_state '\(wire.tombstoneState)': expected MARKED_FOR_DELETION or DELETED")
            }
            options.tombstoneState = state
        }
        if !wire.protectedTypes.isEmpty { options.protectedTypes = wire.protectedTypes }
        if wire.sampleSize < 0 { throw RPCError(code: .invalidArgument, message: "sample_size must not be negative") }
        if wire.sampleSize > 0 { options.sampleSize = Int(wire.sampleSize) }
        return options
    }
}

extension Pedigree_V1_DeleteImpact {
    /// The wire form of an impact (what `pedigree delete` prints, locally or from a server).
    package init(_ impact: DeleteImpact) {
        self.init()
        token = impact.token
        applied = impact.applied
        logEntry = impact.logEntry
        mode = impact.mode.rawValue
        tombstoneState = impact.tombstoneState?.description ?? ""
        deleted = Pedigree_V1_DeleteNodes(impact.deleted)
        events = Int64(impact.events)
        eventPathSteps = Int64(impact.eventPathSteps)
        attributions = Int64(impact.attributions)
        associations = Int64(impact.associations)
        parentContexts = Int64(impact.parentContexts)
        tombstoned = Int64(impact.tombstoned)
        losingProvenance = Pedigree_V1_DeleteNodes(impact.losingProvenance)
        withoutProducer = Pedigree_V1_DeleteNodes(impact.withoutProducer)
        protectedAtRisk = Pedigree_V1_DeleteNodes(impact.protectedAtRisk)
        protectedTypes = impact.protectedTypes
        rules = impact.rules
    }
}

extension Pedigree_V1_DeleteNodes {
    init(_ nodes: DeleteImpact.Nodes) {
        self.init()
        count = Int64(nodes.count)
        byType = nodes.groups.map { g in
            var w = Pedigree_V1_DeleteGroup()
            w.kind = "\(g.kind)"
            w.type = g.type
            w.state = g.state
            w.count = Int64(g.count)
            return w
        }
        sample = nodes.sample.map { s in
            var w = Pedigree_V1_DeleteSample()
            w.kind = "\(s.kind)"
            w.id = s.id
            w.type = s.type
            w.name = s.name
            w.state = s.state
            return w
        }
    }
}
