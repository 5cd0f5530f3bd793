import ArgumentParser
import BuiltinRules
import Foundation
import NRLCore
import LuaBridge
import NRLTools

struct SubmitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Run an experiment on a Slurm cluster: a job array of shards, then their merge into one store.",
        discussion: """
        Checks the experiment, writes two batch scripts into the store folder — <name>.sbatch (task K runs `nrlhost compare --shard K/N` into <name>-shard-K.sqlite) and <name>-merge.sbatch (`nrlhost merge` into <name>.sqlite) — creates its logs/ folder, submits the array with sbatch, and submits the merge to run once every task has succeeded (--dependency=afterok, --kill-on-invalid-dep=yes: if a task fails, Slurm cancels the merge). Rerun a failed shard with `sbatch --array=K <name>.sbatch`, then `sbatch <name>-merge.sbatch`. The cluster's nodes must see the same paths (a shared file system). See docs/scaling.md.
        """
    )

    @Argument(help: "An experiment file (scripts/experiments/*.lua).")
    var experiment: String

    @Flag(help: "Submit to Slurm with sbatch (the one scheduler nrlhost submits to).")
    var slurm = false

    @Option(help: "Number of shards: array tasks, each running 1/N of the runs into its own store.")
    var shards: Int

    @Option(help: "Cores per task (each task runs its shard's runs in parallel on them).")
    var cpus: Int = 1

    @Option(help: "Time limit per task, in Slurm's format (e.g. 01:00:00 or 2-00:00:00).")
    var time: String?

    @Option(help: "Slurm partition (default: the cluster's default partition).")
    var partition: String?

    @Option(name: .customLong("store-dir"), help: "Folder for the scripts, the shard stores, the merged store and logs/.")
    var storeDirectory: String = "runs"

    @Option(help: "The nrlhost executable the jobs run (default: this one, by its absolute path).")
    var nrlhost: String?

    @Flag(name: .customLong("dry-run"), help: "Print the scripts and the sbatch commands; write and submit nothing.")
    var dryRun = false

    @OptionGroup var scriptLimits: ScriptLimitOptions

    /// What Slurm accepts in an #SBATCH line and a job name without quoting.
    private static let slurmSafe = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-+:/,=@")

    func validate() throws {
        guard slurm else { throw ValidationError("choose the scheduler: --slurm (the one nrlhost submits to)") }
        guard shards >= 1 else { throw ValidationError("--shards must be at least 1") }
        guard cpus >= 1 else { throw ValidationError("--cpus must be at least 1") }
        for (option, value) in [("--time", time), ("--partition", partition), ("--store-dir", storeDirectory)] {
            if let value, value.isEmpty || !value.unicodeScalars.allSatisfy(Self.slurmSafe.contains) {
                throw ValidationError("\(option) '\(ScriptText.oneLine(value))' cannot be written into an #SBATCH line: use letters, digits and . _ - + : / , = @")
            }
        }
    }

    func run() throws {
        let limits = scriptLimits.limits
        let plan = try Experiment.load(path: experiment, plugins: BuiltinRules.plugins(), limits: limits)
        guard plan.name.unicodeScalars.allSatisfy(Self.slurmSafe.contains), !plan.name.contains("/") else {
            throw UsageError("the experiment name '\(ScriptText.oneLine(plan.name))' cannot name Slurm jobs and files: use letters, digits and . _ - +")
        }
        guard shards <= plan.runs.count else {
            throw UsageError("--shards \(shards) is more than the experiment's \(plan.runs.count) runs; use at most \(plan.runs.count)")
        }
        let scripts = SlurmScripts(
            experimentName: plan.name, experimentPath: Self.absolute(experiment),
            nrlhost: Self.absolute(nrlhost ?? ChildProcess.ownExecutable), storeDirectory: Self.absolute(storeDirectory),
            shards: shards, cpusPerTask: cpus, time: time, partition: partition,
            compareOptions: scriptLimitOptions(), version: NRLHostVersion.current)
        let perShard = (plan.runs.count + shards - 1) / shards
        print("experiment '\(plan.name)': \(plan.runs.count) runs in \(shards) shards (up to \(perShard) runs each), \(cpus) \(cpus == 1 ? "core" : "cores") per task")

        let arrayCommand = "sbatch --parsable \(scripts.arrayScriptPath)"
        let mergeCommand = "sbatch --parsable --dependency=afterok:<array job id> --kill-on-invalid-dep=yes \(scripts.mergeScriptPath)"
        if dryRun {
            print("\n# \(scripts.arrayScriptPath)\n\(scripts.arrayScript)")
            print("# \(scripts.mergeScriptPath)\n\(scripts.mergeScript)")
            print("would create \(scripts.logsDirectory)/ and run:\n  \(arrayCommand)\n  \(mergeCommand)")
            print("(dry run: nothing written, nothing submitted)")
            return
        }

        let sbatch = try Sbatch.locate()
        do {
            // Slurm opens the --output file in logs/ before the task starts: without the folder a task
            // fails with no output at all.
            try FileManager.default.createDirectory(atPath: scripts.logsDirectory, withIntermediateDirectories: true)
            try scripts.arrayScript.write(toFile: scripts.arrayScriptPath, atomically: true, encoding: .utf8)
            try scripts.mergeScript.write(toFile: scripts.mergeScriptPath, atomically: true, encoding: .utf8)
        } catch {
            throw CommandFailure("cannot write the batch scripts into \(scripts.storeDirectory): \(error.localizedDescription)")
        }
        print("wrote \(scripts.arrayScriptPath) (the shards) and \(scripts.mergeScriptPath) (the merge)")

        let arrayJob = try sbatch.submit(scripts.arrayScriptPath, what: "the job array (\(scripts.arrayScriptPath))")
        print("array job: \(arrayJob) (tasks 1-\(shards))")
        let mergeJob: String
        do {
            mergeJob = try sbatch.submit(scripts.mergeScriptPath, options: ["--dependency=afterok:\(arrayJob)", "--kill-on-invalid-dep=yes"],
                                         what: "the merge job (\(scripts.mergeScriptPath))")
        } catch {
            throw CommandFailure("\(error)\nthe shards are submitted (job \(arrayJob)); submit the merge once they are done: sbatch \(scripts.mergeScriptPath)")
        }
        print("merge job: \(mergeJob) (runs once every task has succeeded)")
        print("""
            follow:       squeue -j \(arrayJob),\(mergeJob)
            task logs:    \(scripts.shardLog(job: arrayJob, task: "K")) (K = 1…\(shards))
            merge log:    \(scripts.mergeLog(job: mergeJob))
            merged store: \(scripts.mergedStore) — then: nrlhost report \(scripts.mergedStore) --html \(plan.name).html
            if a task fails, Slurm cancels the merge (its dependency can never be met): rerun that shard with
              sbatch --array=K \(scripts.arrayScriptPath)
            (it completes only the runs its store lacks), then the merge with
              sbatch \(scripts.mergeScriptPath)
            """)
    }

    /// The script limits given on this command line, passed on to every shard's `compare`.
    private func scriptLimitOptions() -> [String] {
        let standard = ScriptLimits.standard
        var options: [String] = []
        if scriptLimits.maxInstructions != standard.instructionsPerCall { options += ["--max-instructions", "\(scriptLimits.maxInstructions)"] }
        if scriptLimits.maxMemory != standard.memoryBytes >> 20 { options += ["--max-memory", "\(scriptLimits.maxMemory)"] }
        if scriptLimits.maxSeconds != standard.secondsPerCall { options += ["--max-seconds", "\(scriptLimits.maxSeconds)"] }
        return options
    }

    /// `path` made absolute against the current folder, so the scripts work from anywhere.
    private static func absolute(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.path
    }
}
