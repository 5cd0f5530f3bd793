import Foundation
import TestSupport
import XCTest

/// `nrlhost submit --slurm` on a real single-node Slurm cluster that the test starts itself
/// (tools/slurm-test-cluster.sh: Debian's slurmctld, slurmd and munge, which `make test` installs
/// through tools/install-deps.sh --test). The job array and the dependent merge run under Slurm; the
/// merged store must hold exactly what a single-process `nrlhost compare` of the same experiment gives.
/// The test never skips: a cluster that cannot start is a failure, shown with the daemons' logs.
final class SlurmSubmitTests: XCTestCase {
    /// One cluster for the class (starting it takes seconds), stopped after the last test.
    nonisolated(unsafe) static var clusterFolder: URL?
    nonisolated(unsafe) static var clusterProblem: String?

    static let clusterScript = ReferenceData.packageRoot.appendingPathComponent("tools/slurm-test-cluster.sh").path
    /// Generous: the tiny sweep takes seconds; a loaded CI machine may be much slower.
    static let jobTimeout: TimeInterval = 600

    var dir: URL!

    override class func setUp() {
        super.setUp()
        let folder = temporaryFolder()
        clusterFolder = folder
        do {
            // With this process's pid, the cluster stops itself should the test process die before tearDown.
            let started = try run("/bin/sh", [clusterScript, "start", folder.path, "\(getpid())"])
            if started.status != 0 { clusterProblem = "the test's Slurm cluster did not start:\n\(started.output)" }
        } catch {
            clusterProblem = "cannot run \(clusterScript): \(error)"
        }
    }

    override class func tearDown() {
        if let folder = clusterFolder {
            let stopped = try? run("/bin/sh", [clusterScript, "stop", folder.path])
            if let stopped, stopped.status != 0 { print("stopping the test's Slurm cluster: \(stopped.output)") }
            try? FileManager.default.removeItem(at: folder)
        }
        super.tearDown()
    }

    override func setUp() { dir = temporaryFolder() }
    override func tearDown() { try? FileManager.default.removeItem(at: dir) }

    func write(_ name: String, _ text: String) throws -> String { try writeScratchFile(name, text, in: dir) }

