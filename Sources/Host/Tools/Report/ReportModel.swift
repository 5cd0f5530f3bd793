import NRLCore
import Foundation

/// What the band around a learning curve shows.
public enum SpreadBand: String, CaseIterable, Sendable {
    /// The lowest and highest seed at each episode (of the smoothed curves).
    case minMax = "minmax"
    /// Mean ± one sample standard deviation over seeds (of the smoothed curves).
    case standardDeviation = "sd"

    public var description: String {
        switch self {
        case .minMax: return "min–max over seeds"
        case .standardDeviation: return "mean ± 1 sd over seeds"
        }
    }
}

/// A run the report lists as failed.
public struct FailedRunEntry: Sendable, Equatable {
    public var group: String
    public var protocolName: String
    public var environment: String
    public var shape: String
    public var label: String
    public var seed: Int
    public var message: String
}

/// A learning curve of one cell: per-episode mean over seeds and a band, smoothed and downsampled.
public struct LearningCurve: Sendable, Equatable {
    /// 1-based episode numbers of the points.
    public var episodes: [Int]
    public var mean: [Double]
    public var lower: [Double]
    public var upper: [Double]
    /// The episodes every run in the cell has (the shortest run's count).
    public var episodeCount: Int
    /// Width of the centred moving average, in episodes (odd; 1 = no smoothing).
    public var window: Int
    /// Runs (seeds) averaged.
    public var runs: Int
    /// Whether some run had more episodes than `episodeCount` (they were cut to the shortest).
    public var truncated: Bool
}

/// One rule within a report group: its final performance over seeds and its learning curve.
public struct ReportCell: Sendable, Equatable {
    /// The label as the report shows it: the experiment's label, followed by what distinguishes this
    /// configuration when the label covers more than one ("nrl-lambda (lambda=0.5)").
    public var label: String
    /// The experiment's label.
    public var baseLabel: String
    public var rule: String
    /// The configuration every run of the cell shares (seeds aside).
    public var identity: SpecIdentity
    /// The spec JSON of the cell's first run (for diagnostics that rerun the configuration).
    public var specJSON: String
    /// Final performance (mean return of the last 50 episodes) of each completed run, in run order.
    public var finalValues: [Double]
    public var seeds: [Int]
    public var completed: Int
    public var failed: Int
    /// Runs still pending or running.
    public var unfinished: Int
    public var failures: [FailedRunEntry]
    public var curve: LearningCurve?
    /// The store ids of the completed runs, in run order.
    public var completedRunIDs: [Int64]
    /// Interquartile mean and mean of `finalValues` with stratified-bootstrap 95% intervals.
    public var robust: RobustSummary?
    /// Episodes to the group's threshold and the normalised area under each run's learning curve.
    public var efficiency: SampleEfficiency?

    public var mean: Double? { Statistics.mean(finalValues) }
    /// Sample standard deviation (n − 1); nil below two values.
    public var sd: Double? { Statistics.sampleStandardDeviation(finalValues) }
}

/// The runs of one (experiment group, protocol, environment, network shape), rule by rule.
public struct ReportGroup: Sendable, Equatable {
    public var group: String
    public var protocolName: String
    public var environment: String
    public var layers: Int
    public var hidden: Int
    public var cells: [ReportCell]
    /// P(X > Y) with its 95% interval for each pair of rules (in cell order).
    public var improvements: [ImprovementProbability] = []
    /// The return the sample-efficiency table measures episodes to.
    public var threshold: EfficiencyThreshold?

    /// "1x64"
    public var shape: String { "\(layers)x\(hidden)" }
    public var environmentName: String { ReportModel.displayName(environment: environment) }
}

/// A learning-curve figure: the groups of one (experiment group, protocol, depth), one panel each.
public struct CurveFigure: Sendable {
    public var id: String
    public var title: String
    /// What the curves show: "return", or the name of a metric scripts logged with `log(name, value)`.
    public var quantity = "return"
    public var group: String
    public var protocolName: String
    public var layers: Int
    public var panels: [ReportGroup]
}

