import NRLCore
import Foundation

/// A table as text cells, rendered to the terminal, Markdown or HTML.
public struct ReportTable: Sendable {
    public var headers: [String]
    public var rows: [[String]]
    /// Columns holding numbers (right-aligned).
    public var numeric: Set<Int> = []
    /// The column holding a rule label (shown with its colour in HTML).
    public var ruleColumn: Int?
    /// Rows that start a new block (a new group key).
    public var blockStarts: Set<Int> = []
    /// Leading columns whose value is left blank when it repeats the row above within a block (HTML, text).
    public var keyColumns = 0
}

public enum ReportTables {
    /// Final performance per (group, protocol, environment, shape, rule).
    public static func performance(_ model: ReportModel) -> ReportTable {
        var table = ReportTable(headers: ["group", "protocol", "environment", "shape", "rule", "parameters",
                                          "final performance (mean ± sd)", "IQM [95% CI]", "n", "failed"],
                                rows: [], numeric: [6, 7, 8, 9], ruleColumn: 4, keyColumns: 4)
        let showUnfinished = model.unfinishedRuns > 0
        if showUnfinished { table.headers.append("not run"); table.numeric.insert(10) }
        for g in model.groups {
            table.blockStarts.insert(table.rows.count)
            for c in g.cells {
                var row = [g.group, g.protocolName, g.environmentName, g.shape, c.label, c.identity.parameterText, ReportFormat.meanSD(c),
                           c.robust.map { ReportFormat.estimate($0.interquartileMean, $0.interquartileMeanCI) } ?? "—",
                           String(c.finalValues.count), c.failed > 0 ? String(c.failed) : "0"]
                if showUnfinished { row.append(String(c.unfinished)) }
                table.rows.append(row)
            }
        }
        return table
    }

    /// P(X > Y) for each pair of rules of a block: the probability that a run of X ends above a run of
    /// Y (ties count ½), with its stratified-bootstrap 95% interval.
    public static func improvement(_ model: ReportModel) -> ReportTable {
        var table = ReportTable(headers: ["group", "protocol", "environment", "shape", "X", "Y", "P(X > Y)", "95% CI"],
                                rows: [], numeric: [6, 7], ruleColumn: 4, keyColumns: 4)
        for g in model.groups where !g.improvements.isEmpty {
            table.blockStarts.insert(table.rows.count)
            for p in g.improvements {
                table.rows.append([g.group, g.protocolName, g.environmentName, g.shape, p.x, p.y, String(format: "%.2f", p.probability),
                                   String(format: "[%.2f, %.2f]", p.interval.lower, p.interval.upper)])
            }
        }
        return table
    }

    /// Sample efficiency: episodes until a run's smoothed return reaches the block's threshold (median
    /// over runs; runs that never do count as later than all), how many runs reached it, and the area
    /// under the learning curve (the mean return over all episodes) as IQM with its interval.
    public static func sampleEfficiency(_ model: ReportModel) -> ReportTable {
        var table = ReportTable(headers: ["group", "protocol", "environment", "shape", "threshold", "rule",
                                          "episodes to threshold (median)", "reached", "AUC: mean return over all episodes (IQM [95% CI])"],
                                rows: [], numeric: [6, 7, 8], ruleColumn: 5, keyColumns: 5)
        for g in model.groups {
            guard let threshold = g.threshold else { continue }
            table.blockStarts.insert(table.rows.count)
            for c in g.cells {
                guard let e = c.efficiency else { continue }
                let auc = RobustStatistics.summary([e.auc], settings: ReportStatistics.bootstrap)
                table.rows.append([g.group, g.protocolName, g.environmentName, g.shape, threshold.description, c.label,
                                   e.medianEpisodes.map { ReportFormat.integer(Int($0.rounded())) } ?? "never",
                                   "\(e.reached)/\(e.episodes.count)",
                                   auc.map { ReportFormat.estimate($0.interquartileMean, $0.interquartileMeanCI) } ?? "—"])
            }
        }
        return table
    }

    public static func failures(_ model: ReportModel) -> ReportTable {
        ReportTable(headers: ["group", "protocol", "environment", "shape", "rule", "seed", "message"],
                    rows: model.failures.map { [$0.group, $0.protocolName, ReportModel.displayName(environment: $0.environment),
                                                $0.shape, $0.label, String($0.seed), $0.message] },
                    numeric: [5], ruleColumn: 4)
    }

