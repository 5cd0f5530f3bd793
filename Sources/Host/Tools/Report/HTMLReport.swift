import NRLCore
import Foundation

/// A self-contained HTML page: inline CSS and inline SVG, nothing fetched from a network.
public enum HTMLReport {
    public static func render(_ model: ReportModel, diagnostics: Diagnostics?, generated: Date = Date()) -> String {
        let e = SVGChart.escape
        let name = model.experiments.isEmpty ? "empty store" : model.experiments.joined(separator: ", ")
        let head = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>nrlhost report — \(e(name))</title>
            <style>\(css)</style>
            </head>
            <body>
            <header>
            <h1>nrlhost report — \(e(name))</h1>
            <p class="meta">Store <code>\(e(model.storePath))</code> · \(model.totalRuns) runs: \(model.completedRuns) completed, \
            <span class="\(model.failedRuns > 0 ? "bad" : "")">\(model.failedRuns) failed</span>\
            \(model.unfinishedRuns > 0 ? ", \(model.unfinishedRuns) not run yet" : "") · generated \(e(timestamp(generated))) by nrlhost \(e(NRLHostVersion.current))</p>

            """
        var h = ""
        // The navigation lists the sections the page has (a store without a depth study has no Depth).
        var sections: [(id: String, title: String)] = []
        func section(_ id: String, _ title: String) -> String {
            sections.append((id, title))
            return "<section id=\"\(id)\">\n<h2>\(e(title))</h2>\n"
        }

        h += section("final", "Final performance")
        h += "<p>\(e(finalExplanation))</p>\n"
        if model.groups.isEmpty {
            h += "<p class=\"muted\">The store holds no runs.</p>\n"
        } else {
            h += ReportTables.html(ReportTables.performance(model), palette: model.palette, className: "results")
            for note in model.specNotes { h += "<p class=\"bad\">\(e(note))</p>\n" }
        }
        h += "</section>\n"

        if model.groups.contains(where: { !$0.improvements.isEmpty || $0.threshold != nil }) {
            h += section("statistics", "Statistics")
            h += "<p>\(e(statisticsExplanation))</p>\n"
            if model.groups.contains(where: { !$0.improvements.isEmpty }) {
                h += "<h3>Probability of improvement</h3>\n<p>\(e(improvementExplanation))</p>\n"
                h += ReportTables.html(ReportTables.improvement(model), palette: model.palette, className: "results")
            }
            for entry in model.profileFigures {
                h += "<figure id=\"\(e(entry.id))\">\n" + ProfileChart.svg(entry.figure, palette: model.palette, inline: true)
                h += "<figcaption>\(e(profileCaption))</figcaption>\n</figure>\n"
            }
            h += "<h3>Sample efficiency</h3>\n<p>\(e(efficiencyExplanation))</p>\n"
            h += ReportTables.html(ReportTables.sampleEfficiency(model), palette: model.palette, className: "results")
            h += "</section>\n"
        }

        h += section("curves", "Learning curves")
        if model.curveFigures.isEmpty { h += "<p class=\"muted\">No completed runs to draw.</p>\n" }
        /// A learning-curve figure of returns or of a logged metric, with its caption.
        func curves(_ figure: CurveFigure) -> String {
            "<figure id=\"\(e(figure.id))\">\n" + SVGChart.learningCurves(figure, palette: model.palette, band: model.band, inline: true)
                + "<figcaption>\(e(curveCaption(figure, band: model.band)))</figcaption>\n</figure>\n"
        }
        for figure in model.curveFigures { h += curves(figure) }
        h += "</section>\n"

        if !model.metricFigures.isEmpty {
            h += section("metrics", "Logged metrics")
            h += "<p>What the rule scripts logged with <code>log(name, value)</code>, per episode (the mean of the values logged in it), drawn like the returns.</p>\n"
            for figure in model.metricFigures { h += curves(figure) }
            h += "</section>\n"
        }

        if !model.depthFigures.isEmpty {
            h += section("depth", "Depth")
            for figure in model.depthFigures {
                h += "<figure id=\"\(e(figure.id))\">\n"
                h += SVGChart.depth(figure, palette: model.palette, inline: true)
                h += "<figcaption>\(e(depthCaption(figure)))</figcaption>\n</figure>\n"
            }
            h += "</section>\n"
        }

        h += section("failed", "Failed runs")
        if model.failures.isEmpty {
            h += "<p>No run failed.</p>\n"
        } else {
            h += ReportTables.html(ReportTables.failures(model), palette: model.palette, className: "failures")
        }
        h += "</section>\n"

        if let diagnostics {
            h += section("diagnostics", "Diagnostics")
            if let alignment = diagnostics.alignment {
                h += "<h3>Gradient alignment</h3>\n<p>\(e(alignmentExplanation(alignment)))</p>\n"
                h += ReportTables.html(ReportTables.alignment(alignment), className: "diagnostics")
                h += "<p class=\"muted\">Estimators: " + AlignmentEstimator.allCases.map { "\(e($0.title)): \(e($0.formula))" }.joined(separator: "; ")
                    + ". Measured in \(String(format: "%.1f", alignment.seconds)) s.</p>\n"
            }
            if let rules = diagnostics.ruleAlignment { h += ruleAlignmentHTML(rules, palette: model.palette) }
            if let noisy = diagnostics.noisyPasses {
                h += "<h3>Noisy passes instead of the clean pass</h3>\n<p>\(e(noisy.explanation))</p>\n"
                h += ReportTables.html(noisy.table, className: "diagnostics")
            }
            h += "<h3>Cost card</h3>\n<p>\(e(costExplanation))</p>\n"
            h += ReportTables.html(ReportTables.costs(diagnostics.costs), palette: model.palette, className: "costs")
            h += "</section>\n"
        }
        h += "</body>\n</html>\n"
        let navigation = "<nav>" + sections.map { "<a href=\"#\($0.id)\">\(e($0.title))</a>" }.joined(separator: " · ") + "</nav>\n</header>\n\n"
        return head + navigation + h
    }

    static let finalExplanation = "Final performance is the mean return of a run's last 50 episodes (trials on Reaching). The table gives its mean ± sample standard deviation over the completed runs (seeds) and its interquartile mean (IQM: the mean of the middle 50% of runs, scipy's trim_mean(x, 0.25)) with a 95% stratified-bootstrap confidence interval (2,000 resamples, percentile method), the number n of completed runs, and how many failed. Each row is one configuration: runs that differ in anything but their seeds are never pooled."
    static let statisticsExplanation = "Following Agarwal et al., \"Deep Reinforcement Learning at the Edge of the Statistical Precipice\" (NeurIPS 2021) and their rliable library, with a few seeds: intervals rather than point estimates, statistics robust to one outlying seed. Each block (group, protocol, environment, shape) is one task; scores of different environments are never pooled."
    static let improvementExplanation = "P(X > Y) is the probability that a run of X ends with a higher final performance than a run of Y (ties count ½; the Mann–Whitney U statistic over n·m pairs), with a 95% stratified-bootstrap interval. An interval above 0.5 means X is better with that confidence; 0.5 inside it means the seeds cannot tell them apart."
    static let profileCaption = "Performance profiles: for each threshold τ, the fraction of runs whose final performance is above τ, with a 95% stratified-bootstrap band. A curve above another everywhere is better at every level (stochastic dominance)."
    static let efficiencyExplanation = "Episodes until a run's learning curve (smoothed as in the figures) first reaches the threshold, the median over runs (a run that never reaches it counts as later than all; \"never\" when half or more never do) and how many reached it; and the area under the learning curve, as the mean return over all episodes, IQM with its 95% interval. Thresholds are Gymnasium's reward_threshold where the environment has one (CartPole-v1 475, Acrobot-v1 −100), else 90% of the best rule's final IQM in the block, or what --threshold sets."

    static func curveCaption(_ figure: CurveFigure, band: SpreadBand) -> String {
        var parts = ["Protocol: \(ReportModel.protocolTitle(figure.protocolName))."]
        let windows = figure.panels.map { p -> String in
            let curves = p.cells.compactMap(\.curve)
            let w = Set(curves.map(\.window)).sorted().map(String.init).joined(separator: "/")
            let n = Set(curves.map(\.episodeCount)).sorted().map(ReportFormat.integer).joined(separator: "/")
            return "\(p.environmentName) \(p.shape): \(n) \(ReportModel.episodeNoun(environment: p.environment))s, window \(w)"
        }
        let what = figure.quantity == "return" ? "returns" : "logged values of \(figure.quantity)"
        parts.append("Mean over seeds of each run's \(what), smoothed with a centred moving average (\(windows.joined(separator: "; "))); band: \(band.description); at most 400 points per curve.")
        let cut = figure.panels.flatMap { p in p.cells.filter { $0.curve?.truncated == true }.map { "\($0.label) on \(p.environmentName)" } }
        if !cut.isEmpty { parts.append("Runs of different lengths were cut to the shortest: \(cut.joined(separator: ", ")).") }
        return parts.joined(separator: " ")
    }

    static func depthCaption(_ figure: DepthFigure) -> String {
        let sources = Set(figure.panels.flatMap { $0.series.flatMap { $0.points.map(\.group) } }).sorted()
        return "Mean ± 1 sample sd over seeds of the final performance, per number of hidden layers; points from group\(sources.count == 1 ? "" : "s") \(sources.joined(separator: ", "))."
    }

    static func alignmentExplanation(_ a: AlignmentReport) -> String {
        let s = a.settings
        return "At \(s.states) states per environment (met under random actions), a fresh Xavier network of the paper's width (one hidden layer, init seed \(s.seed)) and a fixed random reward R(a) ~ N(0, 1) per action define J = Σₐ π(a|s) R(a). "
            + "Each rule family's update estimator, averaged over M samples with baseline J, is compared with the exact gradient ∇J = Σₐ π(a)(R(a) − J) ∇log π(a) by the cosine over all weights (mean ± sd over states). "
            + "NRL uses σ = \(ReportFormat.number(s.nrlSigma)) and the whole-network noise norm; RMHL/NP σ = \(ReportFormat.number(s.nodeSigma)) node noise; WP σ = \(ReportFormat.number(s.weightSigma)) per weight. "
            + "With two actions (CartPole) and b = J every BP sample points along ∇J, so its cosine is 1 at any M. "
            + "The last column extrapolates, from the largest M, the samples an unbiased estimator would need for a cosine of 0.9 (cos² ≈ M/(M + k))."
    }

    static func ruleAlignmentHTML(_ section: RuleAlignmentSection, palette: RulePalette) -> String {
        guard !section.rows.isEmpty else { return "<h3>How gradient-like is each rule?</h3>\n<p>The store holds no runs to measure.</p>\n" }
        return "<h3>How gradient-like is each rule?</h3>\n<p>\(SVGChart.escape(section.explanation))</p>\n"
            + ReportTables.html(ReportTables.ruleAlignment(section), palette: palette, className: "diagnostics")
            + "<p class=\"muted\">Measured in \(String(format: "%.1f", section.seconds)) s.</p>\n"
    }

    static let costExplanation = "Per environment step of a builtin rule: forward passes, other work, the memory kept per weight besides the weights (W = weight count), and what an update of one weight needs to know. A rule is local when an update uses only activity at the synapse and a few global scalars."

    static func timestamp(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withFullDate, .withTime, .withColonSeparatorInTime, .withSpaceBetweenDateAndTime]
        return f.string(from: date) + " UTC"
    }

    static let css = """

        body { font-family: system-ui, -apple-system, "Segoe UI", "DejaVu Sans", Helvetica, Arial, sans-serif; color: #222;
               max-width: 1280px; margin: 0 auto; padding: 20px 28px 60px; line-height: 1.45; background: #fff; }
        h1 { font-size: 1.6em; margin: 0.2em 0 0.3em; }
        h2 { font-size: 1.3em; margin-top: 2em; padding-bottom: 4px; border-bottom: 1px solid #ddd; }
        h3 { font-size: 1.1em; margin-top: 1.5em; }
        .meta, .muted, figcaption { color: #555; }
        .meta { margin: 0 0 6px; font-size: 14px; }
        nav { font-size: 14px; }
        a { color: #0b5cad; text-decoration: none; } a:hover { text-decoration: underline; }
        code { background: #f3f3f3; padding: 1px 5px; border-radius: 3px; font-size: 90%; }
        table { border-collapse: collapse; font-size: 13.5px; margin: 10px 0 16px; }
        th, td { padding: 4px 10px; text-align: left; vertical-align: top; border-bottom: 1px solid #eee; }
        th { background: #f5f5f5; border-bottom: 1px solid #ccc; font-weight: 600; }
        td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
        tr.block td { border-top: 2px solid #d6d6d6; }
        tbody tr:hover td { background: #fafafa; }
        .swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; vertical-align: baseline; }
        .bad { color: #b00020; font-weight: 600; }
        td.message { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, monospace; font-size: 12.5px; white-space: pre-wrap; max-width: 640px; }
        figure { margin: 18px 0 30px; }
        figure svg { max-width: 100%; height: auto; border: 1px solid #eee; border-radius: 4px; }
        figcaption { font-size: 13px; margin-top: 4px; max-width: 1100px; }
        table.costs td { max-width: 320px; }

        """
}