/// One rule's final performance at each depth.
public struct DepthSeries: Sendable, Equatable {
    public struct Point: Sendable, Equatable {
        public var layers: Int
        public var mean: Double
        public var sd: Double?
        public var n: Int
        /// The experiment group the point comes from.
        public var group: String
    }
    public var label: String
    public var points: [Point]
}

public struct DepthPanel: Sendable {
    public var environment: String
    public var hidden: Int
    public var series: [DepthSeries]
    public var environmentName: String { ReportModel.displayName(environment: environment) }
}

/// Final performance against the number of hidden layers, one panel per environment.
public struct DepthFigure: Sendable {
    public var id: String
    public var title: String
    public var protocolName: String
    public var panels: [DepthPanel]
}

/// Everything a report shows about a results store, computed once: the table of final performance
/// per (group, protocol, environment, shape, rule), learning curves, the depth study and the failures.
public struct ReportModel: Sendable {
    public var storePath: String
    public var experiments: [String]
    public var groups: [ReportGroup]
    public var band: SpreadBand
    public var totalRuns: Int
    public var completedRuns: Int
    public var failedRuns: Int
    public var unfinishedRuns: Int
    /// Rule labels in order of first appearance.
    public var labels: [String]
    public var palette: RulePalette
    public var failures: [FailedRunEntry]
    public var curveFigures: [CurveFigure]
    /// The metrics rule scripts logged (`log(name, value)`), one figure per metric and curve figure:
    /// the mean over seeds of each run's per-episode value, smoothed like the returns.
    public var metricFigures: [CurveFigure]
    /// Performance profiles of the final performance, one figure per learning-curve figure.
    public var profileFigures: [IdentifiedProfileFigure]
    public var depthFigures: [DepthFigure]
    /// Labels that cover more than one configuration in a group, one sentence each: they are shown
    /// as separate rows, never pooled.
    public var specNotes: [String]

    public struct Options: Sendable {
        public var band: SpreadBand = .minMax
        /// Moving-average window as a fraction of the episode count (at least one episode).
        public var windowFraction: Double = 0.015
        /// At most this many points per curve.
        public var maxPoints: Int = 400
        /// Sample-efficiency thresholds by environment, overriding `ReportStatistics.solvedAt`.
        public var thresholds: [String: Double] = [:]
        public init(band: SpreadBand = .minMax, windowFraction: Double = 0.015, maxPoints: Int = 400,
                    thresholds: [String: Double] = [:]) {
            self.band = band
            self.windowFraction = windowFraction
            self.maxPoints = maxPoints
            self.thresholds = thresholds
        }
    }

    public init(store: ResultStore, options: Options = Options()) throws {
        try self.init(storePath: store.path, runs: store.runs(), options: options, returns: store.returns(ofRun:),
                      metrics: store.metrics(ofRun:))
    }

