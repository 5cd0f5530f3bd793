import Foundation

/// The two batch scripts `nrlhost submit` writes for a sweep: a job array that runs one shard of the
/// experiment per task into its own store, and the merge of those stores into one. Every path in them
/// is absolute, so a script can be resubmitted from any folder (the cluster's nodes must see the same
/// paths: a shared file system).
struct SlurmScripts {
    var experimentName: String
    /// Absolute paths: the experiment file, the nrlhost executable the jobs run, the folder of the stores.
    var experimentPath: String
    var nrlhost: String
    var storeDirectory: String
    var shards: Int
    var cpusPerTask: Int
    var time: String?
    var partition: String?
    /// Options every shard's `nrlhost compare` gets besides the shard's own (e.g. script limits).
    var compareOptions: [String] = []
    /// The nrlhost version that wrote the scripts (a comment in them).
    var version: String

    var arrayScriptPath: String { storeDirectory + "/\(experimentName).sbatch" }
    var mergeScriptPath: String { storeDirectory + "/\(experimentName)-merge.sbatch" }
    var logsDirectory: String { storeDirectory + "/logs" }
    var mergedStore: String { storeDirectory + "/\(experimentName).sqlite" }
    func shardStore(_ k: Int) -> String { storeDirectory + "/\(experimentName)-shard-\(k).sqlite" }
    /// Where Slurm writes task K's output, once the array has its job id.
    func shardLog(job: String, task: String) -> String { logsDirectory + "/\(experimentName)-\(job)_\(task).out" }
    func mergeLog(job: String) -> String { logsDirectory + "/\(experimentName)-merge-\(job).out" }

    /// The job array: task K runs shard K of N. N is written into the script rather than read from
    /// SLURM_ARRAY_TASK_COUNT, which is 1 when a single index is resubmitted (`sbatch --array=7`).
    var arrayScript: String {
        var lines = [
            "#!/bin/bash",
            "# Written by nrlhost \(version) (`nrlhost submit`): experiment '\(experimentName)' in \(shards) shards.",
            "# Task K runs shard K of \(shards) into its own store. Rerun one shard (it completes only the runs its",
            "# store lacks): sbatch --array=K \(arrayScriptPath)",
        ]
        lines += sbatchOptions(job: "nrl-\(experimentName)", array: "1-\(shards)", cpus: cpusPerTask,
                               output: "\(logsDirectory)/\(experimentName)-%A_%a.out")
        lines += [
            "set -euo pipefail",
            "N=\(shards)",
            "K=${SLURM_ARRAY_TASK_ID:?submit this script with sbatch: it is a job array}",
            "exec " + ([nrlhost, "compare", experimentPath].map(Self.quoted) + compareOptions.map(Self.quoted)).joined(separator: " ") + " \\",
            "    --jobs \"${SLURM_CPUS_PER_TASK:-\(cpusPerTask)}\" --shard \"${K}/${N}\" \\",
            // The store folder and the name hold no character the shell treats specially (SubmitCommand checks).
            "    --store \"\(storeDirectory)/\(experimentName)-shard-${K}.sqlite\"",
        ]
        return lines.joined(separator: "\n") + "\n"
    }

    /// The merge: every shard's store into one. The shards are named one by one, so a missing store
    /// is an error rather than a smaller merge.
    var mergeScript: String {
        var lines = [
            "#!/bin/bash",
            "# Written by nrlhost \(version) (`nrlhost submit`): merges the \(shards) shard stores of experiment '\(experimentName)'.",
            "# Submitted to run after every task of the array succeeded; submit it again by hand after rerunning a shard.",
        ]
        lines += sbatchOptions(job: "nrl-\(experimentName)-merge", array: nil, cpus: 1,
                               output: "\(logsDirectory)/\(experimentName)-merge-%j.out")
        lines += [
            "set -euo pipefail",
            "exec \(Self.quoted(nrlhost)) merge \\",
        ]
        lines += (1...shards).map { "    \(Self.quoted(shardStore($0))) \\" }
        lines.append("    -o \(Self.quoted(mergedStore))")
        return lines.joined(separator: "\n") + "\n"
    }

    /// The #SBATCH lines of a script: its name, array, cores, the time and partition the user set, its log.
    private func sbatchOptions(job: String, array: String?, cpus: Int, output: String) -> [String] {
        var lines = ["#SBATCH --job-name=\(job)"]
        if let array { lines.append("#SBATCH --array=\(array)") }
        lines.append("#SBATCH --cpus-per-task=\(cpus)")
        if let time { lines.append("#SBATCH --time=\(time)") }
        if let partition { lines.append("#SBATCH --partition=\(partition)") }
        lines.append("#SBATCH --output=\(output)")
        return lines
    }

    /// `text` as one bash word: as it is when it needs no quoting, else in single quotes.
    static func quoted(_ text: String) -> String {
        let plain = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+=:,@")
        if !text.isEmpty && text.unicodeScalars.allSatisfy(plain.contains) { return text }
        return "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
