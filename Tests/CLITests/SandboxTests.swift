import Foundation
import TestSupport
import XCTest

/// What a script can reach: only the whitelisted library and the API.
final class SandboxTests: XCTestCase {
    func testTheSandboxHoldsOnlyWhatTheAPIOffers() throws {
        let dir = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let script = dir.appendingPathComponent("probe.lua")
        try """
        for _, name in ipairs({ "io", "os", "debug", "package", "require", "dofile", "loadfile", "loadstring" }) do
          assert(_G[name] == nil, name .. " must not be reachable")
        end
        assert(string.dump == nil, "string.dump must not be reachable")
        assert(getmetatable("") == "locked", "the string metatable is locked")
        assert(not pcall(math.randomseed, 1), "math.randomseed is refused")
        assert(select(2, load("\\27Lua", "x", "b")):find("binary chunks are not allowed"))
        assert(load("return 1 + 1")() == 2, "text chunks load")
        assert(load("return x", "chunk", "t", { x = 7 })() == 7, "an explicit environment is honoured")
        assert(_VERSION == "Lua 5.4")
        local r = math.random()
        assert(r >= 0 and r < 1)
        assert(math.random(3) >= 1 and math.random(3) <= 3)
        assert(type(nrl.vector) == "function" and type(nrl.pow) == "function")
        assert(nrl.pow(3, 2) == 9)
        local v = nrl.vector(3, 0.5)
        assert(#v == 3 and v[2] == 0.5)
        v[2] = 2
        assert(v:sum() == 3)
        assert(not pcall(function() return v[4] end), "out-of-range indexing is an error")
        assert(collectgarbage("count") > 0)
        return rule {
          setup = function(ctx)
            assert(getmetatable(ctx.net) == "locked", "host metatables are locked")
            assert(not pcall(setmetatable, ctx.net, {}))
            local p = ctx.net:pass()
            ctx.net:forward({ 0, 0, 0, 0 }, p)
            assert(math.abs(p:prob(1) + p:prob(2) - 1) < 1e-12)
          end,
          act = function(ctx, obs) return 1 end,
          learn = function() end,
        }

        """.write(to: script, atomically: true, encoding: .utf8)
        let r = try NRLHostBinary.run(["check", script.path])
        XCTAssertEqual(r.status, 0, r.output)
    }

    /// Script randomness comes from the run's seeded stream: the same seed, the same numbers.
    func testMathRandomIsSeededByTheRun() throws {
        let dir = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let script = dir.appendingPathComponent("dice.lua")
        try """
        return rule {
          act = function(ctx, obs) log("die", math.random(6)) return math.random(2) end,
          learn = function() end,
        }

        """.write(to: script, atomically: true, encoding: .utf8)
        func metrics(_ seed: Int) throws -> String {
            let out = dir.appendingPathComponent("out\(seed)-\(UUID().uuidString)")
            let r = try NRLHostBinary.run(["run", script.path, "--env", "cartpole", "--episodes", "20", "--seed", "\(seed)", "--out", out.path])
            XCTAssertEqual(r.status, 0, r.output)
            return try String(contentsOf: out.appendingPathComponent("metrics.csv"), encoding: .utf8)
        }
        XCTAssertEqual(try metrics(1), try metrics(1))
        XCTAssertNotEqual(try metrics(1), try metrics(2))
    }

    /// `print` writes to standard error, never to standard output, with Lua's formatting (tabs between
    /// the values, a newline after them); after 64 KB from one script in a run it prints one notice and
    /// drops the rest, however much more the script prints.
    func testPrintGoesToStandardErrorAndIsCapped() throws {
        let dir = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let script = dir.appendingPathComponent("chatty.lua")
        try """
        local line = string.rep("x", 99)          -- 100 bytes with the newline
        return rule {
          setup = function() print("hello", 1, nil, true) end,
          act = function(ctx, obs)
            for _ = 1, 100 do print(line) end     -- 10 KB a step
            return 1
          end,
          learn = function() end,
        }

        """.write(to: script, atomically: true, encoding: .utf8)
        // Standard error goes to a file: more than a pipe's buffer of it would block the child while
        // the test reads standard output.
        let errors = dir.appendingPathComponent("stderr.txt")
        XCTAssertTrue(FileManager.default.createFile(atPath: errors.path, contents: nil))
        let process = Process()
        process.executableURL = NRLHostBinary.url
        process.arguments = ["run", script.path, "--env", "cartpole", "--episodes", "10", "--seed", "1"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = try FileHandle(forWritingTo: errors)
        try process.run()
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let stderr = try String(contentsOf: errors, encoding: .utf8)
        XCTAssertEqual(process.terminationStatus, 0, stderr)
        XCTAssertFalse(stdout.contains("hello") || stdout.contains("xxx"), "print must not reach standard output")
        XCTAssertTrue(stderr.contains("hello\t1\tnil\ttrue\n"), String(stderr.prefix(200)))
        let lines = stderr.split(separator: "\n", omittingEmptySubsequences: false)
        let printed = lines.filter { $0 == Substring(String(repeating: "x", count: 99)) }.count
        // 17 bytes of "hello…", then 100-byte lines while the total stays within 65,536 bytes.
        XCTAssertEqual(printed, (65_536 - 17) / 100, "lines printed before the cap")
        XCTAssertEqual(lines.filter { $0 == "(further script output suppressed after 65536 bytes)" }.count, 1, String(stderr.suffix(300)))
    }
}
