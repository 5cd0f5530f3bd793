import Foundation
import TestSupport
import XCTest

/// Hostile scripts against the host objects, through the built binary: each must end with exit code 1
/// (never a signal) and a message naming the script's file and line.
final class HostileObjectTests: XCTestCase {
    struct Case {
        let name: String
        /// One line of Lua, run as line 9 of the rule's `act` (`obs` and `ctx` in scope); `collected(make)`
        /// returns the object `make()` made, reached again after the collector finalized it.
        let access: String
        var expect = "a collected vector object was used"
        var command = "run"
    }

    /// `collected(make)`: the object is only a weak table's key when the collector runs, so its `__gc`
    /// runs; Lua keeps finalized keys until the next cycle, and `next` hands the object back.
    static func script(_ access: String) -> String {
        """
        local function collected(make)
          local t = setmetatable({}, { __mode = "k" })
          t[make()] = true
          collectgarbage()
          return next(t)
        end
        return rule {
          act = function(ctx, obs)
            \(access)
            return 1
          end,
          learn = function() end }

        """
    }

    static let vector = "collected(function() return nrl.vector(4, 1) end)"
    static let matrices = "collected(function() return ctx.net:zeros() end)"
    static let pass = "collected(function() return ctx.net:pass() end)"
    /// A view of a pass that was collected with it: the view's storage belongs to the pass.
    static let view = "collected(function() local p = ctx.net:pass() ctx.net:forward(obs, p) return p:probs() end)"

    static let useAfterFree: [Case] = [
        Case(name: "vector_read", access: "local x = \(vector)[1]"),
        Case(name: "vector_write", access: "\(vector)[1] = 7"),
        Case(name: "vector_length", access: "local n = #\(vector)"),
        Case(name: "vector_tostring", access: "local s = tostring(\(vector))"),
        Case(name: "vector_method_index", access: "local f = \(vector).sum"),
        Case(name: "vector_method", access: "local v = \(vector) local x = nrl.vector(4).sum(v)"),
        Case(name: "vector_argument", access: "nrl.vector(4):add(\(vector))"),
        Case(name: "vector_observation", access: "ctx.net:forward(\(vector), ctx.net:pass())"),
        Case(name: "big_vector_fill", access: "local v = collected(function() return nrl.vector(1000000) end) nrl.vector(1000000):set(v)"),
        Case(name: "view_read", access: "local x = \(view)[1]"),
        Case(name: "view_length", access: "local n = #\(view)"),
        Case(name: "view_method", access: "local x = nrl.vector(2):dot(\(view))"),
        Case(name: "matrices_index", access: "local m = \(matrices) local f = m.zero f(m)", expect: "a collected matrices object was used"),
        Case(name: "matrices_tostring", access: "local s = tostring(\(matrices))", expect: "a collected matrices object was used"),
        Case(name: "matrices_method", access: "local m = \(matrices) ctx.net.add(m, ctx.net, 1)", expect: "a collected matrices object was used"),
        Case(name: "matrices_argument", access: "ctx.net:set(\(matrices))", expect: "a collected matrices object was used"),
        Case(name: "matrices_put", access: "local m = \(matrices) ctx.net.put(m, 1, 1, 1, 5)", expect: "a collected matrices object was used"),
        Case(name: "pass_method", access: "local p = \(pass) ctx.net.forward(ctx.net, obs, p)", expect: "a collected pass object was used"),
        Case(name: "pass_view", access: "local p = \(pass) local probs = ctx.net:pass().probs local v = probs(p)", expect: "a collected pass object was used"),
        Case(name: "pass_sample", access: "local p = \(pass) local sample = ctx.net:pass().sample local a = sample(p)", expect: "a collected pass object was used"),
        // An ephemeron: the value is reachable only through its finalized key, so it is finalized too.
        Case(name: "ephemeron_value", access: "local t = setmetatable({}, { __mode = 'k' }) t[nrl.vector(1)] = ctx.net:zeros() collectgarbage() local _, m = next(t) m:zero()",
             expect: "a collected matrices object was used"),
        // A coroutine kept alive only by a finalized key holds a vector on its stack.
        Case(name: "coroutine_stack", access: "local t = setmetatable({}, { __mode = 'k' }) t[nrl.vector(1)] = coroutine.wrap(function() local v = nrl.vector(3) coroutine.yield() v[1] = 1 end) select(2, next(t))() collectgarbage() select(2, next(t))()"),
        Case(name: "check_command", access: "local x = \(vector)[1]", command: "check"),
    ]

