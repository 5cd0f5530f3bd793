import NRLCore
import CLua
import CLuaShim
import Foundation

/// The one supervising thread of the process. Every 10 ms it arms the count hook of any Lua state
/// whose current call has been running since the previous tick, so that the instruction budget and
/// the clock stop a runaway call while ordinary calls run at full speed; then it runs the
/// supervisors that commands added (a stuck-call guard, a grader's wall-clock budget).
final class LuaWatchdog: @unchecked Sendable {
    static let shared = LuaWatchdog()

    private let lock = NSLock()
    /// Watched states: the call serial seen at the last tick, since when (monotonic seconds) it has
    /// been seen — the call's start, at most one tick late — and when the tick found it past its clock.
    private var watched: [UnsafeMutablePointer<nrl_limits>: (serial: Int64, since: Double, expired: Double?)] = [:]
    /// Who made each state (`LuaCalls.withOwner`), for a supervisor that must tell whose call is stuck.
    private var owners: [UnsafeMutablePointer<nrl_limits>: String] = [:]
    /// Per state: the call serial and instruction count last seen, and since when (monotonic seconds)
    /// they have not changed — how `stuckLocations` tells a call stuck inside one C function.
    private var progress: [UnsafeMutablePointer<nrl_limits>: (serial: Int64, instructions: Int64, since: Double)] = [:]
    private var thread: Thread?
    private var supervisors: [@Sendable () -> Void] = []

    func watch(_ limits: UnsafeMutablePointer<nrl_limits>) {
        let owner = Thread.current.threadDictionary[LuaCalls.ownerKey] as? String
        lock.lock()
        defer { lock.unlock() }
        watched[limits] = (-1, 0, nil)
        owners[limits] = owner
        startIfNeeded()
    }

    /// Runs `check` on this thread at every tick, outside the watchdog's lock.
    func supervise(_ check: @escaping @Sendable () -> Void) {
        lock.lock()
        defer { lock.unlock() }
        supervisors.append(check)
        startIfNeeded()
    }

    private func startIfNeeded() {
        guard thread == nil else { return }
        let t = Thread { [unowned self] in self.run() }
        t.name = "nrlhost Lua watchdog"
        t.start()
        thread = t
    }

    /// Stops watching (before the state is closed: the watchdog never touches a closed state).
    func forget(_ limits: UnsafeMutablePointer<nrl_limits>) {
        lock.lock()
        watched[limits] = nil
        progress[limits] = nil
        owners[limits] = nil
        lock.unlock()
    }

    private func run() {
        while true {
            usleep(10_000)
            lock.lock()
            let now = nrl_now()
            for (limits, seen) in watched {
                var (serial, since, expired) = seen
                nrl_watchdog_tick(limits, &serial, &since, now)
                if serial != seen.serial { expired = nil }
                if expired == nil, limits.pointee.expired_serial == serial, limits.pointee.in_call != 0 { expired = now }
                watched[limits] = (serial, since, expired)
                let g = limits.pointee
                if let p = progress[limits], p.serial == g.call_serial, p.instructions == g.instructions { continue }
                progress[limits] = (g.call_serial, g.instructions, now)
            }
            let checks = supervisors
            lock.unlock()
            for check in checks { check() }
        }
    }
}

extension LuaWatchdog {
    /// Makes the running call of every state, and every later call, stop within a few milliseconds
    /// of Lua code as if its time limit had passed ("time limit exceeded", at the running line).
    /// Calls shorter than the watchdog's tick are not interrupted. Irreversible.
    func expireAll() {
        lock.lock()
        defer { lock.unlock() }
        for limits in watched.keys {
            limits.pointee.seconds_per_call = 1e-9
            if limits.pointee.deadline != 0 { limits.pointee.deadline = 1e-9 }
        }
    }

    /// "file:line" (nil if unknown) of every call that has run no Lua instruction for `seconds`
    /// although its count hook is armed: it is inside one C library function (a pathological string
    /// pattern) that no hook can interrupt. Reading the stack of a thread stuck there is safe, as
    /// that function changes none of it; this is for a process about to give up on the call.
    func stuckLocations(for seconds: Double) -> [String?] {
        lock.lock()
        defer { lock.unlock() }
        let now = nrl_now()
        var found: [String?] = []
        for (limits, p) in progress {
            let g = limits.pointee
            guard g.in_call != 0, g.hook_armed != 0, g.stop == NRL_STOP_NONE, now - p.since >= seconds,
                  p.serial == g.call_serial, p.instructions == g.instructions, let main = g.main else { continue }
            found.append(Self.runningLine(main, host: g.host))
        }
        return found
    }
}