    public static func alignment(_ report: AlignmentReport) -> ReportTable {
        let counts = report.settings.sampleCounts.sorted()
        var headers = ["environment", "network", "estimator", "σ"]
        headers += counts.map { "cos, M = \(ReportFormat.integer($0))" }
        headers += ["per layer at M = \(ReportFormat.integer(counts.last ?? 0))", "M for cos 0.9 (extrapolated)", "µs per sample"]
        var table = ReportTable(headers: headers, rows: [], numeric: Set(4..<(4 + counts.count + 3)), ruleColumn: 2, keyColumns: 2)
        var lastEnvironment = ""
        for r in report.rows {
            if r.environment != lastEnvironment { table.blockStarts.insert(table.rows.count); lastEnvironment = r.environment }
            var row = [r.environment, r.shape.description, r.estimator.title, r.sigma.map { String(format: "%g", $0) } ?? "—"]
            for (m, s) in zip(r.meanCosine, r.sdCosine) { row.append(String(format: "%.3f ± %.3f", m, s)) }
            let layers = (r.layerCosines.last ?? []).enumerated().map { "W\($0.offset + 1) " + String(format: "%.3f", $0.element) }
            row.append(layers.joined(separator: ", "))
            row.append(r.samplesForCosine09.map { $0 < 1.5 ? "1" : "≈ " + compact($0) } ?? "—")
            let samples = Double((r.sampleCounts.last ?? 0) * (r.cosines.first?.count ?? 0))
            row.append(samples > 0 ? String(format: "%.2f", r.seconds / samples * 1e6) : "—")
            table.rows.append(row)
        }
        return table
    }

    /// The report's rule-alignment rows: the cosine with BP's exact update at 0, ¼, ½, ¾ and all of
    /// each row's episode budget; a row that could not be measured says why.
    public static func ruleAlignment(_ section: RuleAlignmentSection) -> ReportTable {
        let marks = ["0", "¼", "½", "¾", "end"]
        var table = ReportTable(headers: ["environment", "shape", "rule", "seed", "episodes"] + marks.map { "cos at \($0)" }
                                    + ["per layer at the end", "seconds", "note"],
                                rows: [], numeric: Set([3, 4] + Array(5..<(5 + marks.count)) + [6 + marks.count]),
                                ruleColumn: 2, keyColumns: 2)
        var lastEnvironment = ""
        for r in section.rows {
            if r.environment != lastEnvironment { table.blockStarts.insert(table.rows.count); lastEnvironment = r.environment }
            var row = [ReportModel.displayName(environment: r.environment), r.shape, r.label, String(r.seed)]
            if let result = r.result {
                row.append(ReportFormat.integer(result.checkpoints.last ?? 0))
                let cells = result.cosine.map(cosineText)
                row += cells.count == marks.count ? cells : cells + Array(repeating: "—", count: max(0, marks.count - cells.count))
                row.append(layerCosinesText(result.layerCosines.last ?? []))
                row.append(String(format: "%.1f", result.seconds))
                row.append(result.cosine.contains { $0.isNaN } ? "—: nothing to compare in that batch (every δ was 0, or the rule left the weights as they were)" : "")
            } else {
                row += Array(repeating: "—", count: 1 + marks.count + 2)
                row.append(r.problem ?? "not measured")
            }
            table.rows.append(row)
        }
        if table.rows.allSatisfy({ $0.last?.isEmpty ?? true }) {  // no notes: no note column
            table.headers.removeLast()
            table.rows = table.rows.map { Array($0.dropLast()) }
        }
        return table
    }

    /// One measurement, a row per checkpoint (`nrlhost diagnose`).
    public static func ruleAlignmentCheckpoints(_ result: RuleAlignmentResult) -> ReportTable {
        ReportTable(headers: ["episodes trained", "cos (all weights)", "per layer"],
                    rows: zip(result.checkpoints, zip(result.cosine, result.layerCosines)).map { c, v in
                        [ReportFormat.integer(c), cosineText(v.0), layerCosinesText(v.1)]
                    },
                    numeric: [0, 1])
    }

    static func cosineText(_ c: Double) -> String { c.isNaN ? "—" : String(format: "%.3f", c) }

    static func layerCosinesText(_ cosines: [Double]) -> String {
        cosines.enumerated().map { "W\($0.offset + 1) " + cosineText($0.element) }.joined(separator: ", ")
    }

