import Foundation
import Host

/// The count hook cannot interrupt Lua's C library functions, so a script stuck in one (a
/// pathological string pattern, say) would hang the run. This guard looks every half second; once a
/// call has been stuck past the per-call clock it reports the script line and ends the process,
/// after `onStuck` has saved what can be saved.
enum StuckCallGuard {
    static func start(seconds: Double, onStuck: @escaping @Sendable (String) -> Void) {
        guard seconds > 0 else { return }
        let thread = Thread {
            while true {
                usleep(500_000)
                if let location = LuaCalls.stuckLocations(for: seconds).first {
                    let message = (location.map { "\($0): " } ?? "")
                        + "time limit exceeded: a call has been stuck for more than \(seconds) s inside a library function (a pathological string pattern?), where no instruction budget applies; raise it with --max-seconds"
                    onStuck(message)
                    printError(message)
                    exit(1)
                }
            }
        }
        thread.start()
    }
}
