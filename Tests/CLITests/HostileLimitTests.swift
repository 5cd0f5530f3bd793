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

    // MARK: 6. Declarations checked before anything is allocated

    static let badBounds: [(name: String, params: String, expect: String)] = [
        ("nan_min", "lr = { 0.1, min = 0/0 }", "rule.params.lr: min must be a number, got nan (0/0)"),
        ("nan_max", "lr = { 0.1, max = -(0/0) }", "rule.params.lr: max must be a number, got nan (0/0)"),
        ("inverted", "lr = { 0.1, min = 1, max = 0 }", "rule.params.lr: min 1.0 is above max 0.0"),
        ("min_infinite", "lr = { 0.1, min = math.huge }", "rule.params.lr: min inf is above the largest number"),
        ("max_minus_infinite", "n = { 3, max = -math.huge }", "rule.params.n: max -inf is below the smallest number"),
        ("integer_min_too_big", "n = { 3, min = 1e12 }", "rule.params.n: no integer lies between min 1000000000000.0 and max 2147483647"),
        ("integer_empty", "n = { 3, min = 2.2, max = 2.8 }", "rule.params.n: no integer lies between min 2.2 and max 2.8"),
    ]

    /// A NaN or inverted bound is refused with the declaration's line (it used to trap making a range).
    func testNaNAndInvertedParameterBounds() throws {
        for c in Self.badBounds {
            let rule = try write("\(c.name).lua", "return rule {\n  params = { \(c.params) },\n  act = function() return 1 end, learn = function() end }\n")
            for command in [["check", rule], ["run", rule, "--env", "cartpole", "--episodes", "1"]] {
                let r = try nrlhost(command, timeout: 30)
                XCTAssertEqual(r.result.status, 1, "\(c.name) \(command[0]): \(r.output)")
                XCTAssertTrue(r.result.stderr.contains("\(rule):1: \(c.expect)"), "\(c.name) \(command[0]): \(r.output)")
            }
        }
    }

    /// hidden = 65536 with 64 layers is inside each field's range but needs terabytes: refused against
    /// --max-memory before the network is allocated, whether the rule declares it or the user asks.
    func testNetworkTooBigForTheMemoryLimit() throws {
        let rule = try write("huge.lua", "return rule {\n  hidden = 65536, layers = 64,\n  act = function() return 1 end, learn = function() end }\n")
        let expect = "a network of 64 hidden layers of 65536 units needs 270583332864 weights (about 3.9 TB with the rule's matrices), more than the memory limit of 256 MB (--max-memory)"
        for command in [["run", rule, "--env", "cartpole"], ["check", rule],
                        ["run", "--rule", "nrl", "--env", "cartpole", "--hidden", "65536", "--layers", "64"]] {
            let r = try nrlhost(command, timeout: 30)
            XCTAssertEqual(r.result.status, 64, "\(command): \(r.output)")
            XCTAssertTrue(r.result.stderr.contains(expect), "\(command): \(r.output)")
        }
        // Sizes whose product overflows an Int.
        let overflow = try nrlhost(["run", "--rule", "nrl", "--env", "cartpole", "--hidden", "4000000000", "--layers", "3"], timeout: 30)
        XCTAssertEqual(overflow.result.status, 64, overflow.output)
        XCTAssertTrue(overflow.result.stderr.contains("needs more weights than can be counted"), overflow.output)
        // The limit follows --max-memory: 1 MB is too little for 512 × 512, 64 MB is enough.
        let small = try nrlhost(["run", "--rule", "nrl", "--env", "cartpole", "--hidden", "512", "--layers", "2", "--episodes", "1", "--max-memory", "1"], timeout: 30)
        XCTAssertEqual(small.result.status, 64, small.output)
        XCTAssertTrue(small.result.stderr.contains("more than the memory limit of 1 MB (--max-memory)"), small.output)
        let enough = try nrlhost(["run", "--rule", "nrl", "--env", "cartpole", "--hidden", "512", "--layers", "2", "--episodes", "1", "--max-memory", "64"], timeout: 60)
        XCTAssertEqual(enough.result.status, 0, enough.output)
    }

    /// In a sweep the oversized run fails with the message; the others complete.
    func testNetworkTooBigInCompare() throws {
        let experiment = try write("big.lua", """
        return experiment { name = "big", groups = {
          { name = "small", rules = { "nrl" }, envs = { "cartpole" }, seeds = { 1 }, episodes = 2, hidden = 4 },
          { name = "huge", rules = { "nrl" }, envs = { "cartpole" }, seeds = { 1 }, episodes = 2, hidden = 65536, layers = 64 } } }

        """)
        let r = try nrlhost(["compare", experiment, "--store", dir.appendingPathComponent("big.sqlite").path], timeout: 120)
        XCTAssertEqual(r.result.status, 1, r.output)
        XCTAssertTrue(r.result.stdout.contains("1 runs completed, 1 failed"), r.output)
        XCTAssertTrue(r.result.stdout.contains("more than the memory limit of 256 MB (--max-memory)"), r.output)
    }

    /// A declaration built from shared sub-tables — ten references per level, twelve levels — would be
    /// 10^12 tables copied as a tree: refused with the declaration's line, at once, for a rule, an
    /// environment, an experiment and an assignment (the `grade` parent reads that one itself).
    func testSharedSubTablesThatExpandExponentially() throws {
        let web = "local t = { 1 }\nfor i = 1, 12 do t = { t, t, t, t, t, t, t, t, t, t } end\n"
        let expect = "the declaration holds more than 100000 values"
        let rule = try write("dag_rule.lua", web + "return rule {\n  params = { lr = 0.1 }, defaults = { cartpole = t },\n  act = function() return 1 end, learn = function() end }\n")
        let env = try write("dag_env.lua", web + "return env {\n  name = t, observations = 1, actions = 2,\n  reset = function() return { 0 } end, step = function() return { 0 }, 0, true, false end }\n")
        let experiment = try write("dag_experiment.lua", web + "return experiment {\n  name = \"dag\", rules = t, envs = { \"cartpole\" }, seeds = { 1 } }\n")
        let assignment = try write("dag_assignment.lua", web + "return assignment {\n  name = \"dag\", env = \"cartpole\", episodes = t, seeds = { practice = { 1 }, grading = { 2 } } }\n")
        let submission = try write("submission.lua", "return rule { act = function() return 1 end, learn = function() end }\n")
        let store = dir.appendingPathComponent("dag.sqlite").path
        let cases: [([String], String)] = [
            (["check", rule], "\(rule):3: "),
            (["run", rule, "--env", "cartpole", "--episodes", "1"], "\(rule):3: "),
            (["check", env], "\(env):3: "),
            (["run", "--rule", "nrl", "--env", env, "--episodes", "1"], "\(env):3: "),
            (["compare", experiment, "--store", store], "\(experiment):3: "),
            (["check", experiment], "\(experiment):3: "),
            (["grade", assignment, submission], "\(assignment):3: "),
            (["try", assignment, submission], "\(assignment):3: "),
        ]
        for (arguments, location) in cases {
            let r = try nrlhost(arguments, timeout: 30)
            XCTAssertNotEqual(r.result.status, 0, "\(arguments): \(r.output)")
            XCTAssertTrue(r.result.stderr.contains(location + expect), "\(arguments): \(r.output)")
            XCTAssertLessThan(r.seconds, 10, "\(arguments)")
        }
    }

    /// A table shared by several fields is read once and may appear many times; only the copy's
    /// total size is capped.
    func testSharedSubTablesWithinTheCapAreRead() throws {
        let experiment = try write("shared.lua", """
        local seeds = { 1, 2 }
        local envs = { "cartpole" }
        return experiment { name = "shared", groups = {
          { name = "a", rules = { "nrl" }, envs = envs, seeds = seeds, episodes = 2, hidden = 4 },
          { name = "b", rules = { "bp" }, envs = envs, seeds = seeds, episodes = 2, hidden = 4 } } }

        """)
        let r = try nrlhost(["check", experiment], timeout: 30)
        XCTAssertEqual(r.result.status, 0, r.output)
        XCTAssertTrue(r.result.stdout.contains("4 runs"), r.output)
    }

    /// episodes = 2^31 − 1 is a valid count; nothing may reserve memory for that many episodes up front
    /// (a sweep used to abort in `reserveCapacity`). The run fails in its first episode, as planned.
    func testHugeEpisodeCountIsNotReserved() throws {
        let rule = try write("fails.lua", "return rule {\n  act = function(ctx, obs)\n    error('first episode')\n  end,\n  learn = function() end }\n")
        let experiment = try write("many.lua", """
        return experiment { name = "many", rules = { "\(rule)" }, envs = { "cartpole" }, seeds = { 1 }, episodes = 2147483647, hidden = 4 }

        """)
        let r = try nrlhost(["compare", experiment, "--store", dir.appendingPathComponent("many.sqlite").path], timeout: 60)
        XCTAssertEqual(r.result.status, 1, r.output)
        XCTAssertTrue(r.result.stdout.contains("0 runs completed, 1 failed"), r.output)
        XCTAssertTrue(r.result.stdout.contains("\(rule):3: first episode"), r.output)
    }
}