    /// Builds the model from runs and ways to read a run's returns and logged metrics (only completed
    /// runs are read).
    public init(storePath: String, runs: [StoredRun], options: Options = Options(),
                returns: (Int64) throws -> [Double], metrics: (Int64) throws -> [String: [Double]] = { _ in [:] }) throws {
        self.storePath = storePath
        band = options.band
        experiments = Self.ordered(runs.map(\.experiment))
        let prefixExperiment = experiments.count > 1
        func groupName(_ r: StoredRun) -> String { prefixExperiment ? "\(r.experiment)/\(r.group)" : r.group }

        struct Key: Hashable { var group, protocolName, environment: String; var layers, hidden: Int }
        var keys: [Key] = []
        var byKey: [Key: [StoredRun]] = [:]
        for r in runs {
            let k = Key(group: groupName(r), protocolName: r.protocolName, environment: r.environment, layers: r.layers, hidden: r.hidden)
            if byKey[k] == nil { keys.append(k) }
            byKey[k, default: []].append(r)
        }
        // Groups in order of appearance; within an experiment group, by protocol, environment, shape.
        let groupOrder = Self.ordered(keys.map(\.group)), protocolOrder = Self.ordered(keys.map(\.protocolName))
        let environmentOrder = Self.ordered(keys.map(\.environment))
        keys.sort { a, b in
            let x = (groupOrder.firstIndex(of: a.group)!, protocolOrder.firstIndex(of: a.protocolName)!,
                     environmentOrder.firstIndex(of: a.environment)!)
            let y = (groupOrder.firstIndex(of: b.group)!, protocolOrder.firstIndex(of: b.protocolName)!,
                     environmentOrder.firstIndex(of: b.environment)!)
            if x != y { return x < y }
            return (a.layers, a.hidden) < (b.layers, b.hidden)
        }

        var groups: [ReportGroup] = []
        var seriesOfGroups: [[[[Double]]]] = []
        var failures: [FailedRunEntry] = []
        var notes: [String] = []
        for key in keys {
            let members = byKey[key]!
            var cells: [ReportCell] = []
            var seriesOfCells: [[[Double]]] = []
            var configurations: [(label: String, base: String, identity: SpecIdentity, runs: [StoredRun])] = []
            for base in Self.ordered(members.map(\.label)) {
                let ofLabel = members.filter { $0.label == base }
                let identities = ofLabel.map { SpecIdentity(specJSON: $0.specJSON) }
                let distinct = Self.ordered(identities)
                let names = SpecIdentity.distinguishing(distinct)
                if distinct.count > 1 {
                    notes.append("'\(base)' in \(key.group) (\(key.protocolName), \(Self.displayName(environment: key.environment)) \(key.layers)x\(key.hidden)) covers \(distinct.count) configurations, shown as separate rows: " + names.joined(separator: "; "))
                }
                for (identity, name) in zip(distinct, names) {
                    let runs = zip(ofLabel, identities).filter { $0.1 == identity }.map(\.0)
                    // Rows a later `compare` replaced (an edited script, a changed default) stay visible, marked.
                    let parts = (distinct.count > 1 ? [name] : []) + (runs.allSatisfy(\.superseded) ? ["superseded"] : [])
                    configurations.append((parts.isEmpty ? base : "\(base) (\(parts.joined(separator: ", ")))", base, identity, runs))
                }
            }
            for (label, base, identity, runsOfLabel) in configurations {
                let completed = runsOfLabel.filter { $0.status == "completed" }
                let failed = runsOfLabel.filter { $0.status == "failed" }
                let cellFailures = failed.map {
                    FailedRunEntry(group: key.group, protocolName: key.protocolName, environment: key.environment,
                                   shape: "\(key.layers)x\(key.hidden)", label: label, seed: $0.seed,
                                   message: $0.message ?? "(no message)")
                }
                failures += cellFailures
                let finals = completed.compactMap(\.finalPerformance).filter(\.isFinite)
                let series = try completed.map { try returns($0.id) }.filter { !$0.isEmpty }
                let curve = Self.curve(series, options: options)
                seriesOfCells.append(series)
                cells.append(ReportCell(label: label, baseLabel: base, rule: runsOfLabel[0].rule, identity: identity,
                                        specJSON: runsOfLabel[0].specJSON, finalValues: finals,
                                        seeds: completed.map(\.seed), completed: completed.count, failed: failed.count,
                                        unfinished: runsOfLabel.count - completed.count - failed.count,
                                        failures: cellFailures, curve: curve, completedRunIDs: completed.map(\.id)))
            }
            groups.append(ReportGroup(group: key.group, protocolName: key.protocolName, environment: key.environment,
                                      layers: key.layers, hidden: key.hidden, cells: cells))
            seriesOfGroups.append(seriesOfCells)
        }
        ReportStatistics.fill(&groups, series: seriesOfGroups, thresholds: options.thresholds)
        self.groups = groups
        self.failures = failures
        totalRuns = runs.count
        completedRuns = runs.filter { $0.status == "completed" }.count
        failedRuns = runs.filter { $0.status == "failed" }.count
        unfinishedRuns = totalRuns - completedRuns - failedRuns
        specNotes = notes
        let cellsInOrder = groups.flatMap(\.cells)
        labels = Self.ordered(cellsInOrder.map(\.label))
        var ruleOfLabel: [String: String] = [:]
        for c in cellsInOrder where ruleOfLabel[c.label] == nil { ruleOfLabel[c.label] = c.rule }
        palette = RulePalette(labels: labels, rules: ruleOfLabel)
        curveFigures = Self.curveFigures(groups)
        // Metric curves: the same panels, each cell's curve made from what its runs logged.
        var metricFigures: [CurveFigure] = []
        var metricSeries: [Int64: [String: [Double]]] = [:]
        for figure in curveFigures {
            var perCell: [[String: [[Double]]]] = []
            for panel in figure.panels {
                for cell in panel.cells {
                    var byName: [String: [[Double]]] = [:]
                    for id in cell.completedRunIDs {
                        if metricSeries[id] == nil { metricSeries[id] = try metrics(id) }
                        for (name, values) in metricSeries[id]! { byName[name, default: []].append(values) }
                    }
                    perCell.append(byName)
                }
            }
            for name in Set(perCell.flatMap(\.keys)).sorted() {
                var metricFigure = figure
                metricFigure.quantity = name
                metricFigure.id = Self.fileSafe("metric-\(name)-") + figure.id
                metricFigure.title = "\(name) — " + figure.title
                var k = 0
                for p in metricFigure.panels.indices {
                    for c in metricFigure.panels[p].cells.indices {
                        metricFigure.panels[p].cells[c].curve = perCell[k][name].flatMap { Self.curve($0, options: options) }
                        k += 1
                    }
                }
                metricFigures.append(metricFigure)
            }
        }
        self.metricFigures = metricFigures
        profileFigures = ReportStatistics.profileFigures(curveFigures)
        depthFigures = Self.depthFigures(groups)
        // Figure ids name files: make them unique ("-2", "-3", … after a repeat).
        var seen = Set<String>()
        func unique(_ id: String) -> String {
            var candidate = id, k = 2
            while !seen.insert(candidate).inserted { candidate = "\(id)-\(k)"; k += 1 }
            return candidate
        }
        for i in curveFigures.indices { curveFigures[i].id = unique(curveFigures[i].id) }
        for i in self.metricFigures.indices { self.metricFigures[i].id = unique(self.metricFigures[i].id) }
        for i in profileFigures.indices { profileFigures[i].id = unique(profileFigures[i].id) }
        for i in depthFigures.indices { depthFigures[i].id = unique(depthFigures[i].id) }
    }

