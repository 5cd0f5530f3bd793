import Foundation
import TestSupport
import XCTest

/// How a bridged (Python) task fails: a Python exception names its type, message and the task's
/// file:line; a worker that dies or hangs ends the run with a message; finished episodes stay on disk;
/// no worker outlives a SIGKILLed nrlhost. The task is `failing_task.py`, written here and imported by
/// Gymnasium's `module:ID` form (`gym:failing_task:Failing-v0`); its `mode` keyword says how it fails
/// at its `at`-th step (episodes are 10 steps). Python is found as `PythonLocation` finds it
/// (NRLHOST_PYTHON, else the repository's .venv); without it these tests fail saying `make python`.
final class BridgeFailureTests: XCTestCase {
    static let task = """
    import os, time
    import gymnasium as gym
    import numpy as np

    class Failing(gym.Env):
        def __init__(self, mode="raise", at=25, pidfile=None):
            self.observation_space = gym.spaces.Box(-1, 1, (2,), np.float32)
            self.action_space = gym.spaces.Discrete(2)
            self.mode, self.at, self.steps, self.t = mode, at, 0, 0
            if pidfile:
                with open(pidfile, "w") as f:
                    f.write(str(os.getpid()))

        def reset(self, seed=None, options=None):
            super().reset(seed=seed)
            self.t = 0
            self.resets = getattr(self, "resets", 0) + 1
            if self.mode == "raise_reset" and self.resets == 3:
                raise RuntimeError("no more resets")
            return np.zeros(2, np.float32), {}

        def step(self, action):
            self.steps += 1
            self.t += 1
            if self.steps == self.at:
                if self.mode == "raise":
                    raise ValueError("the pole broke")
                if self.mode == "die":
                    os.kill(os.getpid(), 9)
                if self.mode == "hang":
                    time.sleep(1000)
            if self.mode == "slow":
                time.sleep(0.005)
            return np.zeros(2, np.float32), 1.0, self.t >= 10, False, {}

    gym.register("Failing-v0", entry_point=Failing)

    """

    var folder: URL!
    var environment: [String: String] = [:]

    override func setUpWithError() throws {
        folder = temporaryFolder()
        _ = try writeScratchFile("failing_task.py", Self.task, in: folder)
        environment = ProcessInfo.processInfo.environment
        environment["NRLHOST_PYTHON"] = try python()
        environment["PYTHONPATH"] = folder.path
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    /// NRLHOST_PYTHON, else <repo>/.venv/bin/python (what `make python` makes), else a failure saying so.
    func python() throws -> String {
        if let p = ProcessInfo.processInfo.environment["NRLHOST_PYTHON"], !p.isEmpty { return p }
        let venv = ReferenceData.packageRoot.appendingPathComponent(".venv/bin/python").path
        guard FileManager.default.isExecutableFile(atPath: venv) else {
            throw PythonMissing("no Python for the bridge: run `make python` (or set NRLHOST_PYTHON)")
        }
        return venv
    }

    struct PythonMissing: Error, CustomStringConvertible { let description: String; init(_ d: String) { description = d } }

    func run(_ mode: String, _ extra: [String] = []) throws -> (CommandResult, URL) {
        let out = folder.appendingPathComponent("out-\(mode)")
        let r = try SpawnedCommand.run(NRLHostBinary.url.path, ["run", "--rule", "nrl", "--env", "gym:failing_task:Failing-v0", "--episodes", "5",
                                                                "--set", "env.mode=\(mode)", "--out", out.path] + extra, environment: environment)
        return (r, out)
    }

    func episodesSaved(_ out: URL) throws -> Int {
        try String(contentsOf: out.appendingPathComponent("episodes.csv"), encoding: .utf8).split(separator: "\n").count - 1
    }

    func testPythonExceptionNamesTypeMessageAndTaskLine() throws {
        let (r, out) = try run("raise")
        XCTAssertEqual(r.status, 1, r.output)
        let line = Self.task.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains("the pole broke") }! + 1
        XCTAssertTrue(r.stderr.contains("Python raised ValueError: the pole broke at \(folder.path)/failing_task.py:\(line)"), r.stderr)
        XCTAssertTrue(r.stderr.contains("episodes 1–2 are saved"), r.stderr)
        XCTAssertEqual(try episodesSaved(out), 2)
    }

