import Foundation
import NRLCore
import LuaBridge
import NRLTools

/// Shows script reloads: a line of its own for each event, and on a terminal the latest one kept
/// beside the progress line — a failed reload's error stays there until the next save.
final class ScriptEventDisplay: @unchecked Sendable {
    // Set once before the run starts; events come on the run's own thread.
    var progress: ProgressDisplay?

    @Sendable func handle(_ event: ScriptEvent) {
        let line: String
        switch event {
        case .reloaded(let reload):
            line = "reloaded (v\(reload.version))" + (reload.note.map { "; \($0)" } ?? "")
            progress?.note = "reloaded (v\(reload.version))"
        case .reloadFailed(let error):
            line = "reload failed, the previous version keeps running: \(error.description)"
            progress?.note = "reload failed: \(error.description)"
        case .reverted:
            return  // told with the failure just before
        }
        FileHandle.standardError.write(Data(((progress?.isTerminal ?? false ? "\r\u{1B}[K" : "") + ScriptText.terminalSafe(line) + "\n").utf8))
    }
}
