import ArgumentParser
import Foundation
import NRLCore
import LuaBridge
import NRLTools

struct GradeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grade",
        abstract: "Grade submitted rule scripts against an assignment, each sandboxed in its own process.",
        discussion: """
        Every submission is trained on the assignment's environments with its private grading seeds, under its limits, and scored. Each runs in a child process of its own that is killed if it overruns, so no submission can hang or crash the grader. Prints a table; --json writes one object per submission for a learning-management system. The exit code is 0 once the batch is graded, whatever the submissions did. Example:
          nrlhost grade scripts/assignments/np-reaching.lua submissions/*.lua --json grades.json
        """
    )

    @Argument(help: "The assignment file (scripts/assignments/*.lua).")
    var assignment: String

    @Argument(help: "The submitted rule scripts.")
    var submissions: [String]

    @Option(help: "Submissions graded at once (default: the number of cores; more makes the wall-clock limit unfair).")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Write the results as JSON (an array, one object per submission) to this file.")
    var json: String?

    func validate() throws {
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1") }
        guard !submissions.isEmpty else { throw ValidationError("name at least one submission") }
    }

    func run() throws {
        try AssignmentCheck.survives(assignment)
        let a = try Assignment.load(path: assignment)
        guard !a.gradingSeeds.isEmpty else {
            throw UsageError("\(assignment) has no grading seeds (seeds.grading); is it the students' copy? `nrlhost try` runs the practice seeds")
        }
        let jobs = min(self.jobs, submissions.count)
        print("\(a.name): \(a.title)")
        print("  \(a.runDescription(seeds: a.gradingSeeds.count, kind: "grading")); limits: \(a.limitsSummary); \(a.locality == .local ? "no exact gradients" : "any primitive")")
        print("  grading \(submissions.count) submission\(submissions.count == 1 ? "" : "s") on \(jobs) job\(jobs == 1 ? "" : "s")")
        let started = Date()
        let finished = Locked(0)
        let total = submissions.count
        let results = GradingPool(assignment: a, assignmentPath: assignment, seeds: .grading, jobs: jobs).grade(submissions) { result in
            let finished = finished.withValue { $0 += 1; return $0 }
            let score = String(format: "%.1f", result.score)
            FileHandle.standardError.write(Data("[\(finished)/\(total)] \(ScriptText.oneLine(result.submission)): \(result.status) (\(score))\n".utf8))
        }
        print(ResultTable.render(results))
        let count = { (status: String) in results.filter { $0.status == status }.count }
        print("\(results.count) graded in \(ProgressDisplay.duration(Date().timeIntervalSince(started))): \(count("passed")) passed, \(count("failed")) failed, \(count("error")) error\(count("error") == 1 ? "" : "s")")
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            let url = URL(fileURLWithPath: json)
            do {
                try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try (encoder.encode(results) + Data("\n".utf8)).write(to: url, options: .atomic)
            } catch {
                throw CommandFailure("cannot write \(json): \(error.localizedDescription)")
            }
            print("results: \(json)")
        }
    }
}