    func testCollectedHostObjectsAreRefused() throws {
        let dir = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        for c in Self.useAfterFree {
            let script = dir.appendingPathComponent("\(c.name).lua")
            try Self.script(c.access).write(to: script, atomically: true, encoding: .utf8)
            let arguments = c.command == "run" ? ["run", script.path, "--env", "cartpole", "--episodes", "2", "--out", dir.appendingPathComponent("out-\(c.name)").path]
                : [c.command, script.path]
            let r = try NRLHostBinary.run(arguments)
            XCTAssertEqual(r.status, 1, "\(c.name): \(r.output)")
            XCTAssertTrue(r.stderr.contains("\(script.path):9: \(c.expect)"), "\(c.name): expected «\(script.path):9: \(c.expect)» in\n\(r.stderr)")
        }
    }

    /// An environment script whose `step` returns a collected vector as its observation.
    func testAnEnvironmentReturningACollectedVectorIsRefused() throws {
        let dir = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let script = dir.appendingPathComponent("zombie_env.lua")
        try """
        local function collected()
          local t = setmetatable({}, { __mode = "k" })
          t[nrl.vector(2, 0.5)] = true
          collectgarbage()
          return next(t)
        end
        return env {
          name = "zombie", observations = 2, actions = 2, max_steps = 5,
          reset = function(self) return { 0, 0 } end,
          step = function(self, action)
            return collected(), 1, false, false
          end,
        }

        """.write(to: script, atomically: true, encoding: .utf8)
        let r = try NRLHostBinary.run(["run", "--rule", "nrl", "--env", script.path, "--episodes", "2"])
        XCTAssertEqual(r.status, 1, r.output)
        XCTAssertTrue(r.stderr.contains("\(script.path):10: step must return an observation of 2 finite numbers; a collected vector object was used"), r.stderr)
    }
}

extension HostileObjectTests {
    /// Host functions called inside a coroutine take their arguments from, and leave their results and
    /// errors on, the coroutine's own stack (not the main thread's).
    func testHostFunctionsWorkInsideCoroutines() throws {
        let dir = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let script = dir.appendingPathComponent("coroutines.lua")
        try """
        local co = coroutine.wrap(function(n)
          local v = nrl.vector(n, 0.5)
          assert(type(v) == "userdata" and #v == 3 and v:sum() == 1.5, "a vector made in a coroutine")
          local ok, err = pcall(nrl.vector, -1)
          assert(not ok and err:find("length in 0..16777216 expected, got %-1"), err)
          coroutine.yield(v)
          return rule { act = function() return 1 end, learn = function() end }
        end)
        local v = co(3)
        assert(#v == 3 and tostring(v):find("vector%(3%)"))
        return co()

        """.write(to: script, atomically: true, encoding: .utf8)
        let r = try NRLHostBinary.run(["check", script.path])
        XCTAssertEqual(r.status, 0, r.output)
    }
}

extension HostileObjectTests {
    static func memoryScript(keep: Bool) -> String {
        """
        local kept = {}
        return rule {
          act = function(ctx, obs)
            local v = nrl.vector(100000, 1)
            \(keep ? "kept[#kept + 1] = v" : "v[1] = 2")
            return 1
          end,
          learn = function() end }

        """
    }