    // MARK: Curves

    /// Mean and band over `series` (one return sequence per run), each cut to the shortest, smoothed
    /// with a centred moving average, then downsampled. Nil without any run.
    public static func curve(_ series: [[Double]], options: Options) -> LearningCurve? {
        guard let count = series.map(\.count).min(), count > 0 else { return nil }
        let window = smoothingWindow(episodes: count, fraction: options.windowFraction)
        let smoothed = series.map { movingAverage(Array($0.prefix(count)), window: window) }
        let indices = downsampleIndices(count: count, maxPoints: options.maxPoints)
        var mean: [Double] = [], lower: [Double] = [], upper: [Double] = []
        for i in indices {
            let values = smoothed.map { $0[i] }.filter(\.isFinite)
            guard let m = Statistics.mean(values) else {
                mean.append(.nan); lower.append(.nan); upper.append(.nan)
                continue
            }
            mean.append(m)
            switch options.band {
            case .minMax:
                lower.append(values.min()!)
                upper.append(values.max()!)
            case .standardDeviation:
                let sd = Statistics.sampleStandardDeviation(values) ?? 0
                lower.append(m - sd)
                upper.append(m + sd)
            }
        }
        return LearningCurve(episodes: indices.map { $0 + 1 }, mean: mean, lower: lower, upper: upper, episodeCount: count,
                             window: window, runs: series.count, truncated: series.contains { $0.count > count })
    }

    /// An odd window of about `fraction` of the episodes, at least 1.
    public static func smoothingWindow(episodes: Int, fraction: Double) -> Int {
        let w = max(1, Int((Double(episodes) * fraction).rounded()))
        return w % 2 == 1 ? w : w + 1
    }

    /// Centred moving average over `window` (odd) values; near the ends the window shrinks to what
    /// exists; values that are not finite are left out of each average.
    public static func movingAverage(_ x: [Double], window: Int) -> [Double] {
        RobustStatistics.centredMovingAverage(x, window: window)
    }

