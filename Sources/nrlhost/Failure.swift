import ArgumentParser
import Foundation
import NRLCore
import LuaBridge
import NRLTools

/// A failure a command describes itself (what was kept, what to do next), with its exit code.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    var exitCode: Int32 = 1
    init(_ description: String, exitCode: Int32 = 1) {
        self.description = description
        self.exitCode = exitCode
    }
}

/// The one place errors become exit codes. Every command throws; nothing else prints an error.
///   64  a usage mistake (unknown name, bad value, bad flag)
///   1   the work failed (a script error, a failed run, a store that cannot be read)
///   130 interrupted (Ctrl-C) after saving what was done
enum ExitStatus {
    static let usage: Int32 = 64
    static let failure: Int32 = 1
    static let interrupted: Int32 = 130

    /// The message and exit code for an error a command threw; nil for ArgumentParser's own errors
    /// (help, version, `ValidationError`, `ExitCode`), which it reports itself.
    static func report(_ error: Error) -> (message: String, code: Int32)? {
        switch error {
        case let e as UsageError: return (e.description, usage)
        case let e as ParameterError: return (e.description, usage)
        case let e as CommandFailure: return (e.description, e.exitCode)
        case is ExitCode, is CleanExit, is ValidationError: return nil
        default:
            if String(reflecting: type(of: error)).hasPrefix("ArgumentParser.") { return nil }
            return ("\(error)", failure)
        }
    }
}

/// Prints `message` to standard error as "nrlhost: error: …".
/// Messages often carry a script's text, so control characters are made visible (a script cannot
/// move the cursor or rewrite the terminal) and a runaway message is cut.
func printError(_ message: String) {
    let safe = ScriptText.terminalSafe(ScriptText.capped(message, limit: 4 * ScriptText.messageLimit))
    FileHandle.standardError.write(Data("nrlhost: error: \(safe)\n".utf8))
}
