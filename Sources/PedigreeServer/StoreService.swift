package import GRPCCore
package import PedigreeModel
internal import Pedigree

/// A gRPC service over a Pedigree store (ml-metadata's and Pedigree's own): reads answer from the
/// snapshot current when the call starts and never wait for a write; writes go through the store's
/// single writer, off the cooperative pool; errors become statuses (`rpcError`).
protocol StoreService: Sendable {
    var store: MetadataStore { get }
}

extension StoreService {
    /// Answers from the current snapshot; maps errors to statuses.
    func read<T>(_ body: (GraphSnapshot) throws -> T) throws -> T {
        do {
            return try body(store.snapshot)
        } catch {
            throw rpcError(error)
        }
    }

    /// Runs a write on the store's writer queue; maps errors to statuses.
    func write<T: Sendable>(_ body: @escaping @Sendable (MetadataStore) throws -> T) async throws -> T {
        do {
            return try await store.perform(body)
        } catch {
            throw rpcError(error)
        }
    }
}

/// Maps errors to gRPC statuses: MLMD's codes carry over one to one.
func rpcError(_ error: any Error) -> RPCError {
    switch error {
    case let e as RPCError: return e
    case let e as MetadataError: return RPCError(code: e.code.rpcCode, message: e.message)
    case let e as QueryError: return e.rpcError
    default: return RPCError(code: .internalError, message: String(describing: error))
    }
}

extension MetadataError.Code {
    /// The gRPC status code of an MLMD code (one to one, as ml-metadata's server maps them).
    package var rpcCode: RPCError.Code {
        switch self {
        case .invalidArgument: .invalidArgument
        case .alreadyExists: .alreadyExists
        case .notFound: .notFound
        case .failedPrecondition: .failedPrecondition
        case .aborted: .aborted
        case .dataLoss: .dataLoss
        case .cancelled: .cancelled
        case .deadlineExceeded: .deadlineExceeded
        case .resourceExhausted: .resourceExhausted
        case .unimplemented: .unimplemented
        case .unavailable: .unavailable
        case .unauthenticated: .unauthenticated
        case .internal: .internalError
        }
    }

    /// The MLMD code of a gRPC status code, for a client of the service; nil for the codes
    /// MLMD has none for (PERMISSION_DENIED, ...).
    package init?(rpcCode: RPCError.Code) {
        guard let code = Self.allCases.first(where: { $0.rpcCode == rpcCode }) else { return nil }
        self = code
    }
}
