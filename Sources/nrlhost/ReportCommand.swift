import ArgumentParser
import BuiltinRules
import Foundation
import NRLCore
import LuaBridge
import NRLTools

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Summarise a results store: final performance per rule, learning curves, the depth study, failed runs and diagnostics.",
        discussion: """
        Without an output option the table of final performance (mean ± sd over seeds of the mean return of the last 50 episodes) is printed. --html writes a self-contained page (inline SVG and CSS); --md a Markdown report with the tables; --svg one SVG file per figure (the Markdown report links to them). Diagnostics — for each distinct rule spec of the store, the cosine between its update and BP's exact policy gradient at checkpoints of a run (as `nrlhost diagnose`); on the store's builtin environments the cosine between each rule family's update estimator and the exact gradient of a toy objective; a cost card per builtin rule — are included in files by default (--no-diagnostics leaves them out) and printed with --diagnostics; for a three-rule CartPole store they take about a second in a release build.
          nrlhost report runs/paper.sqlite --md docs/reproduction-tables.md --svg docs/figures --html paper.html
        """
    )

    @Argument(help: "The results store.")
    var store: String

    @Option(help: "Write a self-contained HTML report to this file.")
    var html: String?

    @Option(help: "Write a Markdown report to this file.")
    var md: String?

    @Option(help: "Write the figures as SVG files into this folder.")
    var svg: String?

    @Flag(inversion: .prefixedNo, help: "Measure the diagnostics (each rule against BP's exact update, the estimators' gradient alignment) and add the cost card (default: in files, not on the terminal).")
    var diagnostics: Bool?

    @Option(name: .customLong("alignment-episodes"), help: "Diagnostics: train each rule at most this many episodes for its gradient-alignment checkpoints.")
    var alignmentEpisodes: Int = RuleAlignmentSettings().episodes

    @Option(name: .customLong("alignment-batch"), help: "Diagnostics: episodes per gradient-alignment checkpoint.")
    var alignmentBatch: Int = RuleAlignmentSettings().batch

    @Option(help: "The band around each learning curve: minmax (over seeds) or sd (mean ± 1 sd).")
    var band: String = SpreadBand.minMax.rawValue

    @Option(help: "The return that counts as reaching an environment, for sample efficiency: ENV=VALUE, e.g. --threshold reaching=250 (repeatable; default: Gymnasium's reward_threshold, else 90% of the best rule's IQM).")
    var threshold: [String] = []

    func validate() throws {
        guard SpreadBand(rawValue: band) != nil else {
            throw ValidationError("--band is minmax or sd, got '\(band)'")
        }
        guard alignmentEpisodes >= 0 else { throw ValidationError("--alignment-episodes must be ≥ 0, got \(alignmentEpisodes)") }
        guard alignmentBatch >= 1 else { throw ValidationError("--alignment-batch must be at least 1, got \(alignmentBatch)") }
        _ = try thresholds()
    }

    /// `--threshold ENV=VALUE` by canonical environment name.
    private func thresholds() throws -> [String: Double] {
        var out: [String: Double] = [:]
        for text in threshold {
            let parts = text.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty, let value = Double(parts[1]), value.isFinite else {
                throw ValidationError("--threshold takes ENV=VALUE with a finite number, e.g. reaching=250; got '\(ScriptText.oneLine(text))'")
            }
            out[EnvironmentRegistry.builtin.canonicalName(parts[0]) ?? parts[0]] = value
        }
        return out
    }

    func run() throws {
        let results = try ResultStore(path: store, create: false)
        let model: ReportModel
        do {
            model = try ReportModel(store: results, options: .init(band: SpreadBand(rawValue: band)!, thresholds: thresholds()))
        } catch {
            throw CommandFailure("cannot read \(store): \(error)")
        }
        let writesFiles = html != nil || md != nil || svg != nil
        let diagnosticsSection: Diagnostics?
        if diagnostics ?? writesFiles {
            diagnosticsSection = try measureDiagnostics(results)
        } else {
            diagnosticsSection = nil
        }

        if !writesFiles {
            printTerminal(model, diagnosticsSection)
            return
        }
        var figureLinks: [String: String]?
        if let svg {
            let folder = URL(fileURLWithPath: svg)
            try create(folder: folder)
            var written: [String: URL] = [:]
            for figure in model.curveFigures + model.metricFigures {
                let url = folder.appendingPathComponent(figure.id + ".svg")
                try write(SVGChart.learningCurves(figure, palette: model.palette, band: model.band), to: url)
                written[figure.id] = url
            }
            for entry in model.profileFigures {
                let url = folder.appendingPathComponent(entry.id + ".svg")
                try write(ProfileChart.svg(entry.figure, palette: model.palette), to: url)
                written[entry.id] = url
            }
            for figure in model.depthFigures {
                let url = folder.appendingPathComponent(figure.id + ".svg")
                try write(SVGChart.depth(figure, palette: model.palette), to: url)
                written[figure.id] = url
            }
            print("wrote \(written.count) SVG figure\(written.count == 1 ? "" : "s") to \(svg)")
            let base = URL(fileURLWithPath: md ?? ".").deletingLastPathComponent()
            figureLinks = written.mapValues { MarkdownReport.relativePath(from: base, to: $0) }
        }
        if let md {
            try write(MarkdownReport.render(model, diagnostics: diagnosticsSection, figureLinks: figureLinks), to: URL(fileURLWithPath: md))
            print("wrote \(md)")
        }
        if let html {
            try write(HTMLReport.render(model, diagnostics: diagnosticsSection), to: URL(fileURLWithPath: html))
            print("wrote \(html)")
        }
        if let d = diagnosticsSection?.alignment {
            print(String(format: "diagnostics: gradient alignment on %d environments in %.1f s", Set(d.rows.map(\.environment)).count, d.seconds))
        }
        if let r = diagnosticsSection?.ruleAlignment {
            print("diagnostics: \(r.rows.count) rule\(r.rows.count == 1 ? "" : "s") against BP's exact update in " + String(format: "%.1f s", r.seconds))
        }
        if model.failedRuns > 0 { print("\(model.failedRuns) run\(model.failedRuns == 1 ? "" : "s") failed; see the report's failed runs") }
    }

    /// The diagnostics of the store's environments and rules.
    private func measureDiagnostics(_ results: ResultStore) throws -> Diagnostics {
        let runs = try results.runs()
        var diagnostics: Diagnostics
        do { diagnostics = try Diagnostics.compute(environments: runs.map(\.environment)) } catch {
            throw CommandFailure("the diagnostics failed: \(error)")
        }
        let plugins = BuiltinRules.plugins().addingScriptEnvironments(limits: .standard)
        // The current configurations, each script as it ran (the store keeps every version's text).
        diagnostics.ruleAlignment = RuleAlignment.measure(runs: runs.filter { !$0.superseded }, plugins: plugins,
                                                          settings: RuleAlignmentSettings(episodes: alignmentEpisodes, batch: alignmentBatch),
                                                          storedScript: { try? results.script(hash: $0) })
        return diagnostics
    }

    private func printTerminal(_ model: ReportModel, _ diagnostics: Diagnostics?) {
        let name = model.experiments.isEmpty ? "empty store" : model.experiments.joined(separator: ", ")
        print(ScriptText.oneLine(name) + ": \(model.totalRuns) runs, \(model.completedRuns) completed, \(model.failedRuns) failed"
              + (model.unfinishedRuns > 0 ? ", \(model.unfinishedRuns) not run yet" : "") + " (\(store))")
        guard !model.groups.isEmpty else { return }
        print("final performance: mean return of the last 50 episodes; mean ± sd and interquartile mean with a 95% stratified-bootstrap interval over seeds\n")
        print(ScriptText.terminalSafe(ReportTables.text(ReportTables.performance(model))))
        for note in model.specNotes { print(ScriptText.oneLine("note: \(note)")) }
        if !model.specNotes.isEmpty { print("") }
        if model.groups.contains(where: { !$0.improvements.isEmpty }) {
            print("probability of improvement: P(a run of X ends above a run of Y), 95% stratified-bootstrap interval\n")
            print(ScriptText.terminalSafe(ReportTables.text(ReportTables.improvement(model))))
        }
        let efficiency = ReportTables.sampleEfficiency(model)
        if !efficiency.rows.isEmpty {
            print("sample efficiency: episodes until the smoothed return reaches the threshold; area under the learning curve\n")
            print(ScriptText.terminalSafe(ReportTables.text(efficiency)))
        }
        if !model.failures.isEmpty {
            print("failed runs:")
            for f in model.failures.prefix(20) {
                print(ScriptText.oneLine("  \(f.label) on \(ReportModel.displayName(environment: f.environment)) \(f.shape) (\(f.group), \(f.protocolName)) seed \(f.seed): \(f.message)"))
            }
            if model.failures.count > 20 { print("  … and \(model.failures.count - 20) more (--html or --md lists them all)") }
            print("")
        }
        if let diagnostics {
            if let a = diagnostics.alignment {
                print("gradient alignment: cosine between each estimator (M samples) and the exact gradient, mean ± sd over \(a.settings.states) states")
                print(ReportTables.text(ReportTables.alignment(a)))
                print(String(format: "(measured in %.1f s)\n", a.seconds))
            }
            if let r = diagnostics.ruleAlignment {
                print("how gradient-like each rule is: cosine with BP's exact update at checkpoints of a run (\(r.settings.batch) episodes each)")
                print(ScriptText.terminalSafe(ReportTables.text(ReportTables.ruleAlignment(r))))
                print(String(format: "(measured in %.1f s)\n", r.seconds))
            }
            print("cost card:")
            print(ReportTables.text(ReportTables.costs(diagnostics.costs)))
        }
    }

    private func create(folder: URL) throws {
        do { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
            throw CommandFailure("cannot create \(folder.path): \(error.localizedDescription)")
        }
    }

    private func write(_ text: String, to url: URL) throws {
        do {
            let parent = url.deletingLastPathComponent()
            if !FileManager.default.fileExists(atPath: parent.path) {
                try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
            }
            try Data(text.utf8).write(to: url, options: .atomic)
        } catch {
            throw CommandFailure("cannot write \(url.path): \(error.localizedDescription)")
        }
    }
}
