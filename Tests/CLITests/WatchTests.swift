import Foundation
import TestSupport
import XCTest

/// `--watch`: a running script is edited three times — a parameter change, a syntax error, a fix.
/// The change takes effect, the error is reported (file:line) while the old version runs on, and
/// the run finishes with every episode recorded.
final class WatchTests: XCTestCase {
    /// Collects a child's standard error as it arrives.
    final class Collector: @unchecked Sendable {
        private let lock = NSLock()
        private var text = ""
        func append(_ data: Data) { lock.lock(); text += String(decoding: data, as: UTF8.self); lock.unlock() }
        var value: String { lock.lock(); defer { lock.unlock() }; return text }

        func wait(for fragment: String, times: Int = 1, timeout: TimeInterval = 60) -> Bool {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                if value.components(separatedBy: fragment).count > times { return true }
                usleep(20_000)
            }
            return false
        }
    }

    func rule(lr: String) -> String {
        """
        return rule {
          params = { lr = \(lr) },
          act = function(ctx, obs)
            log("lr", ctx.params.lr)
            return 1
          end,
          learn = function() end,
        }

        """
    }

    /// An environment slow enough (a busy loop per step) that a run outlasts the edits made to it.
    static let slowEnvironment = """
    return env {
      name = "slow", observations = 1, actions = 2, max_steps = 1,
      reset = function(self) return { 0 } end,
      step = function(self, a)
        local x = 0
        for i = 1, 200000 do x = x + i end
        return { 0 }, 1, true, false
      end,
    }

    """

    /// Saves the way many editors do: write a new file, then rename it over the old one.
    func save(_ text: String, to url: URL) throws {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).swp")
        try text.write(to: temporary, atomically: false, encoding: .utf8)
        _ = rename(temporary.path, url.path)
    }

    /// `nrlhost run live.lua --watch` on an environment slow enough (a busy loop per step) that the run
    /// outlasts the edits, its stderr collected; returns once the run has had time to start.
    func startWatchedRun(in dir: URL, episodes: Int) throws
        -> (script: URL, env: URL, out: URL, process: Process, stdout: Pipe, stderr: Pipe, collector: Collector) {
        let env = dir.appendingPathComponent("slow.lua")
        try Self.slowEnvironment.write(to: env, atomically: true, encoding: .utf8)
        let script = dir.appendingPathComponent("live.lua")
        try rule(lr: "0.05").write(to: script, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("out")
        let (process, stdout, stderr) = try NRLHostBinary.start(["run", script.path, "--env", env.path, "--episodes", "\(episodes)",
                                                                 "--watch", "--out", out.path])
        let collector = Collector()
        stderr.fileHandleForReading.readabilityHandler = { collector.append($0.availableData) }
        usleep(300_000)
        return (script, env, out, process, stdout, stderr, collector)
    }

    func testEditingARunningScript() throws {
        let dir = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let episodes = 3000
        let (script, _, out, process, stdout, stderr, collector) = try startWatchedRun(in: dir, episodes: episodes)
        defer { if process.isRunning { process.terminate() } }
        try save(rule(lr: "0.07"), to: script)
        XCTAssertTrue(collector.wait(for: "reloaded (v2)"), collector.value)
        try save("return rule {\n  params = { lr = 0.08 },\n  act = function(ctx, obs)\n    return 1 +\n  end,\n}\n", to: script)
        XCTAssertTrue(collector.wait(for: "reload failed"), collector.value)
        XCTAssertTrue(collector.value.contains("\(script.path):5: unexpected symbol near 'end'"), collector.value)
        try save(rule(lr: "0.09"), to: script)
        XCTAssertTrue(collector.wait(for: "reloaded (v3)"), collector.value)
        XCTAssertTrue(process.isRunning, "the edits must land while the run goes on")

        _ = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        stderr.fileHandleForReading.readabilityHandler = nil
        XCTAssertEqual(process.terminationStatus, 0, collector.value)

        let episodesCSV = try String(contentsOf: out.appendingPathComponent("episodes.csv"), encoding: .utf8)
        XCTAssertEqual(episodesCSV.split(separator: "\n").count, episodes + 1)
        let values = try String(contentsOf: out.appendingPathComponent("metrics.csv"), encoding: .utf8)
            .split(separator: "\n").dropFirst().map { $0.split(separator: ",")[2] }
        XCTAssertEqual(values.first, "0.05")
        XCTAssertTrue(values.contains("0.07"), "the parameter change took effect")
        XCTAssertFalse(values.contains("0.08"), "the broken version never ran")
        XCTAssertEqual(values.last, "0.09")
        XCTAssertEqual(values.count, episodes)
    }

    /// A new version that hits a limit while loading (an endless loop at top level) or in its
    /// setup fails to reload with its line; the stop does not stick to the running version, which
    /// runs on, and the next good edit loads.
    func testReloadThatHitsALimitLeavesTheRunningVersion() throws {
        let dir = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let env = dir.appendingPathComponent("slow.lua")
        try Self.slowEnvironment.write(to: env, atomically: true, encoding: .utf8)
        let script = dir.appendingPathComponent("live.lua")
        try rule(lr: "0.05").write(to: script, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("out")
        let episodes = 3000
        let (process, stdout, stderr) = try NRLHostBinary.start(["run", script.path, "--env", env.path, "--episodes", "\(episodes)",
                                                                 "--watch", "--out", out.path, "--max-instructions=20000000"])
        let collector = Collector()
        stderr.fileHandleForReading.readabilityHandler = { collector.append($0.availableData) }
        defer { if process.isRunning { process.terminate() } }

        usleep(300_000)
        try save("local n = 0\nwhile true do n = n + 1 end\nreturn rule { act = function() return 1 end, learn = function() end }\n", to: script)
        XCTAssertTrue(collector.wait(for: "reload failed"), collector.value)
        XCTAssertTrue(collector.value.contains("\(script.path):2: instruction budget exceeded"), collector.value)
        XCTAssertTrue(collector.value.contains("(loading the script)"), collector.value)
        XCTAssertFalse(collector.value.contains("begin_episode"), collector.value)
        try save(rule(lr: "0.07"), to: script)
        XCTAssertTrue(collector.wait(for: "reloaded (v2)"), collector.value)
        try save("""
        return rule {
          params = { lr = 0.08 },
          setup = function(ctx)
            while true do end
          end,
          act = function(ctx, obs) log("lr", ctx.params.lr) return 1 end,
          learn = function() end,
        }

        """, to: script)
        XCTAssertTrue(collector.wait(for: "reload failed", times: 2), collector.value)
        XCTAssertTrue(collector.value.contains("\(script.path):4: instruction budget exceeded"), collector.value)
        try save(rule(lr: "0.09"), to: script)
        XCTAssertTrue(collector.wait(for: "reloaded (v3)"), collector.value)
        XCTAssertTrue(process.isRunning, "the edits must land while the run goes on")

        _ = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        stderr.fileHandleForReading.readabilityHandler = nil
        XCTAssertEqual(process.terminationReason, .exit)
        XCTAssertEqual(process.terminationStatus, 0, collector.value)
        let values = try String(contentsOf: out.appendingPathComponent("metrics.csv"), encoding: .utf8)
            .split(separator: "\n").dropFirst().map { $0.split(separator: ",")[2] }
        XCTAssertEqual(values.count, episodes)
        XCTAssertEqual(values.first, "0.05")
        XCTAssertTrue(values.contains("0.07"))
        XCTAssertFalse(values.contains("0.08"), "the version whose setup loops never ran")
        XCTAssertEqual(values.last, "0.09")
    }

    /// run.json records the run's provenance — the scripts' text and hash, the command line, the
    /// host — and every reload: the episode it took effect, its version, the new text's hash and
    /// the parameters in force after it (here a changed parameter default).
    func testRunJSONRecordsEveryReloadWithItsParameters() throws {
        let dir = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (script, env, out, process, stdout, stderr, collector) = try startWatchedRun(in: dir, episodes: 3000)
        defer { if process.isRunning { process.terminate() } }
        try save(rule(lr: "0.07"), to: script)
        XCTAssertTrue(collector.wait(for: "reloaded (v2)"), collector.value)
        let reloadedText = rule(lr: "0.07")
        // A version that loads but fails in its first call: v2 takes over again, and the record says so.
        try save("return rule {\n  params = { lr = 0.5 },\n  act = function(ctx, obs) error(\"broken act\") end,\n  learn = function() end,\n}\n", to: script)
        XCTAssertTrue(collector.wait(for: "broken act"), collector.value)
        process.interrupt()  // the record is complete once the run has stopped
        _ = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        stderr.fileHandleForReading.readabilityHandler = nil

        let record = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("run.json"))) as? [String: Any])
        let reloads = try XCTUnwrap(record["reloads"] as? [[String: Any]], "\(record)")
        XCTAssertEqual(reloads.map { $0["version"] as? Int }, [2, 3, 2], "\(reloads)")
        XCTAssertEqual(reloads.map { $0["reverted"] as? Bool }, [nil, nil, true], "\(reloads)")
        XCTAssertEqual(reloads[2]["hash"] as? String, reloads[0]["hash"] as? String)
        XCTAssertEqual(((reloads[2]["parameters"] as? [String: Any])?["values"] as? [String: Any])?["lr"] as? Double, 0.07)
        XCTAssertEqual(reloads[2]["episode"] as? Int, reloads[1]["episode"] as? Int, "v3 failed in its first episode")
        XCTAssertEqual(((reloads[0]["parameters"] as? [String: Any])?["values"] as? [String: Any])?["lr"] as? Double, 0.07)
        let hashFile = dir.appendingPathComponent("v2.lua")
        try reloadedText.write(to: hashFile, atomically: true, encoding: .utf8)
        XCTAssertEqual(reloads[0]["hash"] as? String, try RunIdentityTests.sha256sum(hashFile.path))
        // The episode the new version first ran: the metrics log lr per episode.
        let episode = try XCTUnwrap(reloads[0]["episode"] as? Int)
        let logged = try String(contentsOf: out.appendingPathComponent("metrics.csv"), encoding: .utf8)
            .split(separator: "\n").dropFirst().map { $0.split(separator: ",").map(String.init) }
        XCTAssertEqual(logged.first { $0[2] == "0.07" }?[0], String(episode), "\(logged.prefix(3))")

        // The spec names the script the run started with by hash; its text is in the record.
        let scripts = try XCTUnwrap(record["scripts"] as? [String: [String: Any]])
        XCTAssertEqual(scripts["rule"]?["text"] as? String, rule(lr: "0.05"))
        XCTAssertEqual(scripts["rule"]?["path"] as? String, script.path)
        XCTAssertEqual(scripts["environment"]?["hash"] as? String, try RunIdentityTests.sha256sum(env.path))
        let spec = try XCTUnwrap(record["spec"] as? [String: Any])
        XCTAssertEqual(spec["ruleScriptHash"] as? String, scripts["rule"]?["hash"] as? String)
        XCTAssertEqual(spec["environmentScriptHash"] as? String, scripts["environment"]?["hash"] as? String)
        XCTAssertEqual(((spec["parameters"] as? [String: Any])?["values"] as? [String: Any])?["lr"] as? Double, 0.05)
        // How it was started, where, and how it ended.
        XCTAssertEqual(record["command"] as? [String], [NRLHostBinary.url.path, "run", script.path, "--env", env.path,
                                                         "--episodes", "3000", "--watch", "--out", out.path])
        let host = try XCTUnwrap(record["host"] as? [String: Any])
        XCTAssertEqual(host["cores"] as? Int, ProcessInfo.processInfo.activeProcessorCount)
        XCTAssertFalse((host["cpu"] as? String ?? "").isEmpty)
        XCTAssertFalse((host["os"] as? String ?? "").isEmpty)
        XCTAssertEqual((record["outcome"] as? [String: Any])?["status"] as? String, "interrupted")
    }
}