extension LuaWatchdog {
    /// A call still running `grace` seconds after it ran past its own clock: the watchdog then made
    /// its hook run at the next instruction, so it is inside one C library function that no hook can
    /// interrupt (a pathological string pattern). Its "file:line" (nil if unknown), its
    /// limit, and who made its state.
    struct OverdueCall {
        var location: String?
        var seconds: Double
        var owner: String?
    }

    func overdueCalls(grace: Double) -> [OverdueCall] {
        lock.lock()
        defer { lock.unlock() }
        let now = nrl_now()
        var found: [OverdueCall] = []
        for (limits, seen) in watched {
            let g = limits.pointee
            guard g.in_call != 0, seen.serial == g.call_serial, g.expired_serial == g.call_serial,
                  let expired = seen.expired, now - expired >= grace, let main = g.main else { continue }
            found.append(OverdueCall(location: Self.runningLine(main, host: g.host), seconds: g.seconds_per_call, owner: owners[limits]))
        }
        return found
    }

    /// "file:line" of the innermost script line on `main`'s stack. Reading the stack of a thread
    /// stuck inside one C function is safe, as that function changes none of it.
    static func runningLine(_ main: OpaquePointer, host: UnsafeMutableRawPointer?) -> String? {
        var ar = lua_Debug()
        var level: Int32 = 0
        var location: String?
        while location == nil, lua_getstack(main, level, &ar) != 0 {
            if lua_getinfo(main, "Sl", &ar) != 0, ar.currentline > 0, strcmp(ar.source, "=nrlhost") != 0 {
                let source = withUnsafeBytes(of: ar.short_src) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                location = "\(source):\(ar.currentline)"
            }
            level += 1
        }
        if let short = location, let host {
            location = Unmanaged<LuaState>.fromOpaque(host)._withUnsafeGuaranteedRef { $0.fullLocation(short) }
        }
        return location
    }
}

/// Process-wide controls over the running calls of every Lua state, for a supervisor that enforces
/// a budget across many calls (the grader's worker process).
public enum LuaCalls {
    /// Stops every state's running call and every later one at its next Lua instructions, as if its
    /// time limit had passed. Irreversible.
    public static func expireAll() { LuaWatchdog.shared.expireAll() }

    /// "file:line" (nil if unknown) of every call stuck for `seconds` inside one C library function
    /// (a pathological string pattern) where no instruction budget or clock can stop it.
    public static func stuckLocations(for seconds: Double) -> [String?] { LuaWatchdog.shared.stuckLocations(for: seconds) }

    /// Runs `check` every 10 ms on the watchdog thread (the process's one supervising thread).
    public static func supervise(_ check: @escaping @Sendable () -> Void) { LuaWatchdog.shared.supervise(check) }

    /// A call stuck inside a C library function, past its clock.
    public struct StuckCall: Sendable {
        /// "file:line" of the script line that called the function, when known.
        public var location: String?
        /// The message for the user, starting with the location.
        public var message: String
        /// The tag given with `withOwner` to the code that made the call's state (nil: none).
        public var owner: String?
    }

    /// The count hook cannot interrupt Lua's C library functions, so a script stuck in one (a
    /// pathological string pattern, say) would hang. Once a call of any state has run past its own
    /// time limit (`--max-seconds`) by `grace` seconds, `handle` gets it, once, on the watchdog
    /// thread; it should save what it can and end the process (the call never returns).
    public static func onStuckCall(grace: Double = 0.5, _ handle: @escaping @Sendable (StuckCall) -> Void) {
        let reported = Locked(false)
        supervise {
            guard let call = LuaWatchdog.shared.overdueCalls(grace: grace).first, reported.exchange(true) == false else { return }
            let limit = call.seconds < 1e-3 ? "its time" : "\(call.seconds) s"
            handle(StuckCall(location: call.location, message: (call.location.map { "\($0): " } ?? "")
                + "time limit exceeded: a call has been stuck for more than \(limit) inside a library function (a pathological string pattern?), where no instruction budget applies; raise it with --max-seconds",
                owner: call.owner))
        }
    }

    static let ownerKey = "nrlhost.LuaCalls.owner"

    /// Runs `body` with `owner` as the tag of every Lua state made on this thread meanwhile (a
    /// sweep tags each run's states with its key, to tell which run a stuck call belongs to).
    public static func withOwner<R>(_ owner: String, _ body: () throws -> R) rethrows -> R {
        let dictionary = Thread.current.threadDictionary
        let previous = dictionary[ownerKey]
        dictionary[ownerKey] = owner
        defer { dictionary[ownerKey] = previous }
        return try body()
    }
}
