import NRLCore
import LuaBridge
import Foundation

/// A run's results on disk, written as the run goes so that nothing already computed is lost:
/// - `episodes.csv`: episode, return, length — one line per episode, handed to the operating system
///   (`fflush`) as the episode ends, so a crashed, hung or killed process keeps every finished episode;
/// - `metrics.csv`: episode, name, value — what a script logged with `log(name, value)`, flushed likewise;
/// - `run.json`: the full spec (every parameter, seeds, version, the scripts' content hashes), the
///   scripts' full text, the command line, the host (CPU model, cores, OS), every reload of a watched
///   script (the episode it took effect, its version, hash and the parameters in force after it) and,
///   once the run ends, how it ended. It is rewritten (atomically) at each reload and at the end.
///
/// CSV is written per RFC 4180 (`CSV`); non-finite numbers are `inf`, `-inf`, `nan` in the CSV files
/// and the strings "inf", "-inf", "nan" in run.json. A message is capped (`ScriptText.capped`).
///
/// `finish` may come from another thread (a supervisor saving the run before it ends the process),
/// so writes take a lock.
public final class RunDirectory: @unchecked Sendable {
    public let url: URL
    private let lock = NSLock()
    private let csv: UnsafeMutablePointer<FILE>
    private var metrics: UnsafeMutablePointer<FILE>?
    private let spec: RunSpec
    private let started = Date()
    private let scripts: [String: ScriptSource]
    private let provenance: RunProvenance
    private var reloads: [Reload] = []
    private var outcome = Outcome(status: "running", message: nil, episodesCompleted: 0, steps: 0, seconds: 0, finalPerformance: nil)

    /// A reload as run.json lists it.
    public struct Reload: Codable, Sendable, Equatable {
        /// The first episode the new version ran.
        public var episode: Int
        public var version: Int
        public var hash: String
        /// The rule's parameters in force after the reload.
        public var parameters: Parameters
        public var text: String
        /// True when a reloaded version failed in its first episode and this one, the version
        /// before it, took over again.
        public var reverted: Bool?
    }

    public struct Outcome: Codable, Sendable {
        public var status: String          // running, completed, interrupted, failed
        public var message: String?
        public var episodesCompleted: Int
        public var steps: Int
        public var seconds: Double
        public var finalPerformance: Double?

        public init(status: String, message: String?, episodesCompleted: Int, steps: Int, seconds: Double, finalPerformance: Double?) {
            self.status = status
            self.message = message
            self.episodesCompleted = episodesCompleted
            self.steps = steps
            self.seconds = seconds
            self.finalPerformance = finalPerformance
        }
    }

    /// `scripts`: the texts the run loaded, by role ("rule", "environment").
    public init(url: URL, spec: RunSpec, scripts: [String: ScriptSource] = [:], provenance: RunProvenance = RunProvenance()) throws {
        self.url = url
        self.spec = spec
        self.scripts = scripts
        self.provenance = provenance
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw UsageError("cannot create the output folder \(url.path): \(error.localizedDescription)")
        }
        // A reused folder must not keep another run's metrics.
        try? FileManager.default.removeItem(at: url.appendingPathComponent("metrics.csv"))
        let csvPath = url.appendingPathComponent("episodes.csv").path
        guard let f = fopen(csvPath, "w") else {
            throw UsageError("cannot write \(csvPath): \(String(cString: strerror(errno)))")
        }
        csv = f
        fputs("episode,return,length\n", csv)
        fflush(csv)
        try writeRecord()
    }

    deinit {
        fclose(csv)
        if let metrics { fclose(metrics) }
    }

    public func append(_ record: EpisodeRecord) {
        lock.lock()
        defer { lock.unlock() }
        fputs(CSV.row([String(record.episode), CSV.number(record.totalReward), String(record.length)]), csv)
        if !record.metrics.isEmpty {
            if metrics == nil {
                metrics = fopen(url.appendingPathComponent("metrics.csv").path, "w")
                if let metrics { fputs(CSV.row(["episode", "name", "value"]), metrics) }
            }
            if let metrics {
                for (name, value) in record.metrics.sorted(by: { $0.key < $1.key }) {
                    fputs(CSV.row([String(record.episode), name, CSV.number(value)]), metrics)
                }
            }
        }
        // The episode is finished: hand it to the OS before the next one starts (one write per
        // episode and file, not per step).
        flush()
    }

    private func flush() {
        fflush(csv)
        if let metrics { fflush(metrics) }
    }

    /// Flushes the episodes and records how the run ended.
    public func finish(_ outcome: Outcome) throws {
        lock.lock()
        defer { lock.unlock() }
        flush()
        self.outcome = outcome
        self.outcome.message = outcome.message.map { ScriptText.capped($0) }
        try writeRecord()
    }

    /// Records that the rule script was reloaded, or went back to the version before a reload that
    /// failed (`reverted`); run.json is rewritten at once.
    public func recordReload(_ reload: ScriptReload, reverted: Bool = false) throws {
        lock.lock()
        defer { lock.unlock() }
        reloads.append(Reload(episode: reload.episode, version: reload.version, hash: reload.source.hash,
                              parameters: reload.parameters, text: reload.source.text, reverted: reverted ? true : nil))
        try writeRecord()
    }

    private func writeRecord() throws {
        struct Record: Codable {
            var spec: RunSpec
            var scripts: [String: ScriptSource]
            var command: [String]
            var host: HostDescription
            var started: Date
            var reloads: [Reload]
            var outcome: Outcome
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        // JSON has no infinity or NaN: they are the strings "inf", "-inf" and "nan" (as in grade files).
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let data: Data
        do {
            data = try encoder.encode(Record(spec: spec, scripts: scripts, command: provenance.command, host: provenance.host,
                                             started: started, reloads: reloads, outcome: outcome))
        } catch {
            throw UsageError("cannot record the run in \(url.appendingPathComponent("run.json").path): \(error)")
        }
        // Write beside and rename, so a killed process never leaves a half-written record.
        let target = url.appendingPathComponent("run.json")
        let temporary = url.appendingPathComponent(".run.json.tmp")
        try data.write(to: temporary)
        guard rename(temporary.path, target.path) == 0 else {
            throw UsageError("cannot write \(target.path): \(String(cString: strerror(errno)))")
        }
    }
}