    /// An 800 KB vector made and dropped at every step: what Lua dropped is collected before the cap
    /// is declared exceeded, so 40 episodes (about 400 vectors, 320 MB in all) run under a 64 MB cap.
    func testDroppedHostBuffersDoNotCountAgainstTheCap() throws {
        let dir = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let script = dir.appendingPathComponent("drops.lua")
        try Self.memoryScript(keep: false).write(to: script, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("out")
        let r = try NRLHostBinary.run(["run", script.path, "--env", "cartpole", "--episodes", "40", "--max-memory=64", "--out", out.path])
        XCTAssertEqual(r.status, 0, r.output)
        let lines = try String(contentsOf: out.appendingPathComponent("episodes.csv"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 41)
    }

    /// The same vectors kept: the cap still stops the script, at the line that made one too many.
    func testHeldHostBuffersStillHitTheCap() throws {
        let dir = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let script = dir.appendingPathComponent("keeps.lua")
        try Self.memoryScript(keep: true).write(to: script, atomically: true, encoding: .utf8)
        let r = try NRLHostBinary.run(["run", script.path, "--env", "cartpole", "--episodes", "40", "--max-memory=64"])
        XCTAssertEqual(r.status, 1, r.output)
        XCTAssertTrue(r.stderr.contains("\(script.path):4: memory limit exceeded: the script tried to hold more than 64 MB (act)"), r.stderr)
    }
}

extension HostileObjectTests {
    /// Errors in code a script loads, or with a location the script wrote, name the real script: the
    /// chunk name given to `load` is ignored, and a location naming no loaded script is not believed.
    func testErrorsAlwaysNameTheRealScript() throws {
        let dir = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let cases: [(name: String, line: String, expect: String)] = [
            ("named_chunk", #"local f = load('local x = nil\nreturn x.y', '@other_student.lua') f()"#,
             "FILE:3: (load):2: attempt to index a nil value (local 'x')"),
            ("equals_chunk", #"local f = load('error("boom")', '=other_student.lua') f()"#, "FILE:3: (load):1: boom"),
            ("plain_chunk", #"assert(load('return nil + 1', 'other_student.lua'))()"#, "FILE:3: (load):1: attempt to perform arithmetic on a nil value"),
            ("nested_load", #"load('return load("return 1 .. {}", "@x.lua")()', '@y.lua')()"#, "FILE:3: (load):1: attempt to concatenate a table value"),
            ("syntax_error", #"local f, err = load('return +', '@other_student.lua') error(err, 0)"#, "FILE:3: (load):1: unexpected symbol near '+'"),
            ("loaded_loop", #"load('while true do end', '@other_student.lua')()"#, "FILE:3: instruction budget exceeded"),
            ("forged_location", #"error('other_student.lua:7: forged', 0)"#, "FILE:3: other_student.lua:7: forged"),
            ("no_location", #"error('no position here', 0)"#, "FILE:3: no position here"),
        ]
        for c in cases {
            let script = dir.appendingPathComponent("\(c.name).lua")
            try "return rule {\n  act = function(ctx, obs)\n    \(c.line)\n    return 1\n  end,\n  learn = function() end }\n"
                .write(to: script, atomically: true, encoding: .utf8)
            let r = try NRLHostBinary.run(["run", script.path, "--env", "cartpole", "--episodes", "2", "--max-instructions=5000000"])
            XCTAssertEqual(r.status, 1, "\(c.name): \(r.output)")
            let wanted = c.expect.replacingOccurrences(of: "FILE", with: script.path)
            XCTAssertTrue(r.stderr.contains("error: " + wanted), "\(c.name): expected «\(wanted)» in\n\(r.stderr)")
            XCTAssertFalse(r.stderr.contains("error: other_student.lua"), c.name)
        }
    }
}

extension HostileObjectTests {
    /// 17 MB held and a 4 MB table dropped at every step under a 30 MB cap: the Lua heap's own garbage
    /// is collected (Lua's emergency collection) before the cap is declared exceeded.
    func testDroppedLuaGarbageDoesNotCountAgainstTheCap() throws {
        let dir = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let script = dir.appendingPathComponent("tables.lua")
        try """
        local live1, live2 = {}, {}
        return rule {
          setup = function(ctx)
            for i = 1, 500000 do live1[i] = i live2[i] = i end
          end,
          act = function(ctx, obs)
            local t = {}
            for i = 1, 200000 do t[i] = i end
            return 1
          end,
          learn = function() end }

        """.write(to: script, atomically: true, encoding: .utf8)
        let r = try NRLHostBinary.run(["run", script.path, "--env", "cartpole", "--episodes", "20", "--max-memory=30"])
        XCTAssertEqual(r.status, 0, r.output)
        // Holding more than the cap still stops.
        let held = try NRLHostBinary.run(["run", script.path, "--env", "cartpole", "--episodes", "20", "--max-memory=16"])
        XCTAssertEqual(held.status, 1, held.output)
        XCTAssertTrue(held.stderr.contains("\(script.path):4: memory limit exceeded"), held.stderr)
    }
}