struct TryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "try",
        abstract: "Run a submission on an assignment's practice seeds, with the limits grading uses.",
        discussion: """
        What `nrlhost grade` does for one submission, on the public practice seeds instead of the private grading ones: the same sandbox, limits and scoring, and a learning curve. Exit code 1 if the submission breaks (an error), 0 otherwise. Example:
          nrlhost try scripts/assignments/np-reaching.lua my_np.lua
        """
    )

    @Argument(help: "The assignment file.")
    var assignment: String

    @Argument(help: "Your rule script.")
    var submission: String

    func run() throws {
        try AssignmentCheck.survives(assignment)
        let a = try Assignment.load(path: assignment)
        print("\(a.name): \(a.title)")
        print("  \(a.runDescription(seeds: a.practiceSeeds.count, kind: "practice")) (seeds \(a.practiceSeeds.map(String.init).joined(separator: ", "))); limits: \(a.limitsSummary)\(a.locality == .local ? "; no exact gradients (add_gradient)" : "")")
        let result = GradingPool(assignment: a, assignmentPath: assignment, seeds: .practice, jobs: 1).grade([submission]) { _ in }[0]
        print(ResultTable.render([result]))
        for env in a.environments {
            let runs = result.runs.filter { $0.env == env && $0.status == "completed" }
            guard let blocks = runs.map(\.curve.count).min(), blocks > 0 else { continue }
            let episodes = a.episodes[env]!
            let label = a.environments.count > 1 ? " on \(env)" : ""
            print("learning curve\(label) (mean return over the practice seeds):")
            for b in 0..<blocks {
                let lo = b * episodes / blocks + 1, hi = (b + 1) * episodes / blocks
                let mean = runs.map { $0.curve[b] }.reduce(0, +) / Double(runs.count)
                print(String(format: "  episodes %5d–%-5d %10.2f", lo, hi, mean))
            }
            if let t = result.environments.first(where: { $0.env == env }) {
                print("  \(a.metric == .final ? "final performance (mean of the last 50 episodes)" : "mean return over all episodes (auc)"): \(t.performance.map { String(format: "%.2f", $0) } ?? "—"); pass mark \(Self.number(t.pass)), full score at \(Self.number(t.full)), 0 at \(Self.number(t.baseline))")
            }
        }
        switch result.status {
        case "passed": print("passed on the practice seeds; grading uses other seeds, so leave some margin")
        case "failed": print("not yet: below the pass mark on the practice seeds")
        default: throw ExitCode(1)
        }
    }

    static func number(_ x: Double) -> String { x == x.rounded() && abs(x) < 1e9 ? String(Int(x)) : String(format: "%g", x) }
}

/// `nrlhost grade-worker`: grades one submission in this process and prints one JSON line. The
/// grader starts one per submission; a supervisor on the Lua watchdog thread ends it when its time is up, naming the line of
/// a call stuck where no Lua limit reaches (a pathological string pattern).
struct GradeWorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grade-worker", abstract: "Internal: grade one submission and print the result as JSON.", shouldDisplay: false)

    @Argument var assignment: String
    @Argument var submission: String = ""
    @Flag var practice = false
    /// Only load the assignment (the grader's check that loading it cannot crash the grader).
    @Flag(name: .customLong("assignment-only")) var assignmentOnly = false

    func run() throws {
        if assignmentOnly { CrashNote.install(); CrashNote.set("loading the assignment") }
        let a: Assignment
        do { a = try Assignment.load(path: assignment) } catch {
            throw CommandFailure("\(error)", exitCode: 2)
        }
        if assignmentOnly { return }
        let grader = SubmissionGrader(assignment: a, submission: submission, seeds: practice ? .practice : .grading)
        CrashNote.install()
        grader.onProgress = { CrashNote.set($0) }
        let output = OneLine()
        let budget = a.seconds
        let expired = Locked(false)
        // A call stuck in C past its per-call limit: the verdict names its line (the process ends).
        StuckCallGuard.onStuck { call in output.emit(grader.stuckResult(location: call.location), exit: true) }
        LuaCalls.supervise {
            let t = grader.elapsed
            guard t > budget else { return }
            if !expired.exchange(true) { LuaCalls.expireAll() }
            if t > budget + 0.25, let stuck = LuaCalls.stuckLocations(for: 0.2).first {
                output.emit(grader.stuckResult(location: stuck), exit: true)
            }
            if t > budget + 2 { output.emit(grader.timeoutResult(), exit: true) }
        }
        output.emit(grader.run(), exit: false)
    }

    /// The result line, written once, by whichever thread gets there first.
    final class OneLine: @unchecked Sendable {
        private let lock = NSLock()
        private var written = false

        func emit(_ result: GradeResult, exit: Bool) {
            lock.lock()
            if !written {
                written = true
                FileHandle.standardOutput.write(Data((result.jsonLine + "\n").utf8))
                if exit { _exit(0) }
            }
            lock.unlock()
        }
    }
}

