import ArgumentParser
import BuiltinRules
import Foundation
import Host

@main
struct NRLHostCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nrlhost",
        abstract: "Compare learning rules for small policy networks on reinforcement tasks.",
        version: NRLHostVersion.current,
        subcommands: [RunCommand.self, CheckCommand.self, CompareCommand.self, ExportCommand.self, MergeCommand.self, ReportCommand.self,
                      RulesCommand.self, EnvsCommand.self, ReplayCommand.self, BenchCommand.self,
                      GradeCommand.self, TryCommand.self, GradeWorkerCommand.self]
    )
}

/// Prints `message` to standard error as "nrlhost: error: …".
func printError(_ message: String) {
    FileHandle.standardError.write(Data("nrlhost: error: \(message)\n".utf8))
}
