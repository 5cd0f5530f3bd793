import Foundation
import TestSupport
import XCTest

/// Broken and hostile rule scripts: each ends with a message naming the script's file and line and
/// what was expected, a non-zero exit, and the episodes finished before it kept on disk.
final class BrokenScriptTests: XCTestCase {
    struct Case {
        let name: String
        let source: String
        var arguments: [String] = []
        /// Fragments the error output must contain; "FILE:n" stands for the script's path and line n.
        let expect: [String]
        var exitCode: Int32 = 1
        /// Episodes that must be in episodes.csv.
        var savedEpisodes = 0
    }

    static let cases: [Case] = [
        Case(name: "syntax", source: "return rule {\n  act = function(ctx, obs)\n    return 1 +\n  end,\n  learn = function() end }\n",
             expect: ["FILE:4:", "unexpected symbol near 'end'"]),
        Case(name: "nil_index", source: "return rule {\n  act = function(ctx, obs)\n    return ctx.missing.field\n  end,\n  learn = function() end }\n",
             expect: ["FILE:3:", "attempt to index a nil value (field 'missing')"]),
        Case(name: "error_in_learn", source: "return rule {\n  act = function(ctx, obs) return 1 end,\n  learn = function(ctx, rpe)\n    if ctx.episode == 5 then error('broken on purpose') end\n  end }\n",
             expect: ["FILE:4:", "broken on purpose", "episodes 1–4 are saved"], savedEpisodes: 4),
        Case(name: "error_in_setup", source: "return rule {\n  setup = function(ctx)\n    ctx.p = ctx.net:pass(17)\n    local x = nil + 1\n  end,\n  act = function(ctx, obs) return 1 end, learn = function() end }\n",
             expect: ["FILE:4:", "attempt to perform arithmetic on a nil value"]),
        Case(name: "wrong_return_type", source: "return rule {\n  act = function(ctx, obs)\n    return 'left'\n  end,\n  learn = function() end }\n",
             expect: ["FILE:2:", "act must return an action, an integer in 1..2; it returned 'left'"]),
        Case(name: "action_out_of_range", source: "return rule {\n  act = function(ctx, obs)\n    if ctx.episode < 3 then return 1 end\n    return 3\n  end,\n  learn = function() end }\n",
             expect: ["FILE:2:", "it returned 3"], savedEpisodes: 2),
        Case(name: "bad_argument", source: "return rule {\n  setup = function(ctx) ctx.p = ctx.net:pass() end,\n  act = function(ctx, obs)\n    ctx.net:forward(nil, ctx.p)\n    return 1\n  end,\n  learn = function() end }\n",
             expect: ["FILE:4:", "bad argument #1 to 'forward' (vector or table expected, got nil)"]),
        Case(name: "bad_object", source: "return rule {\n  act = function(ctx, obs)\n    ctx.net:forward(obs, ctx.net)\n    return 1\n  end,\n  learn = function() end }\n",
             expect: ["FILE:3:", "bad argument #2 to 'forward' (pass expected, got matrices)"]),
        Case(name: "infinite_loop", source: "return rule {\n  act = function(ctx, obs)\n    while true do end\n  end,\n  learn = function() end }\n",
             arguments: ["--max-instructions", "5000000"], expect: ["FILE:3:", "instruction budget exceeded", "--max-instructions"]),
        Case(name: "loop_inside_pcall", source: "return rule {\n  act = function(ctx, obs)\n    while true do pcall(function() while true do end end) end\n  end,\n  learn = function() end }\n",
             arguments: ["--max-instructions", "5000000"], expect: ["FILE:3:", "instruction budget exceeded"]),
        Case(name: "coroutine_loop", source: "return rule {\n  act = function(ctx, obs)\n    local co = coroutine.wrap(function() while true do end end)\n    co()\n  end,\n  learn = function() end }\n",
             arguments: ["--max-instructions", "5000000"], expect: ["FILE:3:", "instruction budget exceeded"]),
        Case(name: "slow_loop", source: "return rule {\n  act = function(ctx, obs)\n    local x = 0\n    while true do x = x + math.sin(x) end\n  end,\n  learn = function() end }\n",
             arguments: ["--max-instructions", "0", "--max-seconds", "0.3"], expect: ["FILE:4:", "time limit exceeded", "--max-seconds"]),
        Case(name: "catastrophic_pattern", source: "return rule {\n  act = function(ctx, obs)\n    local s = string.rep('a', 40)\n    return string.find(s, string.rep('a?', 40) .. string.rep('a', 40)) and 1\n  end,\n  learn = function() end }\n",
             arguments: ["--max-seconds", "1"], expect: ["FILE:4:", "stuck for more than 1.0 s inside a library function"]),
        Case(name: "memory_bomb", source: "return rule {\n  act = function(ctx, obs)\n    local t = {}\n    for i = 1, 1e9 do t[i] = { i } end\n  end,\n  learn = function() end }\n",
             arguments: ["--max-memory", "32"], expect: ["FILE:4:", "memory limit exceeded", "32 MB"]),
        Case(name: "string_rep_bomb_in_pcall", source: "return rule {\n  act = function(ctx, obs)\n    local ok = pcall(string.rep, 'x', 1 << 30)\n    return 1\n  end,\n  learn = function() end }\n",
             arguments: ["--max-memory", "32"], expect: ["FILE:3:", "memory limit exceeded"]),
        Case(name: "deep_recursion", source: "local function f(n) return f(n + 1) + 1 end\nreturn rule {\n  act = function(ctx, obs) return f(1) end,\n  learn = function() end }\n",
             expect: ["FILE:1:", "stack overflow"]),
        Case(name: "os_execute", source: "return rule {\n  act = function(ctx, obs)\n    os.execute('touch /tmp/nrlhost-pwned')\n  end,\n  learn = function() end }\n",
             expect: ["FILE:3:", "attempt to index a nil value (global 'os')"]),
        Case(name: "io_open", source: "return rule {\n  setup = function(ctx)\n    io.open('/etc/passwd')\n  end,\n  act = function() return 1 end, learn = function() end }\n",
             expect: ["FILE:3:", "global 'io'"]),
        Case(name: "require", source: "local socket = require('socket')\nreturn rule { act = function() return 1 end, learn = function() end }\n",
             expect: ["FILE:1:", "global 'require'"]),
        Case(name: "binary_load", source: "local f, err = load('\\27Lua', 'x', 'b')\nassert(f, err)\nreturn rule { act = function() return 1 end, learn = function() end }\n",
             expect: ["FILE:2:", "binary chunks are not allowed"]),
        Case(name: "gc_finalizer", source: "setmetatable({}, { __gc = function() while true do end end })\nreturn rule { act = function() return 1 end, learn = function() end }\n",
             expect: ["FILE:1:", "__gc metamethods are not allowed"]),
        Case(name: "metatable_tampering", source: "return rule {\n  act = function(ctx, obs)\n    setmetatable(ctx.net, {})\n  end,\n  learn = function() end }\n",
             expect: ["FILE:3:", "bad argument #1 to 'setmetatable' (table expected, got matrices)"]),
        Case(name: "stop_the_collector", source: "collectgarbage('stop')\nreturn rule { act = function() return 1 end, learn = function() end }\n",
             expect: ["FILE:1:", "collectgarbage('stop') is not allowed"]),
        Case(name: "missing_act", source: "return rule {\n  name = 'lazy',\n  learn = function() end,\n}\n",
             expect: ["FILE:1:", "rule needs act = function(ctx, obs) returning an action"]),
        Case(name: "not_a_rule", source: "return 42\n", expect: ["FILE:", "must end with `return rule { … }`", "it returned 42"]),
        Case(name: "bad_params", source: "return rule {\n  params = { lr = {} },\n  act = function() return 1 end, learn = function() end }\n",
             expect: ["FILE:1:", "params.lr must be a number, a string or a boolean"]),
        Case(name: "nan_weights", source: "return rule {\n  setup = function(ctx) ctx.t = ctx.net:zeros() ctx.p = ctx.net:pass() end,\n  act = function(ctx, obs) ctx.net:forward(obs, ctx.p) ctx.t:add_gradient(ctx.p, 1) return 1 end,\n  learn = function(ctx, rpe) ctx.net:add(ctx.t, 1e38) end }\n",
             expect: ["NaN or infinite in episode 1", "episode 1 is saved"], savedEpisodes: 1),
        Case(name: "unknown_setting", source: "return rule { params = { lr = 0.1 }, act = function() return 1 end, learn = function() end }\n",
             arguments: ["--set", "sigma=1"], expect: ["has no parameter 'sigma'; its parameters: lr"], exitCode: 64),
    ]

