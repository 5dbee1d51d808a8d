import ArgumentParser
import Foundation
import CMalloc
import Pedigree

@main
struct PedigreeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pedigree",
        abstract: "A lineage query engine for ML Metadata (MLMD) stores.",
        subcommands: [
            InitCommand.self, StatsCommand.self, ShowCommand.self, ImportCommand.self, ExportCommand.self,
            QueryCommand.self, ExplainCommand.self, RenderCommand.self, ListCommand.self, CheckCommand.self, DemoCommand.self, GenerateCommand.self,
            ServeCommand.self, WebCommand.self, StatusCommand.self, DeleteCommand.self, GarbageCollectCommand.self,
        ])

    static func main() async {
        keepFreedMemory()
        await main(nil)
    }

    /// Lets glibc keep freed memory for reuse instead of handing every large block back to the
    /// kernel: a query answer of many nodes allocates arrays of megabytes, and with the default
    /// (blocks over the adaptive mmap threshold are unmapped on free) each run paid again for
    /// zeroed fresh pages, about a third of a whole-store closure's time. Memory stays with the
    /// process up to the trim threshold and is reused by the next query.
    ///
    /// Commands run on a thread of Swift's concurrency pool, whose allocations go to a glibc
    /// per-thread arena: its heaps are mapped blocks that go back to the kernel once empty,
    /// whatever the thresholds, so a closure of 600k nodes still paid about 1,700 page faults per
    /// run (2-3 ms of 12). The commands that run one query at a time use the main arena alone,
    /// where the thresholds hold; `serve` keeps an arena per thread for its concurrent clients.
    private static func keepFreedMemory() {
        _ = mallopt(M_MMAP_THRESHOLD, 256 << 20)
        _ = mallopt(M_TRIM_THRESHOLD, 1 << 30)
        if CommandLine.arguments.dropFirst().first != "serve" { _ = mallopt(M_ARENA_MAX, 1) }
    }

    /// Runs a command body, mapping errors to sysexits codes: 65 bad data, 70 internal.
    static func run(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch {
            throw exitCode(for: error)
        }
    }

    /// `run` for a body that waits (one that asks a server).
    static func run(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch {
            throw exitCode(for: error)
        }
    }

    /// Prints an error (an ExitCode has been reported already) and gives its exit code.
    private static func exitCode(for error: any Error) -> ExitCode {
        switch error {
        case let error as ExitCode:
            return error
        case let error as MetadataError:
            printError("pedigree: \(error.message) [\(error.code.rawValue)]")
            return ExitCode(error.code.exitCode)
        default:
            printError("pedigree: \(error)")
            return ExitCode(70)
        }
    }
}

extension MetadataError.Code {
    /// The exit code of a command that failed with this code (sysexits.h): 65 bad data or
    /// query, 69 a database server that cannot be reached, 75 one that failed during the
    /// call (retry may succeed), 77 refused credentials, 70 an internal error.
    var exitCode: Int32 {
        switch self {
        case .internal: 70
        case .unavailable: 69
        case .aborted: 75
        case .unauthenticated: 77
        default: 65
        }
    }
}
