import ArgumentParser
import Foundation
import Pedigree

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List artifacts, executions or contexts, optionally with an MLMD filter query.")

    enum Kind: String, ExpressibleByArgument, CaseIterable { case artifacts, executions, contexts }
    enum Order: String, ExpressibleByArgument, CaseIterable {
        case id
        case createTime = "create_time"
        case updateTime = "last_update_time"
    }
    enum Format: String, ExpressibleByArgument, CaseIterable { case table, ids }

    @OptionGroup var store: StoreOptions
    @Argument(help: "artifacts, executions or contexts") var kind: Kind
    @Option(name: .customLong("filter"), help: "An MLMD filter_query, e.g. \"uri LIKE 'gs://%'\".") var filter: String?
    @Option(help: "id, create_time or last_update_time") var orderBy: Order = .id
    @Flag(help: "Descending order.") var desc = false
    @Option(help: "At most this many nodes.") var limit: Int?
    @Option(help: "table or ids (one id a line)") var format: Format = .table

    func run() throws {
        try PedigreeCommand.run {
            let g = try store.open(.readOnly).snapshot
            var options = ListOptions(
                maxResultSize: limit ?? Int.max, orderBy: orderBy == .id ? .id : orderBy == .createTime ? .createTime : .updateTime,
                ascending: !desc, filterQuery: filter)
            if let limit, limit < 1 { throw MetadataError.invalidArgument("--limit must be at least 1") }
            options.maxResultSize = limit ?? max(1, g.nodeCount(kindOf(kind)))
            var out = Output()
            func emit<N: MetadataNode>(_ page: Page<N>) {
                for (n, id) in zip(page.items, page.ids) {
                    switch format {
                    case .ids: out.line(String(id))
                    case .table: out.line("\(N.kind) \(id)  \(g.type(n.typeID)?.name ?? "?")  \(n.nodeName ?? "")")
                    }
                }
            }
            switch kind {
            case .artifacts: emit(try g.nodes(as: Artifact.self, options: options))
            case .executions: emit(try g.nodes(as: Execution.self, options: options))
            case .contexts: emit(try g.nodes(as: Context.self, options: options))
            }
            out.flush()
        }
    }

    private func kindOf(_ k: Kind) -> NodeKind {
        switch k {
        case .artifacts: .artifact
        case .executions: .execution
        case .contexts: .context
        }
    }
}
