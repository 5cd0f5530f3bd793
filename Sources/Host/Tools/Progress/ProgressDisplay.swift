import NRLCore
import Foundation

/// Shows a run's progress on standard error: on a terminal, one line rewritten in place a few
/// times a second; when piped, a new line every few seconds (so logs stay readable).
public final class ProgressDisplay {
    private let total: Int
    private let label: String
    public let isTerminal: Bool
    /// Shown after the progress (e.g. the last script reload, or why it failed).
    public var note: String?
    private let interval: Double
    private var last = 0.0
    private var recent = RecentReturns(capacity: 50)
    private var steps = 0
    private let start = Date()
    private var wroteLine = false

    public init(total: Int, label: String, isTerminal: Bool = isatty(STDERR_FILENO) != 0) {
        self.total = total
        self.label = label
        self.isTerminal = isTerminal
        interval = isTerminal ? 0.2 : 5
    }

    public func update(_ record: EpisodeRecord) {
        recent.add(record.totalReward)
        steps += record.length
        let elapsed = Date().timeIntervalSince(start)
        guard elapsed - last >= interval || record.episode == total else { return }
        last = elapsed
        let rate = elapsed > 0 ? Double(steps) / elapsed : 0
        let left = record.episode > 0 ? elapsed / Double(record.episode) * Double(total - record.episode) : 0
        var line = String(format: "%@ episode %d/%d  mean return (last 50) %.1f  %@ steps/s  %@ left",
                          label, record.episode, total, recent.mean ?? 0, Self.compact(rate), Self.duration(left))
        if let note, isTerminal { line += "  [\(ScriptText.oneLine(note))]" }
        if isTerminal {
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
            wroteLine = true
        } else {
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }

    /// Ends the in-place line so later output starts on a fresh one.
    public func finish() {
        if isTerminal && wroteLine { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    static func compact(_ v: Double) -> String {
        if v >= 1e6 { return String(format: "%.2fM", v / 1e6) }
        if v >= 1e3 { return String(format: "%.1fk", v / 1e3) }
        return String(format: "%.0f", v)
    }

    public static func duration(_ s: Double) -> String {
        if s < 60 { return String(format: "%.1fs", s) }
        if s < 3600 { return String(format: "%dm%02ds", Int(s) / 60, Int(s) % 60) }
        return String(format: "%dh%02dm", Int(s) / 3600, (Int(s) % 3600) / 60)
    }
}

/// Ctrl-C handling: the first SIGINT asks the run to stop at the next episode boundary (results so
/// far are flushed); a second one ends the process at once.
public enum Interruption {
    nonisolated(unsafe) private static var requested: sig_atomic_t = 0

    public static func install() {
        signal(SIGINT) { _ in
            if Interruption.requested != 0 { _exit(130) }
            Interruption.requested = 1
        }
    }

    public static var isRequested: Bool { requested != 0 }
}