    func testEveryBrokenScriptFailsClearly() throws {
        XCTAssertGreaterThanOrEqual(Self.cases.count, 25)
        let dir = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        for c in Self.cases {
            let script = dir.appendingPathComponent("\(c.name).lua")
            try c.source.write(to: script, atomically: true, encoding: .utf8)
            let out = dir.appendingPathComponent("out-\(c.name)")
            let r = try NRLHostBinary.run(["run", script.path, "--env", "cartpole", "--episodes", "10", "--out", out.path] + c.arguments)
            XCTAssertEqual(r.status, c.exitCode, "\(c.name): \(r.output)")
            for fragment in c.expect {
                let wanted = fragment.replacingOccurrences(of: "FILE", with: script.path)
                XCTAssertTrue(r.stderr.contains(wanted), "\(c.name): expected «\(wanted)» in\n\(r.stderr)")
            }
            let csv = out.appendingPathComponent("episodes.csv")
            if c.savedEpisodes > 0 {
                let lines = try String(contentsOf: csv, encoding: .utf8).split(separator: "\n")
                XCTAssertEqual(lines.count, c.savedEpisodes + 1, "\(c.name): episodes kept on disk")
                let record = try String(contentsOf: out.appendingPathComponent("run.json"), encoding: .utf8)
                XCTAssertTrue(record.contains("\"failed\""), c.name)
            }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/tmp/nrlhost-pwned"))
    }

    /// A precompiled chunk is refused before it runs.
    func testBinaryChunksAreRefused() throws {
        let dir = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let script = dir.appendingPathComponent("compiled.lua")
        try Data([0x1B, 0x4C, 0x75, 0x61, 0x54, 0x00]).write(to: script)
        let r = try NRLHostBinary.run(["run", script.path, "--env", "cartpole"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("\(script.path): binary (precompiled) chunks are not allowed"), r.stderr)
    }

    /// `nrlhost check` reports the same problems without a run, and passes a good script.
    func testCheckReportsProblemsWithFileAndLine() throws {
        let dir = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let script = dir.appendingPathComponent("returns_string.lua")
        try "return rule {\n  act = function(ctx, obs)\n    return 'left'\n  end,\n  learn = function() end }\n".write(to: script, atomically: true, encoding: .utf8)
        let bad = try NRLHostBinary.run(["check", script.path])
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.contains("\(script.path):2: act must return an action"), bad.stderr)
        let good = try NRLHostBinary.run(["check", scriptsFolder.appendingPathComponent("nrl.lua").path])
        XCTAssertEqual(good.status, 0, good.output)
        XCTAssertTrue(good.stdout.contains("declares rule 'nrl'"), good.stdout)
        XCTAssertTrue(good.stdout.contains("ran 2 dry episodes on cartpole"), good.stdout)
    }
}

/// The repository's scripts/ folder.
var scriptsFolder: URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("scripts")
}
