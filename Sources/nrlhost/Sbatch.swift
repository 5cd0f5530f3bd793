import Foundation

/// Slurm's `sbatch`, found on the PATH and run with `--parsable` (which prints the job id alone).
struct Sbatch {
    let executable: String

    /// The `sbatch` on the PATH; a failure that says what to install when there is none.
    static func locate(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Sbatch {
        let folders = (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":").map(String.init)
        for folder in folders where !folder.isEmpty {
            let candidate = folder + "/sbatch"
            if FileManager.default.isExecutableFile(atPath: candidate) { return Sbatch(executable: candidate) }
        }
        throw CommandFailure("""
            there is no 'sbatch' on the PATH: submitting needs a Slurm client configured for your cluster \
            (on Debian: apt-get install slurm-client; on a cluster: module load slurm or ask its admins). \
            `nrlhost submit … --dry-run` prints the scripts without submitting.
            """)
    }

    /// Submits `script` with extra `options` (before the script); returns the job id.
    /// `what` names the job in messages ("the job array").
    func submit(_ script: String, options: [String] = [], what: String) throws -> String {
        let outcome: ChildProcess.Outcome
        do {
            outcome = try ChildProcess.run(executable, ["--parsable"] + options + [script], timeout: 120)
        } catch {
            throw CommandFailure("cannot run \(executable) for \(what): \(error)")
        }
        let stdout = String(decoding: outcome.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let stderr = String(decoding: outcome.stderr, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard outcome.exitStatus == 0 else {
            let how = outcome.timedOut ? "did not answer in 120 s" : outcome.exitStatus.map { "exited with status \($0)" } ?? "was killed"
            throw CommandFailure("sbatch refused \(what) (\(how)): \(stderr.isEmpty ? stdout : stderr)")
        }
        // --parsable prints "jobid" or "jobid;cluster".
        let id = String(stdout.split(separator: "\n").last?.split(separator: ";").first ?? "")
        guard !id.isEmpty, id.allSatisfy(\.isNumber) else {
            throw CommandFailure("sbatch accepted \(what) but printed no job id: '\(stdout)'")
        }
        return id
    }
}
