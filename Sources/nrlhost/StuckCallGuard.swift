import Foundation
import LuaBridge
import NRLCore

/// The one guard of the process against a script call stuck inside a C library function (a
/// pathological string pattern), where neither the instruction budget nor the clock can stop it:
/// `NRLHostCommand.main` installs it before any command runs, so it holds wherever a script runs —
/// loading any script (rule, environment, experiment, assignment), `setup`, `check`, `compare`
/// workers, `grade`, `--watch` reloads. Once a call has run past its own `--max-seconds` by half a
/// second, the command's handler saves what it can; then the guard prints the message (with the
/// script's file:line) and ends the process with exit code 1.
enum StuckCallGuard {
    private static let handler = Locked<(@Sendable (LuaCalls.StuckCall) -> Void)?>(nil)

    static func install() {
        LuaCalls.onStuckCall(grace: 0.5) { call in
            if let handle = handler.withValue({ $0 }) { handle(call) }
            printError(call.message)
            Foundation.exit(ExitStatus.failure)
        }
    }

    /// What the running command saves before the process ends (run.json, the sweep's store, the
    /// grader's verdict); it may end the process itself.
    static func onStuck(_ handle: @escaping @Sendable (LuaCalls.StuckCall) -> Void) {
        handler.withValue { $0 = handle }
    }
}