    /// At most `maxPoints` evenly spaced indices of 0..<count, always including the first and last.
    public static func downsampleIndices(count: Int, maxPoints: Int) -> [Int] {
        guard count > maxPoints, maxPoints >= 2 else { return Array(0..<count) }
        var out: [Int] = []
        for p in 0..<maxPoints {
            let i = Int((Double(p) * Double(count - 1) / Double(maxPoints - 1)).rounded())
            if out.last != i { out.append(i) }
        }
        return out
    }

    // MARK: Figures

    private static func curveFigures(_ groups: [ReportGroup]) -> [CurveFigure] {
        struct Key: Hashable { var group, protocolName: String; var layers: Int }
        var order: [Key] = []
        var panels: [Key: [ReportGroup]] = [:]
        for g in groups where g.cells.contains(where: { $0.curve != nil }) {
            let k = Key(group: g.group, protocolName: g.protocolName, layers: g.layers)
            if panels[k] == nil { order.append(k) }
            panels[k, default: []].append(g)
        }
        return order.map { k in
            let layerText = k.layers == 1 ? "1 hidden layer" : "\(k.layers) hidden layers"
            return CurveFigure(id: fileSafe("curves-\(k.group)-\(k.protocolName)-\(k.layers)l"),
                               title: "\(k.group) — \(protocolTitle(k.protocolName, short: true)), \(layerText)",
                               group: k.group, protocolName: k.protocolName, layers: k.layers, panels: panels[k]!)
        }
    }

    /// Per protocol and environment, the rules run at two or more depths. When the same depth of a
    /// rule appears in several groups, the group with the most depths of that rule is used (then the
    /// first), so that runs are never counted twice.
    private static func depthFigures(_ groups: [ReportGroup]) -> [DepthFigure] {
        var figures: [DepthFigure] = []
        for protocolName in ordered(groups.map(\.protocolName)) {
            var panels: [DepthPanel] = []
            let ofProtocol = groups.filter { $0.protocolName == protocolName }
            for environment in ordered(ofProtocol.map(\.environment)) {
                let ofEnvironment = ofProtocol.filter { $0.environment == environment }
                let widths = ordered(ofEnvironment.map(\.hidden))
                for hidden in widths {
                    let candidates = ofEnvironment.filter { $0.hidden == hidden }
                    var series: [DepthSeries] = []
                    for label in ordered(candidates.flatMap { $0.cells.map(\.label) }) {
                        // (group, layers, cell) for this label
                        let entries = candidates.flatMap { g in
                            g.cells.filter { $0.label == label && $0.mean != nil }.map { (g.group, g.layers, $0) }
                        }
                        let depthsPerGroup = Dictionary(grouping: entries, by: \.0).mapValues { Set($0.map(\.1)).count }
                        var points: [DepthSeries.Point] = []
                        for layers in Set(entries.map(\.1)).sorted() {
                            let options = entries.filter { $0.1 == layers }
                            // the group with the most depths of this rule; the first such group on a tie
                            let best = options.enumerated().min { a, b in
                                (-depthsPerGroup[a.element.0]!, a.offset) < (-depthsPerGroup[b.element.0]!, b.offset)
                            }!.element
                            points.append(.init(layers: layers, mean: best.2.mean!, sd: best.2.sd, n: best.2.finalValues.count,
                                                group: best.0))
                        }
                        if points.count >= 2 {
                            series.append(DepthSeries(label: widths.count > 1 ? "\(label) (\(hidden) units)" : label, points: points))
                        }
                    }
                    if !series.isEmpty { panels.append(DepthPanel(environment: environment, hidden: hidden, series: series)) }
                }
            }
            if !panels.isEmpty {
                figures.append(DepthFigure(id: fileSafe("depth-\(protocolName)"),
                                           title: "Final performance vs depth — \(protocolTitle(protocolName, short: true))",
                                           protocolName: protocolName, panels: panels))
            }
        }
        return figures
    }

    // MARK: Names