    /// The environment every command gets: the test's cluster (sbatch passes it on to the jobs).
    static var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        if let folder = clusterFolder { environment["SLURM_CONF"] = folder.appendingPathComponent("slurm.conf").path }
        return environment
    }

    /// Runs `executable arguments…` (a path, or a name on the PATH) in the cluster's environment.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> CommandResult {
        try SpawnedCommand.run(executable, arguments, environment: environment ?? Self.environment)
    }

    func nrlhost(_ arguments: [String]) throws -> CommandResult {
        try Self.run(NRLHostBinary.url.path, arguments)
    }

    /// The cluster's daemons' logs and the jobs' logs, for a failure message.
    func logs(_ storeDirectory: String) -> String {
        var text = (try? Self.run("/bin/sh", [Self.clusterScript, "logs", Self.clusterFolder?.path ?? "/nonexistent"]))?.stdout ?? ""
        let folder = storeDirectory + "/logs"
        for name in ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted() {
            text += "--- \(folder)/\(name)\n" + ((try? String(contentsOfFile: folder + "/" + name, encoding: .utf8)) ?? "?")
        }
        return text
    }

    /// Each job's (or array task's) state and reason, as `scontrol` reports them.
    func jobStates(_ job: String) -> [(state: String, reason: String)] {
        let shown = (try? Self.run("scontrol", ["-o", "show", "job", job]))?.stdout ?? ""
        return shown.split(separator: "\n").map { line in
            func field(_ name: String) -> String {
                line.split(separator: " ").first { $0.hasPrefix(name + "=") }.map { String($0.dropFirst(name.count + 1)) } ?? "?"
            }
            return (field("JobState"), field("Reason"))
        }
    }

    /// Waits until every task of `job` has ended; returns their states (nil: still running at the timeout).
    func waitForEnd(of job: String) -> [(state: String, reason: String)]? {
        let ongoing: Set = ["PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "SUSPENDED", "REQUEUED", "RESIZING", "?"]
        let deadline = Date().addingTimeInterval(Self.jobTimeout)
        while Date() < deadline {
            let states = jobStates(job)
            if !states.isEmpty && states.allSatisfy({ !ongoing.contains($0.state) }) { return states }
            usleep(250_000)
        }
        return nil
    }

    /// The job id printed on the line `<label>: <id> …` of `submit`'s output.
    func jobID(_ label: String, in output: String) -> String? {
        output.split(separator: "\n").first { $0.hasPrefix(label + ": ") }?
            .dropFirst(label.count + 2).split(separator: " ").first.map(String.init)
    }

    static let tiny = """
    return experiment { name = "tiny", rules = { "nrl", "bp" }, envs = { "cartpole" }, seeds = { 1, 2 }, episodes = 50 }

    """

    /// What a run is, apart from when and where it ran: sorted rows of runs and of episodes by run key.
    static let runsQuery = """
        SELECT key, experiment, group_name, label, rule, script, environment, hidden, layers, seed, init_seed, protocol,
               episodes, spec, status, steps, final_performance FROM runs ORDER BY key
        """
    static let episodesQuery = "SELECT r.key, e.episode, e.return, e.length FROM episodes e JOIN runs r ON r.id = e.run_id ORDER BY r.key, e.episode"
    static let metricsQuery = "SELECT r.key, m.episode, m.name, m.value FROM metrics m JOIN runs r ON r.id = m.run_id ORDER BY 1, 2, 3"

    /// The sweep submitted as a job array with a dependent merge gives the store a single-process
    /// `compare` gives; a resubmitted single index runs its own shard, not the whole sweep.
    func testSubmittedSweepMergesIntoWhatCompareGives() throws {
        if let problem = Self.clusterProblem { return XCTFail(problem) }
        let experiment = try write("tiny.lua", Self.tiny)
        let runs = dir.appendingPathComponent("runs").path
        let submitted = try nrlhost(["submit", experiment, "--slurm", "--shards", "2", "--cpus", "1", "--store-dir", runs])
        XCTAssertEqual(submitted.status, 0, submitted.output)
        let array = try XCTUnwrap(jobID("array job", in: submitted.stdout), submitted.output)
        let merge = try XCTUnwrap(jobID("merge job", in: submitted.stdout), submitted.output)
        XCTAssertTrue(submitted.stdout.contains("squeue -j \(array),\(merge)"), submitted.stdout)

        let mergeEnd = try XCTUnwrap(waitForEnd(of: merge), "the merge job did not end in \(Self.jobTimeout) s\n\(logs(runs))")
        XCTAssertEqual(mergeEnd.map(\.state), ["COMPLETED"], logs(runs))
        XCTAssertEqual(jobStates(array).map(\.state), ["COMPLETED", "COMPLETED"], logs(runs))
        let merged = runs + "/tiny.sqlite"
        XCTAssertTrue(FileManager.default.fileExists(atPath: merged), logs(runs))
        let log = try String(contentsOfFile: runs + "/logs/tiny-merge-\(merge).out", encoding: .utf8)
        XCTAssertTrue(log.contains("merged store: \(merged), 4 runs"), log)

        let whole = dir.appendingPathComponent("whole.sqlite").path
        let single = try nrlhost(["compare", experiment, "--store", whole])
        XCTAssertEqual(single.status, 0, single.output)
        let mergedRuns = try sqliteRows(merged, Self.runsQuery)
        XCTAssertEqual(mergedRuns.count, 4)
        XCTAssertEqual(mergedRuns, try sqliteRows(whole, Self.runsQuery))
        let mergedEpisodes = try sqliteRows(merged, Self.episodesQuery)
        XCTAssertEqual(mergedEpisodes.count, 4 * 50)
        XCTAssertEqual(mergedEpisodes, try sqliteRows(whole, Self.episodesQuery))
        XCTAssertEqual(try sqliteRows(merged, Self.metricsQuery), try sqliteRows(whole, Self.metricsQuery))
        XCTAssertEqual(try sqliteRows(merged, "SELECT DISTINCT status FROM runs"), ["completed"])

        // A lost shard, resubmitted alone as the doc says: SLURM_ARRAY_TASK_COUNT is then 1, but the
        // script knows N, so task 2 runs shard 2 of 2 again — the same runs, not the whole sweep.
        let shard2 = runs + "/tiny-shard-2.sqlite"
        let keys = try sqliteRows(shard2, "SELECT key FROM runs ORDER BY key")
        XCTAssertEqual(keys.count, 2)
        try FileManager.default.removeItem(atPath: shard2)
        let again = try Self.run("sbatch", ["--parsable", "--array=2", runs + "/tiny.sbatch"])
        XCTAssertEqual(again.status, 0, again.output)
        let rerun = again.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let rerunEnd = try XCTUnwrap(waitForEnd(of: rerun), "the resubmitted task did not end\n\(logs(runs))")
        XCTAssertEqual(rerunEnd.map(\.state), ["COMPLETED"], logs(runs))
        XCTAssertEqual(try sqliteRows(shard2, "SELECT key FROM runs ORDER BY key"), keys, logs(runs))
    }

    /// A task that fails leaves the afterok merge unsatisfiable: Slurm cancels it and no merged store is made.
    func testAFailedTaskCancelsTheMerge() throws {
        if let problem = Self.clusterProblem { return XCTFail(problem) }
        _ = try write("explodes.lua", ruleFailingInEpisode3)
        let experiment = try write("mixed.lua", """
            return experiment { name = "mixed", rules = { "explodes.lua", "bp" }, envs = { "cartpole" }, seeds = { 1 }, episodes = 5 }

            """)
        let runs = dir.appendingPathComponent("runs").path
        let submitted = try nrlhost(["submit", experiment, "--slurm", "--shards", "2", "--store-dir", runs])
        XCTAssertEqual(submitted.status, 0, submitted.output)
        let array = try XCTUnwrap(jobID("array job", in: submitted.stdout), submitted.output)
        let merge = try XCTUnwrap(jobID("merge job", in: submitted.stdout), submitted.output)
        let mergeEnd = try XCTUnwrap(waitForEnd(of: merge), "the merge job did not end in \(Self.jobTimeout) s\n\(logs(runs))")
        XCTAssertEqual(mergeEnd.first?.state, "CANCELLED", logs(runs))
        XCTAssertEqual(mergeEnd.first?.reason, "DependencyNeverSatisfied", logs(runs))
        XCTAssertEqual(jobStates(array).map(\.state).sorted(), ["COMPLETED", "FAILED"], logs(runs))
        XCTAssertFalse(FileManager.default.fileExists(atPath: runs + "/mixed.sqlite"))
    }

    /// --dry-run shows both scripts, with the shard count written in, and submits nothing; without
    /// sbatch on the PATH, submit says what is missing.
    func testDryRunAndMissingSbatch() throws {
        let experiment = try write("tiny.lua", Self.tiny)
        let runs = dir.appendingPathComponent("runs").path
        let dry = try nrlhost(["submit", experiment, "--slurm", "--shards", "3", "--cpus", "2", "--time", "00:30:00",
                           "--partition", "short", "--store-dir", runs, "--dry-run"])
        XCTAssertEqual(dry.status, 0, dry.output)
        for line in ["#SBATCH --array=1-3", "#SBATCH --cpus-per-task=2", "#SBATCH --time=00:30:00", "#SBATCH --partition=short",
                     "N=3", "--shard \"${K}/${N}\"", "#SBATCH --output=\(runs)/logs/tiny-%A_%a.out",
                     "merge \\\n    \(runs)/tiny-shard-1.sqlite \\\n    \(runs)/tiny-shard-2.sqlite \\\n    \(runs)/tiny-shard-3.sqlite \\\n    -o \(runs)/tiny.sqlite\n",
                     "--dependency=afterok:<array job id> --kill-on-invalid-dep=yes"] {
            XCTAssertTrue(dry.stdout.contains(line), "expected «\(line)» in\n\(dry.stdout)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: runs), "a dry run writes nothing")

        var noSlurm = Self.environment
        noSlurm["PATH"] = "/nonexistent"
        let missing = try Self.run(NRLHostBinary.url.path, ["submit", experiment, "--slurm", "--shards", "2", "--store-dir", runs],
                               environment: noSlurm)
        XCTAssertEqual(missing.status, 1, missing.output)
        XCTAssertTrue(missing.stderr.contains("there is no 'sbatch' on the PATH"), missing.stderr)

        let tooMany = try nrlhost(["submit", experiment, "--slurm", "--shards", "5", "--store-dir", runs])
        XCTAssertEqual(tooMany.status, 64, tooMany.output)
        XCTAssertTrue(tooMany.stderr.contains("--shards 5 is more than the experiment's 4 runs"), tooMany.stderr)
    }
}
