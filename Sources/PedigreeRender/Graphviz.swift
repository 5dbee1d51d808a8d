internal import CGraphviz
package import PedigreeModel
import Foundation
import Synchronization

/// Graphviz's C library (libgvc, libcgraph), in process.
///
/// Graphviz keeps global state (the parser, the error log, the layout engines) and is not
/// thread-safe, even with one context per thread: every call goes through one process-wide lock,
/// which also owns the one long-lived `GVC_t` context.
package enum Graphviz {
    /// Output formats that Graphviz renders.
    package enum Format: String, Sendable, CaseIterable {
        case svg, png, pdf
    }

    /// Lays out `dot` with the `dot` engine and renders it. Errors are `MetadataError`s:
    /// INVALID_ARGUMENT for DOT that does not parse (with Graphviz's message), INTERNAL when the
    /// layout or the rendering fails.
    package static func render(dot: String, format: Format) throws(MetadataError) -> [UInt8] {
        try GraphvizLock.shared.state.withLock { (context: inout OpaquePointer?) throws(MetadataError) -> [UInt8] in
            if context == nil { context = gvContext() }
            guard let gvc = context else { throw MetadataError(.internal, "Graphviz: gvContext failed") }
            // Errors go to Graphviz's error log (read back with aglasterr), not to stderr.
            agseterr(AGMAX)
            guard let graph = dot.withCString({ agmemread($0) }) else {
                throw MetadataError(.invalidArgument, "Graphviz could not read the DOT text: \(lastError() ?? "syntax error")")
            }
            defer { agclose(graph) }
            guard gvLayout(gvc, graph, "dot") == 0 else {
                let message = lastError() ?? "no message"
                if message.contains("not recognized") {
                    throw MetadataError(.internal, "Graphviz has no \"dot\" layout plugin registered: run `dot -c` as root (`make deps` does)")
                }
                throw MetadataError(.internal, "Graphviz layout failed: \(message)")
            }
            defer { gvFreeLayout(gvc, graph) }
            var data: UnsafeMutablePointer<CChar>?
            var length: UInt32 = 0  // `unsigned int *` in Graphviz 2.42; newer releases use size_t.
            guard gvRenderData(gvc, graph, format.rawValue, &data, &length) == 0, let data else {
                throw MetadataError(.internal, "Graphviz could not render \(format.rawValue): \(lastError() ?? "no message")")
            }
            defer { gvFreeRenderData(data) }
            return data.withMemoryRebound(to: UInt8.self, capacity: Int(length)) { Array(UnsafeBufferPointer(start: $0, count: Int(length))) }
        }
    }

    /// The text of Graphviz's last error, if it logged one.
    private static func lastError() -> String? {
        guard let text = aglasterr() else { return nil }
        defer { free(text) }
        let message = String(cString: text).trimmingCharacters(in: .whitespacesAndNewlines)
        return message.isEmpty ? nil : message
    }
}

/// The lock every Graphviz call goes through; it owns the process's one Graphviz context.
private final class GraphvizLock: Sendable {
    static let shared = GraphvizLock()
    let state = Mutex<OpaquePointer?>(nil)
}
