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
        """
    )

    @Argument(help: "Trajectory files (JSON).")
    var files: [String]

    func run() throws {
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
}
