import CLua
import Foundation

/// One background thread for all Lua states of the process: every 10 ms it arms the count hook of
/// any state whose current call has been running since the previous tick, so that the instruction
/// budget and the clock stop a runaway call while ordinary calls run at full speed.
final class LuaWatchdog: @unchecked Sendable {
    static let shared = LuaWatchdog()

    private let lock = NSLock()
    /// Watched states and the call serial seen at the last tick.
    private var watched: [UnsafeMutablePointer<nrl_limits>: Int64] = [:]
    private var thread: Thread?

    func watch(_ limits: UnsafeMutablePointer<nrl_limits>) {
        lock.lock()
        defer { lock.unlock() }
        watched[limits] = -1
        if thread == nil {
            let t = Thread { [unowned self] in self.run() }
            t.name = "nrlhost Lua watchdog"
            t.start()
            thread = t
        }
    }

    /// Stops watching (before the state is closed: the watchdog never touches a closed state).
    func forget(_ limits: UnsafeMutablePointer<nrl_limits>) {
        lock.lock()
        watched[limits] = nil
        lock.unlock()
    }

    private func run() {
        while true {
            usleep(10_000)
            lock.lock()
            for (limits, seen) in watched {
                var serial = seen
                nrl_watchdog_tick(limits, &serial)
                watched[limits] = serial
            }
            lock.unlock()
        }
    }
}
