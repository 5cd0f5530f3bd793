import Foundation
import TestSupport
import XCTest

/// `nrlhost grade` and `nrlhost try` as an instructor and a student use them: the sample assignments
/// (solutions pass, starters fail), the JSON for a learning-management system, and a batch of hostile
/// submissions that must each get their verdict without hanging or crashing the grader.
final class GradeTests: XCTestCase {
    var dir: URL!

    override func setUp() { dir = temporaryFolder() }
    override func tearDown() { try? FileManager.default.removeItem(at: dir) }

    var assignments: URL { scriptsFolder.appendingPathComponent("assignments") }

    func write(_ name: String, _ text: String) throws -> String { try writeScratchFile(name, text, in: dir) }

    /// The JSON file as an array of objects.
    func objects(_ path: String) throws -> [[String: Any]] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [[String: Any]], "an array of objects")
    }

    static let resultKeys: Set<String> = [
        "submission", "assignment", "seeds", "status", "score", "passed", "metric", "performance", "final_performance",
        "episodes", "seconds", "peak_memory_mb", "limits", "environments", "runs", "reason", "location", "message",
    ]

    /// Every sample: the instructor solution passes and the starter fails, on the private seeds.
    func testSolutionsPassAndStartersFail() throws {
        try XCTSkipIf(isDebugBuild, "the sample assignments' wall-clock limits assume a release build (swift test -c release)")
        for name in ["np-reaching", "nrl-acrobot"] {
            let assignment = assignments.appendingPathComponent("\(name).lua").path
            let solution = assignments.appendingPathComponent("solutions/\(name).lua").path
            let starter = assignments.appendingPathComponent("\(name)/starter.lua").path
            let json = dir.appendingPathComponent("\(name).json").path
            let r = try NRLHostBinary.run(["grade", assignment, solution, starter, "--jobs", "2", "--json", json])
            XCTAssertEqual(r.status, 0, r.output)
            let results = try objects(json)
            XCTAssertEqual(results.count, 2)
            XCTAssertEqual(results[0]["submission"] as? String, solution)
            XCTAssertEqual(results[0]["status"] as? String, "passed", "\(name) solution: \(results[0])")
            XCTAssertEqual(results[0]["passed"] as? Bool, true)
            XCTAssertGreaterThan(results[0]["score"] as? Double ?? 0, 50)
            XCTAssertEqual(results[1]["status"] as? String, "failed", "\(name) starter: \(results[1])")
            XCTAssertTrue((results[1]["reason"] as? String ?? "").contains("below the pass mark"), "\(results[1])")
            for result in results {
                XCTAssertEqual(Set(result.keys), Self.resultKeys)
                XCTAssertEqual((result["runs"] as? [[String: Any]])?.count, 3, "three grading seeds")
                XCTAssertEqual(result["seeds"] as? String, "grading")
            }
            XCTAssertTrue(r.stdout.contains("passed"), r.stdout)
            XCTAssertTrue(r.stdout.contains("2 graded"), r.stdout)
        }
    }

    /// `try` runs the practice seeds with the same limits, shows a learning curve, and never names a
    /// grading seed.
    func testTryShowsPracticeSeedsOnly() throws {
        let assignment = assignments.appendingPathComponent("np-reaching.lua").path
        let starter = assignments.appendingPathComponent("np-reaching/starter.lua").path
        let r = try NRLHostBinary.run(["try", assignment, starter])
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertTrue(r.stdout.contains("2 practice seeds (seeds 1, 2)"), r.stdout)
        XCTAssertTrue(r.stdout.contains("learning curve"), r.stdout)
        XCTAssertTrue(r.stdout.contains("failed"), r.stdout)
        XCTAssertTrue(r.stdout.contains("below the pass mark"), r.stdout)
        let text = try String(contentsOf: URL(fileURLWithPath: assignment), encoding: .utf8)
        let grading = try XCTUnwrap(text.range(of: #"grading = \{[^}]*\}"#, options: .regularExpression).map { String(text[$0]) })
        let seeds = grading.split(whereSeparator: { !$0.isNumber }).map(String.init)
        XCTAssertEqual(seeds.count, 3)
        for seed in seeds { XCTAssertFalse(r.output.contains(seed), "grading seed \(seed) revealed:\n\(r.output)") }

        // A broken submission: exit 1, and the reason with its line.
        let broken = try write("broken.lua", "return rule {\n  act = function(ctx, obs)\n    return ctx.missing.field\n  end,\n  learn = function() end }\n")
        let b = try NRLHostBinary.run(["try", assignment, broken])
        XCTAssertEqual(b.status, 1, b.output)
        XCTAssertTrue(b.stdout.contains("\(broken):3: attempt to index a nil value (field 'missing')"), b.stdout)
    }

    /// A mistake in the assignment stops the grader (exit 1, file:line), before any submission runs.
    func testABadAssignmentIsReportedWithItsLine() throws {
        let assignment = try write("bad.lua", """
            local x = 1
            return assignment {
              name = "bad", env = "cartpole", episodes = 10,
              seeds = { practice = { 1, 2 }, grading = { 2, 3 } },
              scoring = { metric = "final", baseline = 0, pass = 100, full = 200 },
            }

            """)
        let submission = try write("s.lua", "return rule { act = function() return 1 end, learn = function() end }\n")
        let r = try NRLHostBinary.run(["grade", assignment, submission])
        XCTAssertEqual(r.status, 1, r.output)
        XCTAssertTrue(r.stderr.contains("\(assignment):2: seed 2 is both a practice and a grading seed"), r.stderr)
        let c = try NRLHostBinary.run(["check", assignments.appendingPathComponent("nrl-acrobot.lua").path])
        XCTAssertEqual(c.status, 0, c.output)
        XCTAssertTrue(c.stdout.contains("declares assignment 'nrl-acrobot'"), c.stdout)
    }

    // MARK: The adversarial suite

    struct Hostile {
        let name: String
        let source: String
        /// "error", or "failed" for submissions that run to the end without learning.
        var status = "error"
        /// Fragments of the reason; FILE stands for the submission's path.
        let expect: [String]
    }

    /// A tiny assignment: 2 grading seeds × 20 CartPole episodes, tight limits, a pass mark nobody reaches
    /// in 20 episodes (so a submission that runs to the end "fails").
    static let hostileAssignment = """
        return assignment {
          name = "hostile", title = "the adversarial suite",
          env = "cartpole", hidden = 8, episodes = 20,
          seeds = { practice = { 1 }, grading = { 424242, 434343 } },
          limits = { instructions = 20000000, memory_mb = 64, seconds = 3 },
          scoring = { metric = "final", baseline = 0, pass = 400, full = 500 },
          locality = "local",
        }

        """

    static func rule(act: String, setup: String = "", learn: String = "", prefix: String = "") -> String {
        "\(prefix)return rule {\n  setup = function(ctx)\(setup) end,\n  act = function(ctx, obs)\n    \(act)\n  end,\n  learn = function(ctx, rpe)\(learn) end,\n}\n"
    }

    static let hostile: [Hostile] = [
        // Runaway code: the instruction budget, the memory cap, the stack.
        Hostile(name: "infinite_loop", source: rule(act: "while true do end"), expect: ["FILE:4:", "instruction budget exceeded"]),
        Hostile(name: "loop_inside_pcall", source: rule(act: "while true do pcall(function() while true do end end) end"),
                expect: ["FILE:4:", "instruction budget exceeded"]),
        Hostile(name: "pcall_swallows_the_stop", source: rule(act: "pcall(function() while true do end end)\n    return 1"),
                expect: ["FILE:4:", "instruction budget exceeded"]),
        Hostile(name: "loop_in_sort_comparator", source: rule(act: "table.sort({ 3, 2, 1 }, function(a, b) while true do end end)"),
                expect: ["FILE:4:", "instruction budget exceeded"]),
        Hostile(name: "loop_at_load_time", source: "while true do end\n" + rule(act: "return 1"),
                expect: ["FILE:1:", "instruction budget exceeded", "loading the script"]),
        Hostile(name: "memory_bomb", source: rule(act: "local t = {}\n    for i = 1, 1e9 do t[i] = { i } end"),
                expect: ["FILE:5:", "memory limit exceeded", "64 MB"]),
        Hostile(name: "string_rep_bomb", source: rule(act: "local s = string.rep('x', 1 << 30)\n    return 1"),
                expect: ["FILE:4:", "memory limit exceeded"]),
        Hostile(name: "string_doubling", source: rule(act: "local s = 'x'\n    while true do s = s .. s end"),
                expect: ["FILE:5:", "memory limit exceeded"]),
        Hostile(name: "host_object_bomb", source: rule(act: "local t = {}\n    for i = 1, 1e6 do t[i] = nrl.vector(100000) end"),
                expect: ["FILE:5:", "memory limit exceeded"]),
        Hostile(name: "deep_recursion", source: "local function f(n) return f(n + 1) + 1 end\n" + rule(act: "return f(1)"),
                expect: ["FILE:1:", "stack overflow"]),
        // Coroutines that never return, or never end.
        Hostile(name: "coroutine_never_returns", source: rule(act: "local co = coroutine.wrap(function() while true do end end)\n    co()"),
                expect: ["FILE:4:", "instruction budget exceeded"]),
        Hostile(name: "coroutine_yields_forever",
                source: rule(act: "local co = coroutine.wrap(function() while true do coroutine.yield() end end)\n    while true do co() end"),
                expect: ["FILE:", "instruction budget exceeded"]),
        Hostile(name: "coroutine_bomb", source: rule(act: "local t = {}\n    for i = 1, 1e9 do t[i] = coroutine.create(print) end"),
                expect: ["FILE:5:", "memory limit exceeded"]),
        // Reaching outside: files, programs, the host.
        Hostile(name: "os_execute", source: rule(act: "os.execute('touch /tmp/nrlhost-graded-pwned')"), expect: ["FILE:4:", "global 'os'"]),
        Hostile(name: "os_clock", source: rule(act: "return os.clock() > 0 and 1 or 2"), expect: ["FILE:4:", "global 'os'"]),
        Hostile(name: "io_reads_the_assignment", source: rule(act: "local f = io.open('ASSIGNMENT')\n    return 1"),
                expect: ["FILE:4:", "global 'io'"]),
        Hostile(name: "require_a_module", source: "local socket = require('socket')\n" + rule(act: "return 1"),
                expect: ["FILE:1:", "global 'require'"]),
        Hostile(name: "dofile_another_submission", source: rule(act: "return dofile('OTHER')"), expect: ["FILE:4:", "global 'dofile'"]),
        Hostile(name: "load_a_file_name",
                source: rule(act: "local f, err = load('ASSIGNMENT')\n    if not f then error('no luck: ' .. err) end\n    return f()"),
                expect: ["FILE:5:", "no luck", "unexpected symbol"]),
        Hostile(name: "debug_library", source: rule(act: "debug.sethook()"), expect: ["FILE:4:", "global 'debug'"]),
        Hostile(name: "binary_chunk", source: rule(act: "local f = assert(load('\\27Lua', 'x', 'b'))"),
                expect: ["FILE:4:", "binary chunks are not allowed"]),
        Hostile(name: "string_dump", source: rule(act: "return string.dump(print)"), expect: ["FILE:4:", "field 'dump'"]),
        Hostile(name: "randomseed", source: rule(act: "math.randomseed(1)"), expect: ["FILE:4:", "math.randomseed is not available"]),
        // Host objects' metatables.
        Hostile(name: "setmetatable_on_host_object", source: rule(act: "setmetatable(ctx.net, {})"),
                expect: ["FILE:4:", "table expected, got matrices"]),
        Hostile(name: "rawset_host_metatable", source: rule(act: "rawset(getmetatable(ctx.net), '__index', {})"),
                expect: ["FILE:4:", "table expected, got string"]),
        Hostile(name: "string_metatable", source: rule(act: "getmetatable('').__index = { rep = print }"),
                expect: ["FILE:4:", "attempt to index a string value"]),
        Hostile(name: "method_replacement", source: rule(act: "ctx.net.forward = print"),
                expect: ["FILE:4:", "attempt to index a matrices value"]),
        // The collector.
        Hostile(name: "gc_finalizer", source: rule(act: "setmetatable({}, { __gc = function() while true do end end })"),
                expect: ["FILE:4:", "__gc metamethods are not allowed"]),
        Hostile(name: "collectgarbage_stop", source: rule(act: "collectgarbage('stop')"), expect: ["FILE:4:", "collectgarbage('stop') is not allowed"]),
        Hostile(name: "collectgarbage_tuning", source: rule(act: "collectgarbage('generational')"),
                expect: ["FILE:4:", "collectgarbage('generational') is not allowed"]),
        // Noise: it runs to the end, does not learn, and its output goes nowhere.
        Hostile(name: "huge_print", source: rule(act: "print(string.rep('spam ', 1000))\n    return 1"), status: "failed",
                expect: ["below the pass mark"]),
        // Wrong answers.
        Hostile(name: "action_out_of_range", source: rule(act: "return 3"), expect: ["FILE:3:", "act must return an action, an integer in 1..2; it returned 3"]),
        Hostile(name: "action_nan", source: rule(act: "return 0/0"), expect: ["FILE:3:", "act must return an action", "nan"]),
        Hostile(name: "action_string", source: rule(act: "return 'left'"), expect: ["FILE:3:", "it returned 'left'"]),
        Hostile(name: "action_missing", source: rule(act: "local a = 1"), expect: ["FILE:3:", "it returned nil"]),
        Hostile(name: "nan_weights", source: rule(act: "return 1", learn: " local m = ctx.net:zeros() m:fill_normal(1e30) ctx.net:add(m, 1e30)"),
                expect: ["weights became NaN or infinite in episode 1"]),
        Hostile(name: "error_object_table", source: rule(act: "error({ 'not a string' })"), expect: ["error object is a table value"]),
        Hostile(name: "syntax_error", source: "return rule {\n  act = function(ctx, obs)\n    return 1 +\n  end,\n  learn = function() end }\n",
                expect: ["FILE:4:", "unexpected symbol near 'end'"]),
        Hostile(name: "not_a_rule", source: "return env { observations = 1, actions = 1, reset = print, step = print }\n",
                expect: ["FILE:1:", "declares env { … }, but rule { … } is needed here"]),
        // The forbidden primitive, directly and through an alias.
        Hostile(name: "forbidden_gradient",
                source: rule(act: "ctx.net:forward(obs, p)\n    g:add_gradient(p, 1)\n    return 1", setup: " p, g = ctx.net:pass(), ctx.net:zeros()"),
                expect: ["FILE:5:", "add_gradient is not allowed in this assignment (locality = \"local\": exact gradients are forbidden)"]),
        Hostile(name: "forbidden_gradient_alias",
                source: rule(act: "local backprop = ctx.net.add_gradient\n    ctx.net:forward(obs, p)\n    backprop(ctx.net, p, 1)\n    return 1",
                             setup: " p = ctx.net:pass()"),
                expect: ["FILE:6:", "add_gradient is not allowed"]),
        // Time: a pattern no instruction budget can interrupt (only the wall clock and the worker's
        // watcher stop it), and a rule whose every call is legal but whose whole run is too slow.
        Hostile(name: "catastrophic_pattern", source: rule(act: "return string.find(string.rep('a', 40), string.rep('a?', 40) .. string.rep('a', 40)) and 1"),
                expect: ["FILE:4:", "time limit exceeded", "library function"]),
        Hostile(name: "too_slow_overall", source: rule(act: "local x = 0\n    for i = 1, 5000000 do x = x + i end\n    return 1"),
                expect: ["time limit exceeded: the submission used more than 3 s"]),
    ]

    func testHostileSubmissionsGetTheirVerdictsAndTheBatchFinishes() throws {
        XCTAssertGreaterThanOrEqual(Self.hostile.count, 25)
        let assignment = try write("hostile-assignment.lua", Self.hostileAssignment)
        let other = try write("honest.lua", Self.rule(act: "return 1"))
        var paths: [String] = []
        for h in Self.hostile {
            let path = dir.appendingPathComponent("\(h.name).lua").path
            let source = h.source.replacingOccurrences(of: "ASSIGNMENT", with: assignment).replacingOccurrences(of: "OTHER", with: other)
            try source.write(toFile: path, atomically: true, encoding: .utf8)
            paths.append(path)
        }
        // A precompiled chunk and a missing file.
        let binary = dir.appendingPathComponent("binary_file.lua").path
        try Data([0x1B, 0x4C, 0x75, 0x61, 0x54, 0x00]).write(to: URL(fileURLWithPath: binary))
        let missing = dir.appendingPathComponent("missing.lua").path
        let json = dir.appendingPathComponent("hostile.json").path

        let started = Date()
        let r = try NRLHostBinary.run(["grade", assignment] + paths + [binary, missing, "--jobs", "2", "--json", json])
        let seconds = Date().timeIntervalSince(started)
        XCTAssertEqual(r.status, 0, r.output)
        print("graded \(paths.count + 2) hostile submissions in \(String(format: "%.1f", seconds)) s")

        let results = try objects(json)
        XCTAssertEqual(results.map { $0["submission"] as? String }, (paths + [binary, missing]).map { $0 }, "every submission, in order")
        for (h, result) in zip(Self.hostile, results) {
            XCTAssertEqual(Set(result.keys), Self.resultKeys, h.name)
            XCTAssertEqual(result["status"] as? String, h.status, "\(h.name): \(result["reason"] ?? "-")")
            let reason = result["reason"] as? String ?? ""
            for fragment in h.expect {
                let wanted = fragment.replacingOccurrences(of: "FILE", with: dir.appendingPathComponent("\(h.name).lua").path)
                XCTAssertTrue(reason.contains(wanted), "\(h.name): expected «\(wanted)» in «\(reason)»")
            }
            if h.status == "error" { XCTAssertEqual(result["score"] as? Double, 0, h.name) }
            XCTAssertFalse(reason.contains("424242") || reason.contains("434343"), "\(h.name) reveals a grading seed: \(reason)")
        }
        let binaryResult = results[paths.count], missingResult = results[paths.count + 1]
        XCTAssertEqual(binaryResult["status"] as? String, "error")
        XCTAssertTrue((binaryResult["reason"] as? String ?? "").contains("\(binary): binary (precompiled) chunks are not allowed"), "\(binaryResult)")
        XCTAssertEqual(missingResult["status"] as? String, "error")
        XCTAssertTrue((missingResult["reason"] as? String ?? "").contains("cannot read \(missing)"), "\(missingResult)")

        // The grader's own output: a row per submission, the summary, and none of the spam.
        XCTAssertTrue(r.stdout.contains("\(paths.count + 2) graded"), r.stdout)
        XCTAssertTrue(r.stdout.contains("1 failed, \(paths.count + 1) errors"), r.stdout)
        XCTAssertFalse(r.output.contains("spam spam"), "a submission's print reaches the grader's output")
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/tmp/nrlhost-graded-pwned"))
        XCTAssertLessThan(seconds, 40, "the batch must not wait for hung submissions")
    }
}

#if DEBUG
private let isDebugBuild = true
#else
private let isDebugBuild = false
#endif