    public static func costs(_ costs: [RuleCost]) -> ReportTable {
        let shapes = CostCard.paperShapes
        let memoryHeader = "per-weight memory (× W; floats on " + shapes.map { "\($0.0) \($0.1.layerCount - 1)×\($0.1.sizes[1])" }.joined(separator: " / ") + ")"
        var table = ReportTable(headers: ["rule", "forward passes per step", "other work", memoryHeader, "an update needs", "local?"],
                                rows: [], ruleColumn: 0)
        for c in costs {
            let floats = shapes.map { ReportFormat.integer(c.traceMultiple * $0.1.weightCount) }.joined(separator: " / ")
            table.rows.append([c.rule, c.passes, c.otherWork, "\(c.traceMultiple) × W (\(floats)): \(c.traceNote)", c.locality,
                               c.isLocal ? "yes" : "no"])
        }
        return table
    }

    /// 1234 → "1.2k", 3.4e6 → "3.4M".
    public static func compact(_ x: Double) -> String {
        switch x {
        case ..<1_000: return String(format: "%.0f", x)
        case ..<1_000_000: return String(format: x < 10_000 ? "%.1fk" : "%.0fk", x / 1_000)
        case ..<1_000_000_000: return String(format: x < 10_000_000 ? "%.1fM" : "%.0fM", x / 1_000_000)
        default: return String(format: "%.1e", x)
        }
    }

    // MARK: Rendering

    /// Aligned columns for the terminal.
    public static func text(_ table: ReportTable) -> String {
        let rows = displayRows(table)
        var widths = table.headers.map(\.count)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, cell in
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                return table.numeric.contains(i) ? pad + cell : cell + pad
            }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
        var out = [line(table.headers), widths.map { String(repeating: "─", count: $0) }.joined(separator: "  ")]
        for (i, row) in rows.enumerated() {
            if i > 0 && table.blockStarts.contains(i) && table.keyColumns > 0 { out.append("") }
            out.append(line(row))
        }
        return out.joined(separator: "\n") + "\n"
    }

    public static func markdown(_ table: ReportTable) -> String {
        func cell(_ s: String) -> String {
            s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
        }
        var out = "| " + table.headers.map(cell).joined(separator: " | ") + " |\n"
        out += "|" + table.headers.indices.map { table.numeric.contains($0) ? "---:" : "---" }.joined(separator: "|") + "|\n"
        for row in table.rows { out += "| " + row.map(cell).joined(separator: " | ") + " |\n" }
        return out
    }

    public static func html(_ table: ReportTable, palette: RulePalette? = nil, className: String = "") -> String {
        let rows = displayRows(table)
        var out = "<table\(className.isEmpty ? "" : " class=\"\(className)\"")>\n<thead><tr>"
        for (i, h) in table.headers.enumerated() {
            out += "<th\(table.numeric.contains(i) ? " class=\"num\"" : "")>\(SVGChart.escape(h))</th>"
        }
        out += "</tr></thead>\n<tbody>\n"
        for (r, row) in rows.enumerated() {
            out += table.blockStarts.contains(r) && r > 0 ? "<tr class=\"block\">" : "<tr>"
            for (i, cell) in row.enumerated() {
                var content = SVGChart.escape(cell)
                if i == table.ruleColumn, let palette, !cell.isEmpty {
                    content = "<span class=\"swatch\" style=\"background:\(palette.color(cell))\"></span>" + content
                }
                var classes: [String] = []
                if table.numeric.contains(i) { classes.append("num") }
                if table.headers[i] == "failed" && cell != "0" { classes.append("bad") }
                if table.headers[i] == "message" { classes.append("message") }
                out += "<td\(classes.isEmpty ? "" : " class=\"\(classes.joined(separator: " "))\"")>\(content)</td>"
            }
            out += "</tr>\n"
        }
        return out + "</tbody>\n</table>\n"
    }

    /// Rows with repeated key columns blanked within a block.
    static func displayRows(_ table: ReportTable) -> [[String]] {
        guard table.keyColumns > 0 else { return table.rows }
        var out: [[String]] = []
        for (i, row) in table.rows.enumerated() {
            var shown = row
            if i > 0 && !table.blockStarts.contains(i) {
                for c in 0..<table.keyColumns where table.rows[i - 1][c] == row[c] { shown[c] = "" }
            }
            out.append(shown)
        }
        return out
    }
}
