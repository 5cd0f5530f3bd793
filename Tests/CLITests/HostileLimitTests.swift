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

    func write(_ name: String, _ text: String) throws -> String { try writeScratchFile(name, text, in: dir) }

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
        ("inverted", "lr = { 0.1, min = 1, max = 0 }", "rule.params.lr: min 1 is above max 0"),
        ("min_infinite", "lr = { 0.1, min = math.huge }", "rule.params.lr: min inf is above the largest number"),
        ("max_minus_infinite", "n = { 3, max = -math.huge }", "rule.params.n: max -inf is below the smallest number"),
        ("integer_min_too_big", "n = { 3, min = 1e12 }", "rule.params.n: no integer lies between min 1000000000000 and max 2147483647"),
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

    // MARK: 3. The clock holds everywhere a script runs

    /// A pattern whose matching backtracks for ever inside string.find, where no hook runs.
    static let stuckCall = "string.find(string.rep('a', 40), string.rep('a?', 40) .. string.rep('a', 40))"
    static func stuckMessage(_ seconds: String) -> String {
        "time limit exceeded: a call has been stuck for more than \(seconds) s inside a library function"
    }

    /// A call stuck inside a C library function is stopped within its limit plus at most a second
    /// (plus the process's start), with its script line, wherever it runs: top-level code of a rule,
    /// an environment and an experiment, `setup`, `act` — through run, check and compare.
    func testStuckInsideALibraryFunctionEverywhere() throws {
        let rule = "return rule { act = function() return 1 end, learn = function() end }\n"
        let topRule = try write("top_rule.lua", "local found = \(Self.stuckCall)\n" + rule)
        let setupRule = try write("setup_rule.lua", "return rule {\n  setup = function(ctx)\n    ctx.found = \(Self.stuckCall)\n  end,\n  act = function() return 1 end, learn = function() end }\n")
        let topEnv = try write("top_env.lua", "local found = \(Self.stuckCall)\nreturn env { name = \"e\", observations = 1, actions = 2, reset = function() return { 0 } end, step = function() return { 0 }, 0, true, false end }\n")
        let stepEnv = try write("step_env.lua", "return env { name = \"e\", observations = 1, actions = 2, reset = function() return { 0 } end,\n  step = function()\n    local found = \(Self.stuckCall)\n    return { 0 }, 0, true, false end }\n")
        let topExperiment = try write("top_experiment.lua", "local found = \(Self.stuckCall)\nreturn experiment { name = \"x\", rules = { \"nrl\" }, envs = { \"cartpole\" }, seeds = { 1 } }\n")
        let cases: [([String], String)] = [
            (["run", topRule, "--env", "cartpole"], "\(topRule):1: "),
            (["check", topRule], "\(topRule):1: "),
            (["run", setupRule, "--env", "cartpole"], "\(setupRule):3: "),
            (["check", setupRule], "\(setupRule):3: "),
            (["run", "--rule", "nrl", "--env", topEnv], "\(topEnv):1: "),
            (["check", topEnv], "\(topEnv):1: "),
            (["check", stepEnv], "\(stepEnv):3: "),
            (["run", "--rule", "nrl", "--env", stepEnv], "\(stepEnv):3: "),
            (["check", topExperiment], "\(topExperiment):1: "),
            (["compare", topExperiment, "--store", dir.appendingPathComponent("top.sqlite").path], "\(topExperiment):1: "),
        ]
        for (arguments, location) in cases {
            let r = try nrlhost(arguments + ["--max-seconds=1"], timeout: 30)
            XCTAssertEqual(r.result.status, 1, "\(arguments): \(r.output)")
            XCTAssertTrue(r.result.stderr.contains(location + Self.stuckMessage("1.0")), "\(arguments): \(r.output)")
            XCTAssertLessThan(r.seconds, 1 + 1 + 2, "\(arguments): limit, a second, and the process's start")
        }
    }

    /// A huge string.rep at load hits the memory cap with its line; a load that loops over big copies
    /// stops on the clock — through run, check and compare.
    func testHugeStringRepAtLoad() throws {
        let rule = "return rule { act = function() return 1 end, learn = function() end }\n"
        let huge = try write("huge_rep.lua", "local s = string.rep('x', 1 << 30)\n" + rule)
        let loop = try write("rep_loop.lua", "local n = 0\nwhile true do n = n + #string.rep('x', 1 << 24) end\n" + rule)
        let experiment = try write("rep.lua", "return experiment { name = \"rep\", rules = { \"\(loop)\" }, envs = { \"cartpole\" }, seeds = { 1 } }\n")
        for command in [["run", huge, "--env", "cartpole"], ["check", huge]] {
            let r = try nrlhost(command + ["--max-memory=32"], timeout: 30)
            XCTAssertEqual(r.result.status, 1, r.output)
            XCTAssertTrue(r.result.stderr.contains("\(huge):1: memory limit exceeded: the script tried to hold more than 32 MB (loading the script)"), r.output)
        }
        for command in [["run", loop, "--env", "cartpole"], ["check", loop], ["compare", experiment, "--store", dir.appendingPathComponent("rep.sqlite").path]] {
            let r = try nrlhost(command + ["--max-seconds=1"], timeout: 30)
            XCTAssertEqual(r.result.status, 1, r.output)
            XCTAssertTrue(r.result.stderr.contains("\(loop):2: time limit exceeded: one call (loading the script) ran longer than 1.0 s"), r.output)
            XCTAssertLessThan(r.seconds, 1 + 1 + 2)
        }
    }

    /// A sweep whose worker is stuck in C: the stuck run is recorded as failed with the message, the
    /// finished runs are kept, and the process ends (exit 1) rather than hanging; running the same
    /// command again skips the finished run and retries the failed one (stopped the same way).
    func testStuckCompareWorker() throws {
        let stuck = try write("stuck_act.lua", "return rule {\n  act = function(ctx, obs)\n    return \(Self.stuckCall) and 1 or 2\n  end,\n  learn = function() end }\n")
        let experiment = try write("stuck.lua", """
        return experiment { name = "stuck", groups = {
          { name = "ok", rules = { "nrl" }, envs = { "cartpole" }, seeds = { 1 }, episodes = 2, hidden = 4 },
          { name = "stuck", rules = { "\(stuck)" }, envs = { "cartpole" }, seeds = { 1 }, episodes = 2, hidden = 4 } } }

        """)
        let store = dir.appendingPathComponent("stuck.sqlite").path
        let r = try nrlhost(["compare", experiment, "--store", store, "--jobs", "1", "--max-seconds=1"], timeout: 30)
        XCTAssertEqual(r.result.status, 1, r.output)
        XCTAssertTrue(r.result.stderr.contains("\(stuck):3: " + Self.stuckMessage("1.0")), r.output)
        XCTAssertTrue(r.result.stderr.contains("the sweep stops: stuck_act on cartpole 1x4 seed 1's call is stuck"), r.output)
        XCTAssertLessThan(r.seconds, 10)
        let again = try nrlhost(["compare", experiment, "--store", store, "--jobs", "1", "--max-seconds=1"], timeout: 30)
        XCTAssertEqual(again.result.status, 1, again.output)
        XCTAssertTrue(again.result.stdout.contains("1 already in"), again.output)
        XCTAssertTrue(again.result.stderr.contains("\(stuck):3: " + Self.stuckMessage("1.0")), again.output)
    }

    /// The grade parent reads the assignment file itself: a stuck top level ends it with the line
    /// (the assignment's own per-call limit, 5 s) instead of hanging; a stuck submission gets its verdict.
    func testStuckAssignmentAndSubmission() throws {
        let assignment = """
        return assignment { name = "a", env = "cartpole", episodes = 3, hidden = 4,
          seeds = { practice = { 1 }, grading = { 2 } }, limits = { seconds = 1 },
          scoring = { metric = "final", baseline = 0, pass = 10, full = 20 } }

        """
        let stuckAssignment = try write("stuck_assignment.lua", "local found = \(Self.stuckCall)\n" + assignment)
        let goodAssignment = try write("assignment.lua", assignment)
        let submission = try write("stuck_submission.lua", "local found = \(Self.stuckCall)\nreturn rule { act = function() return 1 end, learn = function() end }\n")
        for command in ["grade", "try"] {
            let r = try nrlhost([command, stuckAssignment, submission], timeout: 30)
            XCTAssertEqual(r.result.status, 1, r.output)
            XCTAssertTrue(r.result.stderr.contains("\(stuckAssignment):1: " + Self.stuckMessage("5.0")), r.output)
            XCTAssertLessThan(r.seconds, 5 + 1 + 2)
        }
        let json = dir.appendingPathComponent("grades.json").path
        let g = try nrlhost(["grade", goodAssignment, submission, "--json", json], timeout: 30)
        XCTAssertEqual(g.result.status, 0, g.output)
        let text = try String(contentsOf: URL(fileURLWithPath: json), encoding: .utf8)
        XCTAssertTrue(text.contains("stuck inside a library function"), text)
        XCTAssertTrue(text.contains("\"location\" : \"\(submission):1\"") || text.contains("\"location\":\"\(submission):1\""), text)
        XCTAssertLessThan(g.seconds, 1 + 1 + 3)
    }

    /// --max-seconds 2 stops a Lua loop in under 3 s, even one whose every instruction is a slow
    /// library call (copying 16 MB): the clock is not only read every 1000 instructions.
    func testMaxSecondsStopsALoopOfSlowCallsOnTime() throws {
        let loops = [
            ("plain", "while true do end"),
            ("slow_calls", "while true do local s = string.rep('x', 1 << 24) end"),
        ]
        for (name, loop) in loops {
            let rule = try write("\(name).lua", "return rule {\n  act = function(ctx, obs)\n    \(loop)\n  end,\n  learn = function() end }\n")
            let r = try nrlhost(["run", rule, "--env", "cartpole", "--max-instructions=0", "--max-seconds=2"], timeout: 30)
            XCTAssertEqual(r.result.status, 1, "\(name): \(r.output)")
            XCTAssertTrue(r.result.stderr.contains("\(rule):3: time limit exceeded: one call (act) ran longer than 2.0 s"), "\(name): \(r.output)")
            XCTAssertLessThan(r.seconds, 3, "\(name)")
        }
    }

    /// A --watch reload whose top level is stuck in C cannot be abandoned (the call never returns):
    /// the run ends within the limit plus a second of the edit, with the line, and run.json says why.
    func testStuckWatchReloadEndsTheRun() throws {
        let env = try write("slow.lua", WatchTests.slowEnvironment)
        let script = try write("live.lua", "return rule { act = function() return 1 end, learn = function() end }\n")
        let out = dir.appendingPathComponent("out")
        let (process, stdout, stderr) = try NRLHostBinary.start(["run", script, "--env", env, "--episodes", "100000", "--watch",
                                                                 "--out", out.path, "--max-seconds=1"])
        defer { if process.isRunning { process.terminate() } }
        usleep(500_000)
        let edited = Date()
        let temporary = dir.appendingPathComponent(".live.lua.swp")
        try "local found = \(Self.stuckCall)\nreturn rule { act = function() return 1 end, learn = function() end }\n"
            .write(to: temporary, atomically: false, encoding: .utf8)
        _ = rename(temporary.path, script)
        let result = NRLHostBinary.finish(process, stdout, stderr)
        XCTAssertEqual(process.terminationReason, .exit)
        XCTAssertEqual(result.status, 1, result.output)
        XCTAssertTrue(result.stderr.contains("\(script):1: " + Self.stuckMessage("1.0")), result.output)
        XCTAssertLessThan(Date().timeIntervalSince(edited), 1 + 1 + 2)
        let runJSON = try String(contentsOf: out.appendingPathComponent("run.json"), encoding: .utf8)
        XCTAssertTrue(runJSON.contains("\"failed\""), runJSON)
    }
}