/// The worker's last words: where grading was (a breadcrumb updated before every episode), written
/// to standard error by a handler of the fatal signals (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT,
/// SIGTRAP) before the signal takes its course, for the grader to put in the verdict. The handler
/// only copies a prepared buffer with write(2), which is async-signal-safe.
enum CrashNote {
    static let prefix = "nrlhost grade-worker: crashed while grading "
    private static let capacity = 1024
    nonisolated(unsafe) private static let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
    nonisolated(unsafe) private static var length = 0
    static let signals: [Int32] = [SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP]

    /// Sets the breadcrumb (the line the handler writes).
    static func set(_ place: String) {
        let bytes = Array((prefix + ScriptText.oneLine(place)).utf8.prefix(capacity - 1)) + [0x0A]
        length = 0  // while it changes, a crash writes nothing rather than a torn line
        bytes.withUnsafeBufferPointer { buffer.update(from: $0.baseAddress!, count: $0.count) }
        length = bytes.count
    }

    static func install() {
        set("(before the first run)")
        // An alternate stack, so that a stack overflow can still be reported.
        let size = 64 << 10
        var stack = stack_t(ss_sp: malloc(size), ss_flags: 0, ss_size: size)
        sigaltstack(&stack, nil)
        for signal in signals {
            var action = sigaction()
            action.__sigaction_handler.sa_sigaction = { signal, info, _ in
                if CrashNote.length > 0 { _ = write(STDERR_FILENO, CrashNote.buffer, CrashNote.length) }
                // Then the default action, so the grader sees the signal (not the Swift runtime's
                // backtracer, which may let a sent signal return): a fault happens again on return,
                // a sent or raised signal is raised again.
                Glibc.signal(signal, SIG_DFL)
                if let info, info.pointee.si_code <= 0 { raise(signal) }
            }
            action.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER
            sigemptyset(&action.sa_mask)
            sigaction(signal, &action, nil)
        }
    }

    /// The breadcrumb in a worker's standard error, if it wrote one.
    static func place(in stderr: String) -> String? {
        stderr.split(separator: "\n").last { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
    }
}

/// The grader loads the assignment in a child process first: an assignment that crashes or hangs
/// its loader (malformed, huge, hostile) is reported, and the grader itself lives on.
enum AssignmentCheck {
    static let timeout = 120.0

    static func survives(_ path: String) throws {
        let outcome: ChildProcess.Outcome
        do {
            outcome = try ChildProcess.run(ChildProcess.ownExecutable, ["grade-worker", "--assignment-only", "--", path], timeout: timeout)
        } catch {
            return  // no child process: load it here as before
        }
        let stderr = String(decoding: outcome.stderr, as: UTF8.self)
        let tail = stderr.split(separator: "\n").filter { !$0.hasPrefix(CrashNote.prefix) }.suffix(3).joined(separator: " | ")
        if outcome.timedOut {
            throw CommandFailure("loading the assignment \(path) did not finish in \(Int(timeout)) s; nothing was graded")
        }
        if let signal = outcome.signal {
            throw CommandFailure("loading the assignment \(path) crashed the process loading it (\(signalName(signal))); nothing was graded"
                                 + (tail.isEmpty ? "" : "; its last output: \(tail)"))
        }
        // A refused or stuck assignment: the child's own message (file:line), not a second attempt here.
        if outcome.exitStatus != 0 {
            let errorPrefix = "nrlhost: error: "
            let messages = stderr.split(separator: "\n").filter { $0.hasPrefix(errorPrefix) }.map { $0.dropFirst(errorPrefix.count) }
            throw CommandFailure(messages.isEmpty ? "loading the assignment \(path) failed (exit status \(outcome.exitStatus ?? -1))"
                                                  + (tail.isEmpty ? "" : ": \(tail)") : messages.joined(separator: "\n"))
        }
    }
}

/// "SIGSEGV (Segmentation fault)".
func signalName(_ signal: Int32) -> String {
    let names: [Int32: String] = [SIGSEGV: "SIGSEGV", SIGBUS: "SIGBUS", SIGILL: "SIGILL", SIGFPE: "SIGFPE", SIGABRT: "SIGABRT",
                                  SIGTRAP: "SIGTRAP", SIGKILL: "SIGKILL", SIGTERM: "SIGTERM", SIGINT: "SIGINT", SIGPIPE: "SIGPIPE",
                                  SIGXCPU: "SIGXCPU", SIGXFSZ: "SIGXFSZ", SIGSYS: "SIGSYS"]
    let description = strsignal(signal).map { String(cString: $0) }
    return (names[signal] ?? "signal \(signal)") + (description.map { " (\($0))" } ?? "")
}

/// Runs submissions in child processes (`nrlhost grade-worker`), `jobs` at a time, each killed if it
/// overruns its wall-clock limit by a margin.
final class GradingPool: @unchecked Sendable {
    let assignment: Assignment
    let assignmentPath: String
    let seeds: Assignment.SeedSet
    let jobs: Int

