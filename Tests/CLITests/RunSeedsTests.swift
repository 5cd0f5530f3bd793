import Foundation
import TestSupport
import XCTest

/// `nrlhost run … --seeds`: one folder per seed, each exactly what `nrlhost run --seed N` writes,
/// whether the seeds trained in SIMD lanes or one by one.
final class RunSeedsTests: XCTestCase {
    var dir: URL!

    override func setUp() { dir = temporaryFolder() }
    override func tearDown() { try? FileManager.default.removeItem(at: dir) }

    func episodes(_ folder: URL) throws -> String {
        try String(contentsOf: folder.appendingPathComponent("episodes.csv"), encoding: .utf8)
    }

    func testEverySeedsFolderIsWhatASingleRunWrites() throws {
        let lanes = dir.appendingPathComponent("lanes"), scalar = dir.appendingPathComponent("scalar")
        // Forced to 8 lanes: on some machines 18 seeds would end sooner one per core.
        let a = try NRLHostBinary.run(["run", "nrl", "--env", "cartpole", "--episodes", "40", "--seeds", "1-18", "--out", lanes.path],
                                      environment: ["NRLHOST_LANES": "8"])
        XCTAssertEqual(a.status, 0, a.output)
        XCTAssertTrue(a.stdout.contains("8 runs per core in SIMD lanes"), a.stdout)
        let b = try NRLHostBinary.run(["run", "nrl", "--env", "cartpole", "--episodes", "40", "--seeds", "1-18",
                                       "--engine", "scalar", "--out", scalar.path])
        XCTAssertEqual(b.status, 0, b.output)
        for seed in [1, 7, 18] {
            let single = dir.appendingPathComponent("single-\(seed)")
            let r = try NRLHostBinary.run(["run", "nrl", "--env", "cartpole", "--episodes", "40", "--seed", "\(seed)", "--out", single.path])
            XCTAssertEqual(r.status, 0, r.output)
            let expected = try episodes(single)
            XCTAssertEqual(expected.split(separator: "\n").count, 41)
            XCTAssertEqual(try episodes(lanes.appendingPathComponent("seed-\(seed)")), expected, "seed \(seed) in lanes")
            XCTAssertEqual(try episodes(scalar.appendingPathComponent("seed-\(seed)")), expected, "seed \(seed) alone")
        }
    }

    func testSeedsNeedAFolderAndAValidList() throws {
        let noOut = try NRLHostBinary.run(["run", "nrl", "--env", "cartpole", "--seeds", "1-3"])
        XCTAssertNotEqual(noOut.status, 0)
        XCTAssertTrue(noOut.stderr.contains("--out"), noOut.stderr)
        let bad = try NRLHostBinary.run(["run", "nrl", "--env", "cartpole", "--seeds", "5-1", "--out", dir.path])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("--seeds takes"), bad.stderr)
        // A setting the environment refuses: refused as a single run refuses it, before any folder is written.
        let out = dir.appendingPathComponent("refused")
        let refused = try NRLHostBinary.run(["run", "nrl", "--env", "reaching", "--set", "env.fail_reward=2", "--seeds", "1-16",
                                             "--out", out.path])
        XCTAssertEqual(refused.status, 64, refused.output)
        XCTAssertTrue(refused.stderr.contains("correct_reward (1.0) must be above fail_reward (2.0)"), refused.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
    }
}
