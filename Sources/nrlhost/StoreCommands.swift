import ArgumentParser
import Foundation
import NRLCore
import LuaBridge
import NRLTools


struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Export a results store as CSV files (runs.csv, episodes.csv, metrics.csv) for pandas or R.",
        discussion: "runs.csv has a column per parameter (param.NAME for the rules', env.NAME for the environments'), the scripts' content hashes, and `superseded` (1: a run of an earlier spec of the same slot, kept but not current).")

    @Argument(help: "The results store.")
    var store: String

    @Option(help: "Folder for the CSV files.")
    var csv: String

    func run() throws {
        let results = try ResultStore(path: store, create: false)
        try results.exportCSV(to: URL(fileURLWithPath: csv))
        print("wrote runs.csv, episodes.csv and metrics.csv to \(csv)")
    }
}

struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge", abstract: "Combine results stores (e.g. the shards of a sweep) into one.")

    @Argument(help: "The stores to merge.")
    var stores: [String]

    @Option(name: .shortAndLong, help: "The merged store (created, or added to).")
    var output: String

    func run() throws {
        guard !stores.isEmpty else { throw ValidationError("name the stores to merge") }
        guard !stores.contains(output) else { throw ValidationError("the output store must not be one of the inputs") }
        let inputs = try stores.map { try ResultStore(path: $0, create: false) }
        let merged = try ResultStore(path: output, create: true)
        for (path, store) in zip(stores, inputs) {
            print("\(path): \(try merged.merge(from: store)) runs copied")
        }
        print("merged store: \(output), \(try merged.runs().count) runs")
    }
}
