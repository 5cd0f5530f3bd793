import Foundation
import TestSupport
import XCTest

/// `nrlhost replay --bridge`: the golden trajectories through the Python tasks themselves (Gymnasium's CartPole-v1
/// and Acrobot-v1, NeuroGym's Reaching1D-v0 with the file's configuration), bit for bit. Needs `make python`'s
/// .venv/ (or NRLHOST_PYTHON): without it the command fails with the locator's message, and so does this test.
final class BridgeReplayTests: XCTestCase {
    func testEveryShippedGoldenFileThroughThePythonTasks() throws {
        let files = try ReferenceData.trajectories().filter(\.isShipped)
        let cartpole = files.filter { $0.name.hasPrefix("cartpole_") }, acrobot = files.filter { $0.name.hasPrefix("acrobot_") }
        let reaching = files.filter { $0.name.hasPrefix("reaching1d_") }
        XCTAssertEqual([cartpole.count, acrobot.count, reaching.count], [3, 3, 1], files.map(\.name).joined(separator: " "))
        let r = try NRLHostBinary.run(["replay", "--bridge"] + files.map(\.url.path))
        XCTAssertEqual(r.status, 0, r.output)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        for file in files {
            let line = lines.first { $0.contains(file.url.path + ":") } ?? ""
            if file.name == "acrobot_offdist_clip.json" {
                // Its float64 start state lies outside the reset range and has no seed: only injecting it would
                // start it, which the bridge cannot do (the native replay covers it).
                XCTAssertTrue(line.hasPrefix("skip  ") && line.contains("no reset_seed"), r.output)
            } else {
                XCTAssertTrue(line.hasPrefix("ok    ") && line.contains("through the bridge"), "\(file.name): \(r.output)")
            }
        }
        XCTAssertFalse(r.stdout.contains("FAIL"), r.output)
    }

    /// One action changed: the bridged replay names the first step and value that differ.
    func testADisagreementNamesTheStepAndTheValue() throws {
        let original = try String(contentsOf: ReferenceData.shippedTrajectory("cartpole_random_a.json"), encoding: .utf8)
        var parts = original.components(separatedBy: "\"action\":")
        parts[6] = (parts[6].hasPrefix("0") ? "1" : "0") + parts[6].dropFirst()
        let dir = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("tampered.json")
        try parts.joined(separator: "\"action\":").write(to: file, atomically: true, encoding: .utf8)
        let r = try NRLHostBinary.run(["replay", "--bridge", file.path])
        XCTAssertEqual(r.status, 1, r.output)
        XCTAssertTrue(r.stdout.contains("FAIL  \(file.path): CartPole-v1 through the bridge: step 6, observation["), r.output)
    }
}