    init(assignment: Assignment, assignmentPath: String, seeds: Assignment.SeedSet, jobs: Int) {
        self.assignment = assignment
        self.assignmentPath = assignmentPath
        self.seeds = seeds
        self.jobs = max(1, jobs)
    }

    /// The wall-clock time after which a worker is killed: the limit, the worker's own grace period
    /// to report, and a margin.
    var hardTimeout: Double { assignment.seconds * 1.1 + 5 }

    /// Results in the order of `submissions`; `onResult` is called (serially) as each one finishes.
    func grade(_ submissions: [String], onResult: @escaping @Sendable (GradeResult) -> Void) -> [GradeResult] {
        let executable = ChildProcess.ownExecutable
        let results = Locked([GradeResult?](repeating: nil, count: submissions.count))
        WorkerPool.run(count: submissions.count, jobs: jobs) { [self] _, k in
            let result = gradeOne(submissions[k], executable: executable)
            results.withValue {
                $0[k] = result
                onResult(result)  // under the lock: results are reported one at a time
            }
        }
        return results.withValue { $0.map { $0! } }
    }

    private func gradeOne(_ submission: String, executable: String) -> GradeResult {
        // "--": a submission file named like an option is still a file.
        let arguments = ["grade-worker"] + (seeds == .practice ? ["--practice"] : []) + ["--", assignmentPath, submission]
        let outcome: ChildProcess.Outcome
        do {
            outcome = try ChildProcess.run(executable, arguments, timeout: hardTimeout)
        } catch {
            return broken(submission, seconds: 0, "the grader could not start a worker process: \(error)")
        }
        let lines = String(decoding: outcome.stdout, as: UTF8.self).split(separator: "\n")
        if let line = lines.last(where: { $0.hasPrefix("{") }), var result = GradeResult.decode(line: String(line)) {
            result.submission = submission
            return result
        }
        let seconds = outcome.seconds
        if outcome.timedOut {
            return broken(submission, seconds: seconds, "time limit exceeded: no result after \(Int(hardTimeout.rounded())) s, so the grader killed the worker process (the limit is \(Assignment.format(assignment.seconds)) s)")
        }
        let stderr = String(decoding: outcome.stderr, as: UTF8.self)
        let tail = stderr.split(separator: "\n").filter { !$0.hasPrefix(CrashNote.prefix) }.suffix(3).joined(separator: " | ")
        if let signal = outcome.signal {
            // The signal, where grading was (the worker's breadcrumb), and what it said last (the
            // Swift runtime's "Fatal error: … file:line", when it was a trap).
            let place = CrashNote.place(in: stderr)
            let fatal = stderr.split(separator: "\n").last { $0.contains("Fatal error:") }
            return broken(submission, seconds: seconds,
                          "the worker process grading this submission crashed with \(signalName(signal))"
                          + (place.map { " while grading \($0)" } ?? "")
                          + "; this is a bug in nrlhost, please report it"
                          + (fatal.map { ": \($0)" } ?? (tail.isEmpty ? "" : "; its last output: \(tail)")))
        }
        return broken(submission, seconds: seconds, "the worker process gave no result (exit status \(outcome.exitStatus ?? -1))" + (tail.isEmpty ? "" : ": \(tail)"))
    }

