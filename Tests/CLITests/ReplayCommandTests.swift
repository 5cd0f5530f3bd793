import Foundation
import TestSupport
import XCTest

/// `nrlhost replay` on the golden recordings and on a recording that disagrees.
final class ReplayCommandTests: XCTestCase {
    /// Every trajectory in Tests/Golden and NRL_SHARED's golden/, whatever its name.
    func testEveryGoldenFileAgrees() throws {
        let reference = try ReferenceData.trajectories()
        XCTAssertGreaterThanOrEqual(reference.filter(\.isShipped).count, 7, "the repository ships 7 golden trajectories")
        let files = reference.map(\.url.path)
        let r = try NRLHostBinary.run(["replay"] + files)
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertEqual(r.stdout.split(separator: "\n").filter { $0.hasPrefix("ok ") }.count, files.count, r.stdout)
        XCTAssertFalse(r.stdout.contains("FAIL"), r.stdout)
    }

    /// A recording whose 6th action was flipped: the state after step 6 no longer matches.
    func testADisagreeingRecordingIsReportedWithStepAndField() throws {
        let original = try String(contentsOf: ReferenceData.shippedTrajectory("cartpole_random_a.json"), encoding: .utf8)
        var parts = original.components(separatedBy: "\"action\":")
        XCTAssertGreaterThan(parts.count, 7)
        let flipped = parts[6].hasPrefix("0") ? "1" + parts[6].dropFirst() : "0" + parts[6].dropFirst()
        parts[6] = flipped
        let dir = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("tampered.json")
        try parts.joined(separator: "\"action\":").write(to: file, atomically: true, encoding: .utf8)
        let r = try NRLHostBinary.run(["replay", file.path])
        XCTAssertEqual(r.status, 1, r.output)
        XCTAssertTrue(r.stdout.contains("FAIL"), r.stdout)
        XCTAssertTrue(r.stdout.contains("per-step: step 6, "), r.stdout)
    }

    func testAnUnreadableFileIsAClearFailure() throws {
        let r = try NRLHostBinary.run(["replay", "/nonexistent/trajectory.json"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stdout.contains("/nonexistent/trajectory.json"), r.output)
    }
}