    func testPythonExceptionInAResetNamesItsLine() throws {
        let (r, out) = try run("raise_reset")
        XCTAssertEqual(r.status, 1, r.output)
        let line = Self.task.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains("no more resets") }! + 1
        XCTAssertTrue(r.stderr.contains("Python raised RuntimeError: no more resets at \(folder.path)/failing_task.py:\(line)"), r.stderr)
        XCTAssertEqual(try episodesSaved(out), 2)
    }

    func testWorkerKilledMidRunEndsTheRunWithAMessage() throws {
        let (r, out) = try run("die")
        XCTAssertEqual(r.status, 1, r.output)
        XCTAssertTrue(r.stderr.contains("the Python worker (pid "), r.stderr)
        XCTAssertTrue(r.stderr.contains("was killed by signal 9 (SIGKILL) in the middle of a call"), r.stderr)
        XCTAssertEqual(try episodesSaved(out), 2)
    }

    func testHungWorkerIsKilledAtThePerCallClock() throws {
        let pidfile = folder.appendingPathComponent("hang.pid").path
        let started = Date()
        let (r, out) = try run("hang", ["--max-seconds", "1", "--set", "env.pidfile=\(pidfile)"])
        XCTAssertLessThan(Date().timeIntervalSince(started), 60)
        XCTAssertEqual(r.status, 1, r.output)
        XCTAssertTrue(r.stderr.contains("did not answer a step request within 1 s (the per-call wall clock, --max-seconds); it was killed"), r.stderr)
        XCTAssertEqual(try episodesSaved(out), 2)
        let pid = try String(contentsOfFile: pidfile, encoding: .utf8)
        XCTAssertFalse(alive(pid_t(pid)!), "the hung worker \(pid) was killed")
    }

    /// SIGKILL of nrlhost mid-run: the worker (its pid written by the task) is gone soon after.
    func testNoWorkerOutlivesASIGKILLedNrlhost() throws {
        let pidfile = folder.appendingPathComponent("worker.pid").path
        let process = Process()
        process.executableURL = NRLHostBinary.url
        process.arguments = ["run", "--rule", "nrl", "--env", "gym:failing_task:Failing-v0", "--episodes", "100000",
                             "--set", "env.mode=slow", "--set", "env.pidfile=\(pidfile)"]
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        var worker: pid_t?
        let deadline = Date().addingTimeInterval(60)
        while worker == nil && Date() < deadline {
            if let text = try? String(contentsOfFile: pidfile, encoding: .utf8), let p = pid_t(text) { worker = p } else { usleep(50_000) }
        }
        guard let worker else { process.terminate(); return XCTFail("the worker never wrote its pid") }
        usleep(300_000)
        XCTAssertTrue(alive(worker), "the worker runs while nrlhost does")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let gone = Date().addingTimeInterval(5)
        while alive(worker) && Date() < gone { usleep(20_000) }
        XCTAssertFalse(alive(worker), "worker \(worker) outlived its SIGKILLed parent")
    }

    /// The same seed gives the same run through the bridge, for a NeuroGym task (its own RandomState seeded
    /// too) with keyword arguments, and a Gymnasium one; another seed another run.
    func testBridgedRunsAreReproducible() throws {
        func episodes(_ env: String, seed: Int, _ extra: [String] = []) throws -> String {
            let out = folder.appendingPathComponent("repro-\(UUID().uuidString)")
            let r = try SpawnedCommand.run(NRLHostBinary.url.path, ["run", "--rule", "nrl", "--env", env, "--seed", "\(seed)", "--episodes", "20",
                                                                    "--out", out.path] + extra, environment: environment)
            XCTAssertEqual(r.status, 0, r.output)
            return try String(contentsOf: out.appendingPathComponent("episodes.csv"), encoding: .utf8)
        }
        let kwargs = ["--set", "env.dt=100", "--set", "env.timing={\"fixation\": 200}"]
        let a = try episodes("neurogym:PerceptualDecisionMaking-v0", seed: 3, kwargs)
        XCTAssertEqual(a.split(separator: "\n").count, 21)
        XCTAssertEqual(try episodes("neurogym:PerceptualDecisionMaking-v0", seed: 3, kwargs), a)
        XCTAssertNotEqual(try episodes("neurogym:PerceptualDecisionMaking-v0", seed: 4, kwargs), a)
        XCTAssertEqual(try episodes("gym:CartPole-v1", seed: 1), try episodes("gym:CartPole-v1", seed: 1))
    }

    /// Whether `pid` is a live process (not gone, not a zombie), read from /proc.
    func alive(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
        guard let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(close, offsetBy: 2)]
        return state != "Z" && state != "X"
    }
}
