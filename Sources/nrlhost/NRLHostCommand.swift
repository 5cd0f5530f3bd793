import ArgumentParser
import BuiltinRules
import Foundation
import NRLCore
import LuaBridge
import NRLTools

@main
struct NRLHostCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nrlhost",
        abstract: "Compare learning rules for small policy networks on reinforcement tasks.",
        version: NRLHostVersion.current,
        subcommands: [RunCommand.self, CheckCommand.self, CompareCommand.self, SubmitCommand.self, ExportCommand.self, MergeCommand.self,
                      ReportCommand.self, RulesCommand.self, EnvsCommand.self, ReplayCommand.self, BenchCommand.self, DiagnoseCommand.self,
                      GradeCommand.self, TryCommand.self, GradeWorkerCommand.self]
    )

    /// Runs the command; a thrown error becomes a message and an exit code in `ExitStatus`.
    static func main() {
        do {
            var command = try parseAsRoot()
            StuckCallGuard.install()  // wherever a script runs, a call stuck in C ends the process
            try command.run()
        } catch {
            guard let (message, code) = ExitStatus.report(error) else { exit(withError: error) }
            printError(message)
            Foundation.exit(code)
        }
    }
}
