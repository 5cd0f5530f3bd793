import Foundation
import TestSupport
import XCTest

/// docs/scaling.md's GNU parallel route, on this machine: `--sshlogin :` is parallel's name for the
/// local machine, so the doc's command runs without ssh. What `--return` brings back from a remote
/// host is the shard's `.sqlite` file alone, so only that file is copied before the merge; the merged
/// store must equal a single-process `compare`. (GNU parallel comes with `make test`'s dependencies.)
final class ParallelRecipeTests: XCTestCase {
    var dir: URL!

    override func setUp() { dir = temporaryFolder() }
    override func tearDown() { try? FileManager.default.removeItem(at: dir) }

    func testShardsRunByGNUParallelMergeIntoWhatCompareGives() throws {
        let experiment = try writeScratchFile("tiny.lua", """
            return experiment { name = "tiny", rules = { "nrl", "bp" }, envs = { "cartpole" }, seeds = { 1, 2 }, episodes = 50 }

            """, in: dir)
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = NRLHostBinary.url.deletingLastPathComponent().path + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        // The doc's command, with the local machine as the one "host", run from the test's folder.
        let command = "cd \(dir.path) && parallel --sshlogin : --jobs 2 "
            + "'nrlhost compare tiny.lua --jobs 1 --shard {}/2 --store runs/tiny-shard-{}.sqlite' ::: 1 2"
        let ran = try SpawnedCommand.run("/bin/sh", ["-c", command], environment: environment)
        XCTAssertEqual(ran.status, 0, ran.output)

        let returned = dir.appendingPathComponent("returned")
        try FileManager.default.createDirectory(at: returned, withIntermediateDirectories: true)
        for k in 1...2 {
            try FileManager.default.copyItem(at: dir.appendingPathComponent("runs/tiny-shard-\(k).sqlite"),
                                             to: returned.appendingPathComponent("tiny-shard-\(k).sqlite"))
        }
        let merged = dir.appendingPathComponent("tiny.sqlite").path
        let merge = try NRLHostBinary.run(["merge", returned.appendingPathComponent("tiny-shard-1.sqlite").path,
                                           returned.appendingPathComponent("tiny-shard-2.sqlite").path, "-o", merged])
        XCTAssertEqual(merge.status, 0, merge.output)

        let whole = dir.appendingPathComponent("whole.sqlite").path
        let single = try NRLHostBinary.run(["compare", experiment, "--store", whole])
        XCTAssertEqual(single.status, 0, single.output)
        let runs = "SELECT key, label, environment, seed, status, steps, final_performance, spec FROM runs ORDER BY key"
        let episodes = "SELECT r.key, e.episode, e.return, e.length FROM episodes e JOIN runs r ON r.id = e.run_id ORDER BY r.key, e.episode"
        XCTAssertEqual(try sqliteRows(merged, runs).count, 4)
        XCTAssertEqual(try sqliteRows(merged, runs), try sqliteRows(whole, runs))
        XCTAssertEqual(try sqliteRows(merged, episodes).count, 200)
        XCTAssertEqual(try sqliteRows(merged, episodes), try sqliteRows(whole, episodes))
    }
}
