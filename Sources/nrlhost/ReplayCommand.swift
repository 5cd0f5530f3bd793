import ArgumentParser
import Foundation
import NRLCore
import LuaBridge
import NRLTools

struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay recorded trajectories (golden schema nrl-golden-v1) through nrlhost's environments.",
        discussion: """
        Each file gives a start state and the actions taken; every step is checked against the recording
        (state to 1e-12 relative, float32 observations, reward and flags exactly), then the whole
        trajectory is run freely from the start state and compared bit for bit. Exits 1 if any file disagrees.

        With --bridge, each file is replayed through the Python task instead (Gymnasium's CartPole-v1 and
        Acrobot-v1, NeuroGym's Reaching1D-v0 with the file's dt and timing; `make python` installs them):
        started by the task's own reset(seed=reset_seed) (Reaching: the file's env_seed), then every
        observation, reward and flag is compared bit for bit. A file with no seed (its start state was set
        directly) cannot be started through the bridge and is reported as "skip"; it does not fail the run.
        """
    )

    @Argument(help: "Trajectory files (JSON).")
    var files: [String]

    @Flag(help: "Replay through the Python task (the Gymnasium/NeuroGym bridge) instead of nrlhost's own environments.")
    var bridge = false

    func run() throws {
        if bridge { return try runBridged() }
        var failures = 0
        for path in files {
            do {
                let report = try GoldenReplay.check(fileAt: URL(fileURLWithPath: path))
                if report.agrees {
                    print("ok    \(path): \(report.envID), \(report.steps) steps agree (per step, observations, free run bit-exact)")
                } else {
                    failures += 1
                    print("FAIL  \(path): \(report.envID)")
                    for (check, d) in [("per-step", report.perStep), ("observation", report.observationFunction), ("free run", report.freeRun)] {
                        if let d { print("      \(check): step \(d.step), \(d.field): expected \(d.expected), got \(d.got)") }
                    }
                }
            } catch {
                failures += 1
                print("FAIL  \(path): \(error)")
            }
        }
        if failures > 0 { throw CommandFailure("\(failures) of \(files.count) files disagree") }
    }

    private func runBridged() throws {
        let python: String
        do { python = try PythonLocation.find() } catch { throw CommandFailure("replay --bridge: \(error)") }
        var failures = 0
        for path in files {
            do {
                let outcome = try BridgeReplay.check(fileAt: URL(fileURLWithPath: path), python: python)
                if let reason = outcome.notReplayable {
                    print("skip  \(path): \(outcome.envID), \(reason)")
                } else if let d = outcome.disagreement {
                    failures += 1
                    print("FAIL  \(path): \(outcome.envID) through the bridge: \(d)")
                } else {
                    print("ok    \(path): \(outcome.envID) through the bridge, \(outcome.steps) steps agree bit for bit (observations, rewards, flags)")
                }
            } catch {
                failures += 1
                print("FAIL  \(path): \(error)")
            }
        }
        if failures > 0 { throw CommandFailure("\(failures) of \(files.count) files disagree through the bridge") }
    }
}
