import Foundation

/// One rule's performance profile in a panel.
public struct ProfileSeries: Sendable, Equatable {
    public var label: String
    public var profile: PerformanceProfile

    public init(label: String, profile: PerformanceProfile) {
        self.label = label
        self.profile = profile
    }
}

/// The profiles of one panel, over one score scale (e.g. one environment's return).
public struct ProfilePanel: Sendable, Equatable {
    public var title: String
    /// What the scores are, for the x axis: "return", "normalised score", …
    public var scoreName: String
    public var series: [ProfileSeries]

    public init(title: String, scoreName: String, series: [ProfileSeries]) {
        self.title = title
        self.scoreName = scoreName
        self.series = series
    }
}

/// A performance-profile figure: one panel per score scale.
public struct ProfileFigure: Sendable, Equatable {
    public var title: String
    public var panels: [ProfilePanel]

    public init(title: String, panels: [ProfilePanel]) {
        self.title = title
        self.panels = panels
    }
}

/// Performance profiles (Agarwal et al. 2021) as SVG, in the look of SVGChart's learning curves: per
/// rule label a line (fraction of runs scoring above τ) and a translucent band (its stratified-bootstrap
/// interval), over the score threshold τ, drawn as steps; a legend and a title. Give the rules of a panel
/// the same thresholds, e.g. `RobustStatistics.thresholds(spanning:)` of all their scores.
public enum ProfileChart {
    public static func svg(_ figure: ProfileFigure, palette: RulePalette, inline: Bool = false) -> String {
        let labels = ReportModel.ordered(figure.panels.flatMap { $0.series.map(\.label) })
        let panelW = 400.0, panelH = 290.0
        let cols = min(3, max(1, figure.panels.count)), rows = (figure.panels.count + cols - 1) / cols
        let width = Double(cols) * panelW + 20
        let profiles = figure.panels.flatMap { $0.series.map(\.profile) }
        var svg = SVGWriter(width: width, height: 0, title: figure.title, inline: inline)
        let top = SVGChart.header(&svg, title: figure.title, subtitle: subtitle(profiles), labels: labels, palette: palette,
                                  swatch: .line, width: width)
        svg.height = top + Double(rows) * panelH + 10

        for (index, panel) in figure.panels.enumerated() {
            let ox = 10 + Double(index % cols) * panelW, oy = top + Double(index / cols) * panelH
            let plot = SVGChart.Rect(x: ox + 64, y: oy + 34, width: panelW - 64 - 18, height: panelH - 34 - 48)
            let thresholds = panel.series.flatMap(\.profile.thresholds).filter(\.isFinite)
            let xTicks = SVGChart.Ticks(thresholds.min() ?? 0, thresholds.max() ?? 1)
            let yTicks = SVGChart.Ticks(0, 1)
            let xs = SVGChart.Scale(domain: (xTicks.low, xTicks.high), range: (plot.x, plot.x + plot.width))
            let ys = SVGChart.Scale(domain: (yTicks.low, yTicks.high), range: (plot.y + plot.height, plot.y))
            svg.text(plot.x, oy + 22, panel.title, size: 13, weight: "600")
            svg.text(plot.x + plot.width, oy + 22, note(panel.series), size: 11, color: SVGChart.mutedColor, anchor: "end")
            SVGChart.drawAxes(&svg, plot: plot, xs: xs, ys: ys, xTicks: xTicks, yTicks: yTicks,
                              xLabel: "\(panel.scoreName) threshold τ", yLabel: "fraction of runs > τ")
            for s in panel.series {
                let p = s.profile
                svg.band(x: steps(p.thresholds, p.thresholds).x.map(xs.callAsFunction),
                         upper: steps(p.thresholds, p.upper).y.map(ys.callAsFunction),
                         lower: steps(p.thresholds, p.lower).y.map(ys.callAsFunction), color: palette.color(s.label), label: s.label)
            }
            for s in panel.series {
                let (x, y) = steps(s.profile.thresholds, s.profile.fraction)
                svg.line(x: x.map(xs.callAsFunction), y: y.map(ys.callAsFunction), color: palette.color(s.label), label: s.label,
                         className: "profile")
            }
            if panel.series.isEmpty {
                svg.text(plot.x + plot.width / 2, plot.y + plot.height / 2, "no completed runs", size: 12,
                         color: SVGChart.mutedColor, anchor: "middle")
            }
        }
        return svg.finish()
    }

    /// A step plot's corners: each value holds from its threshold up to the next one (the fraction of runs
    /// above τ only changes at a score, so this is exact when the thresholds include every score).
    static func steps(_ thresholds: [Double], _ values: [Double]) -> (x: [Double], y: [Double]) {
        var x: [Double] = [], y: [Double] = []
        for i in values.indices {
            x.append(thresholds[i])
            y.append(values[i])
            if i + 1 < values.count {
                x.append(thresholds[i + 1])
                y.append(values[i])
            }
        }
        return (x, y)
    }

    /// What the lines and bands are; the band's coverage and resamples when all profiles share them.
    static func subtitle(_ profiles: [PerformanceProfile]) -> String {
        var text = "Lines: fraction of runs (seeds) whose score is above τ; bands: "
        let settings = Set(profiles.map { "\(Int(($0.confidence * 100).rounded()))% stratified-bootstrap percentile intervals, \($0.resamples) resamples" })
        text += settings.count == 1 ? settings.first! : "stratified-bootstrap percentile intervals"
        return text + " (Agarwal et al. 2021)."
    }

    /// "n = 5 per rule" (or the counts per rule), and the non-finite scores left out, if any.
    static func note(_ series: [ProfileSeries]) -> String {
        let runs = series.map(\.profile.runs)
        var text = Set(runs).count == 1 ? "n = \(runs[0]) per rule" : "n = " + runs.map(String.init).joined(separator: "/")
        let dropped = series.map(\.profile.droppedNonFinite).reduce(0, +)
        if dropped > 0 { text += " · \(dropped) non-finite left out" }
        return series.isEmpty ? "" : text
    }
}
