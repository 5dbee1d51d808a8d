import Foundation
import Pedigree
import Testing

/// A fresh temporary directory per call.
func temporaryDirectory() -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("pedigree-tests-\(UUID().uuidString)")
    try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

func temporaryStorePath() -> String { temporaryDirectory().appendingPathComponent("store.sqlite").path }

/// Asserts that `body` throws a MetadataError with `code`; returns its message.
@discardableResult
func expectError(
    _ code: MetadataError.Code, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
) -> String {
    do {
        try body()
        Issue.record("expected \(code.rawValue), but the call succeeded", sourceLocation: sourceLocation)
    } catch let error as MetadataError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        return error.message
    } catch {
        Issue.record("expected MetadataError \(code.rawValue), got \(error)", sourceLocation: sourceLocation)
    }
    return ""
}

/// A small store with one artifact, execution and context type.
struct Fixture {
    let store: MetadataStore
    let dataset: TypeID
    let model: TypeID
    let trainer: TypeID
    let run: TypeID

    init(path: String? = nil) throws {
        store = try path.map { try MetadataStore(path: $0) } ?? MetadataStore.inMemory()
        dataset = try store.putType(NodeType(kind: .artifact, name: "Dataset", baseType: .dataset, properties: ["rows": .int, "split": .string]))
        model = try store.putType(NodeType(kind: .artifact, name: "Model", baseType: .model, properties: ["accuracy": .double]))
        trainer = try store.putType(NodeType(kind: .execution, name: "Trainer", properties: ["epochs": .int]))
        run = try store.putType(NodeType(kind: .context, name: "Run", properties: ["note": .string]))
    }

    /// The path of the pedigree executable that `make test` builds.
    static var pedigreeBinary: String {
        if let path = ProcessInfo.processInfo.environment["PEDIGREE_BIN"] { return path }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/pedigree").path
    }
}

/// Runs the pedigree executable; returns (exit code, stdout, stderr).
func runPedigree(_ arguments: [String], stdin: String? = nil) throws -> (Int32, String, String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: Fixture.pedigreeBinary)
    process.arguments = arguments
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    let input = Pipe()
    process.standardInput = input
    try process.run()
    if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
    try input.fileHandleForWriting.close()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
}