    public static func protocolTitle(_ name: String, short: Bool = false) -> String {
        if short { return name == "authors" ? "authors' protocol" : "\(name) protocol" }
        switch name {
        case "authors": return "authors' protocol (initial weights from seed 42)"
        case "per-run": return "per-run protocol (initial weights from each run's seed)"
        default: return "protocol \(name)"
        }
    }

    /// An environment's name for people: a script's file name without .lua, else the name.
    public static func displayName(environment: String) -> String {
        environment.hasSuffix(".lua") ? URL(fileURLWithPath: environment).deletingPathExtension().lastPathComponent : environment
    }

    /// What an episode is called on `environment` ("trial" on the continuing Reaching task).
    public static func episodeNoun(environment: String) -> String {
        (try? EnvironmentRegistry.builtin.registration(environment))?.info.continuing == true ? "trial" : "episode"
    }

    /// Lower-case letters, digits, '-' and '_' only.
    public static func fileSafe(_ s: String) -> String {
        var out = ""
        for c in s.lowercased().unicodeScalars {
            if (c >= "a" && c <= "z") || (c >= "0" && c <= "9") || c == "-" || c == "_" {
                out.unicodeScalars.append(c)
            } else if out.last != "-" {
                out.append("-")
            }
        }
        // A file name: never empty, never longer than a file system allows (a long group name ends
        // in a hash of the whole, so two long names stay apart).
        if out.isEmpty || out == "-" { return "figure" }
        if out.utf8.count > 96 { out = String(out.prefix(64)) + "-" + String(StableHash.hex(s).prefix(16)) }
        return out
    }

    static func ordered<T: Hashable>(_ values: [T]) -> [T] {
        var seen = Set<T>()
        return values.filter { seen.insert($0).inserted }
    }
}

/// Means and sample standard deviations.
public enum Statistics {
    public static func mean(_ x: [Double]) -> Double? {
        x.isEmpty ? nil : x.reduce(0, +) / Double(x.count)
    }

    /// √(Σ(x − x̄)² / (n − 1)); nil below two values.
    public static func sampleStandardDeviation(_ x: [Double]) -> Double? {
        guard x.count >= 2, let m = mean(x) else { return nil }
        return (x.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(x.count - 1)).squareRoot()
    }
}

/// Number formatting shared by the report's tables.
public enum ReportFormat {
    /// A value with about four significant digits, without exponent for ordinary magnitudes.
    public static func number(_ x: Double) -> String {
        x == 0 ? "0" : number(x, format: format(forMagnitude: abs(x)))
    }

    /// "%.0f" at 1000 and above, then one more decimal per decade down to "%.3f"; "%.2e" below 0.01.
    static func format(forMagnitude a: Double) -> String {
        if a >= 1000 { return "%.0f" }
        if a >= 100 { return "%.1f" }
        if a >= 10 { return "%.2f" }
        if a >= 0.01 { return "%.3f" }
        return "%.2e"
    }

    static func number(_ x: Double, format: String) -> String {
        guard x.isFinite else { return x.isNaN ? "NaN" : (x > 0 ? "∞" : "−∞") }
        let text = String(format: format, x)
        return text.hasPrefix("-") ? "−" + text.dropFirst() : text
    }

    /// "mean ± sd" with the same decimals for both (set by the larger), "mean" (one run) or "—" (none).
    public static func meanSD(_ cell: ReportCell) -> String {
        guard let m = cell.mean else { return "—" }
        guard let sd = cell.sd else { return number(m) }
        let f = format(forMagnitude: max(abs(m), sd))
        return "\(number(m, format: f)) ± \(number(sd, format: f))"
    }

    /// "212.3 [198.0, 230.1]": an estimate and its interval, with the same decimals (set by the largest).
    public static func estimate(_ value: Double, _ interval: ConfidenceInterval) -> String {
        let f = format(forMagnitude: max(abs(value), abs(interval.lower), abs(interval.upper)))
        return "\(number(value, format: f)) [\(number(interval.lower, format: f)), \(number(interval.upper, format: f))]"
    }

    /// 20000 → "20,000".
    public static func integer(_ n: Int) -> String {
        let digits = String(abs(n))
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return (n < 0 ? "−" : "") + out
    }
}
