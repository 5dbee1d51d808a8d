import ArgumentParser
import Foundation
import Pedigree

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "init", abstract: "Create an empty MLMD store.")
    @OptionGroup var store: StoreOptions

    func run() throws {
        try PedigreeCommand.run {
            if store.isFile, FileManager.default.fileExists(atPath: store.db),
                ((try? FileManager.default.attributesOfItem(atPath: store.db)[.size] as? Int) ?? 0) > 0
            {
                // Validates an existing file and leaves it as it is.
                _ = try store.open(.readOnly)
                print("\(store.db) is already an MLMD store")
                return
            }
            let s = try store.open(.create)
            s.close()
            print("\(store.isFile ? "created" : "ready:") \(s.path) (MLMD schema version 10)")
        }
    }
}