    private func broken(_ submission: String, seconds: Double, _ message: String) -> GradeResult {
        GradeResult.broken(submission: submission, assignment: assignment, seeds: seeds, seconds: seconds,
                           message: ScriptText.capped(message))
    }
}

/// The terminal table: one row per submission.
enum ResultTable {
    static func render(_ results: [GradeResult]) -> String {
        let header = ["submission", "status", "score", "final perf", "seconds", "reason"]
        let rows = results.map { r -> [String] in
            // A reason is the submission's own text: one line, its control characters made visible,
            // so it cannot move the cursor over another row (or its own).
            [ScriptText.oneLine(shorten(r.submission, 44)), ScriptText.oneLine(r.status), String(format: "%.1f", r.score),
             r.final_performance.map { String(format: "%.2f", $0) } ?? "—", String(format: "%.1f", r.seconds),
             ScriptText.oneLine(ScriptText.capped(r.reason ?? ""))]
        }
        let widths = (0..<header.count - 1).map { c in ([header] + rows).map { $0[c].count }.max()! }
        let rightAligned: Set<Int> = [2, 3, 4]
        func line(_ cells: [String]) -> String {
            var parts: [String] = []
            for (c, cell) in cells.enumerated() {
                guard c < widths.count else { parts.append(cell); continue }
                let pad = String(repeating: " ", count: widths[c] - cell.count)
                parts.append(rightAligned.contains(c) ? pad + cell : cell + pad)
            }
            return parts.joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n")
    }

    /// The path, or its end: "…/alice.lua" (the file name whole if it fits).
    static func shorten(_ s: String, _ width: Int) -> String {
        guard s.count > width else { return s }
        let name = URL(fileURLWithPath: s).lastPathComponent
        return name.count + 2 <= width ? "…/" + name : "…" + s.suffix(width - 1)
    }
}

extension Assignment {
    /// "reaching, 300 episodes × 3 grading seeds".
    func runDescription(seeds: Int, kind: String) -> String {
        let envs = environments.map { env -> String in
            let name = ScriptEnvironment.isScript(env) ? URL(fileURLWithPath: env).lastPathComponent : env
            return "\(name) (\(episodes[env]!) episodes)"
        }
        return "\(envs.joined(separator: ", ")), \(layers)×\(hidden) network, \(seeds) \(kind) seed\(seeds == 1 ? "" : "s")"
    }

    /// What `nrlhost check` prints for an assignment file.
    var checkSummary: String {
        var lines = ["ok: \(path) declares assignment '\(name)': \(title)"]
        lines.append("    \(runDescription(seeds: practiceSeeds.count, kind: "practice")), \(gradingSeeds.count) grading seed\(gradingSeeds.count == 1 ? "" : "s")\(gradingSeeds.isEmpty ? " (a students' copy: `grade` needs them)" : "")")
        lines.append("    limits: \(limitsSummary); locality \(locality.rawValue); metric \(metric.rawValue)")
        for env in environments {
            let t = thresholds[env]!
            lines.append("    scoring\(environments.count > 1 ? " on \(env)" : ""): 0 at \(t.baseline), pass at \(t.pass), 100 at \(t.full)")
        }
        return lines.joined(separator: "\n")
    }
}
