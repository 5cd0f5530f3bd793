import NRLCore
import Foundation

/// The report as Markdown: the tables, and links to the SVG figures when they were written.
public enum MarkdownReport {
    /// `figureLinks`: figure id → path of its SVG file relative to the Markdown file (nil: no figures).
    public static func render(_ model: ReportModel, diagnostics: Diagnostics?, figureLinks: [String: String]? = nil) -> String {
        let name = model.experiments.isEmpty ? "empty store" : model.experiments.joined(separator: ", ")
        var md = "# nrlhost report — \(name)\n\n"
        md += "Store `\(model.storePath)`: \(model.totalRuns) runs, \(model.completedRuns) completed, \(model.failedRuns) failed"
        md += model.unfinishedRuns > 0 ? ", \(model.unfinishedRuns) not run yet.\n\n" : ".\n\n"

        md += "## Final performance\n\n"
        md += HTMLReport.finalExplanation + "\n\n"
        md += model.groups.isEmpty ? "The store holds no runs.\n\n" : ReportTables.markdown(ReportTables.performance(model)) + "\n"
        for note in model.specNotes { md += "**Note:** \(note).\n\n" }

        if model.groups.contains(where: { !$0.improvements.isEmpty || $0.threshold != nil }) {
            md += "## Statistics\n\n" + HTMLReport.statisticsExplanation + "\n\n"
            if model.groups.contains(where: { !$0.improvements.isEmpty }) {
                md += "### Probability of improvement\n\n" + HTMLReport.improvementExplanation + "\n\n"
                md += ReportTables.markdown(ReportTables.improvement(model)) + "\n"
            }
            if let links = figureLinks, !model.profileFigures.isEmpty {
                md += "### Performance profiles\n\n"
                for entry in model.profileFigures {
                    if let path = links[entry.id] { md += "![\(entry.figure.title)](\(linkPath(path)))\n\n" }
                }
                md += "*\(HTMLReport.profileCaption)*\n\n"
            }
            md += "### Sample efficiency\n\n" + HTMLReport.efficiencyExplanation + "\n\n"
            md += ReportTables.markdown(ReportTables.sampleEfficiency(model)) + "\n"
        }

        if let links = figureLinks {
            md += "## Learning curves\n\n"
            if model.curveFigures.isEmpty { md += "No completed runs to draw.\n\n" }
            for figure in model.curveFigures {
                if let path = links[figure.id] { md += "![\(figure.title)](\(linkPath(path)))\n\n" }
                md += "*\(HTMLReport.curveCaption(figure, band: model.band))*\n\n"
            }
            if !model.metricFigures.isEmpty {
                md += "## Logged metrics\n\n"
                for figure in model.metricFigures {
                    if let path = links[figure.id] { md += "![\(figure.title)](\(linkPath(path)))\n\n" }
                    md += "*\(HTMLReport.curveCaption(figure, band: model.band))*\n\n"
                }
            }
            if !model.depthFigures.isEmpty {
                md += "## Depth\n\n"
                for figure in model.depthFigures {
                    if let path = links[figure.id] { md += "![\(figure.title)](\(linkPath(path)))\n\n" }
                    md += "*\(HTMLReport.depthCaption(figure))*\n\n"
                }
            }
        }

        md += "## Failed runs\n\n"
        md += model.failures.isEmpty ? "No run failed.\n\n" : ReportTables.markdown(ReportTables.failures(model)) + "\n"

        if let diagnostics {
            md += "## Diagnostics\n\n"
            if let alignment = diagnostics.alignment {
                md += "### Gradient alignment\n\n" + HTMLReport.alignmentExplanation(alignment) + "\n\n"
                md += ReportTables.markdown(ReportTables.alignment(alignment)) + "\n"
                md += "Estimators: " + AlignmentEstimator.allCases.map { "\($0.title): \($0.formula)" }.joined(separator: "; ")
                md += String(format: ". Measured in %.1f s.\n\n", alignment.seconds)
            }
            if let rules = diagnostics.ruleAlignment { md += rules.markdown }
            if let noisy = diagnostics.noisyPasses {
                md += "### Noisy passes instead of the clean pass\n\n" + noisy.explanation + "\n\n"
                md += ReportTables.markdown(noisy.table) + "\n"
            }
            md += "### Cost card\n\n" + HTMLReport.costExplanation + "\n\n"
            md += ReportTables.markdown(ReportTables.costs(diagnostics.costs)) + "\n"
        }
        return md
    }

    /// A relative path usable as a Markdown link target (spaces and parentheses escaped).
    static func linkPath(_ path: String) -> String {
        path.replacingOccurrences(of: " ", with: "%20").replacingOccurrences(of: "(", with: "%28").replacingOccurrences(of: ")", with: "%29")
    }

    /// `target` relative to the folder `base` ("figures/a.svg", "../figures/a.svg").
    public static func relativePath(from base: URL, to target: URL) -> String {
        let from = base.standardizedFileURL.pathComponents, to = target.standardizedFileURL.pathComponents
        var common = 0
        while common < min(from.count, to.count) && from[common] == to[common] { common += 1 }
        let ups = Array(repeating: "..", count: from.count - common)
        let parts = ups + to[common...]
        return parts.isEmpty ? "." : parts.joined(separator: "/")
    }
}
