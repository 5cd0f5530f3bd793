import NRLCore
import Foundation

/// A colour per rule label, the same in every figure of a report. The builtin rules have fixed
/// colours (Okabe–Ito, safe for colour-blind readers); a variant label takes its rule's colour if
/// no other label has it, else, like scripts, the next unused colour of a second list, in order of
/// first appearance.
public struct RulePalette: Sendable, Equatable {
    public static let fixed: [String: String] = [
        "nrl": "#0072B2",        // blue
        "bp": "#D55E00",         // vermillion
        "rmhl": "#009E73",       // bluish green
        "np": "#CC79A7",         // reddish purple
        "wp": "#E69F00",         // orange
        "nrl-noisy": "#56B4E9",  // sky blue
    ]
    public static let extra = ["#6A3D9A", "#8C564B", "#17BECF", "#7F7F7F", "#BCBD22", "#1B3A6B", "#E7298A", "#A6761D",
                               "#2CA02C", "#9467BD", "#FF7F0E", "#444444"]

    public private(set) var colors: [String: String] = [:]

    /// `rules`: the rule behind each label ("nrl-noisy K=10" → "nrl-noisy"); a variant takes its
    /// rule's colour when no label of that name uses it.
    public init(labels: [String], rules: [String: String] = [:]) {
        var used = Set<String>()
        for label in labels { if let c = Self.fixed[label] { colors[label] = c; used.insert(c) } }
        for label in labels where colors[label] == nil {
            if let rule = rules[label], let c = Self.fixed[rule], !used.contains(c) { colors[label] = c; used.insert(c) }
        }
        var next = 0
        for label in labels where colors[label] == nil {
            let free = Self.extra.filter { !used.contains($0) }
            let c = free.isEmpty ? Self.extra[next % Self.extra.count] : free[0]
            next += 1
            colors[label] = c
            used.insert(c)
        }
    }

    public func color(_ label: String) -> String { colors[label] ?? Self.fixed[label] ?? "#444444" }
}

/// Hand-written SVG figures: learning-curve panels and the depth study. Each is a standalone file
/// (XML declaration, SVG namespace) that also works inlined into HTML (`inline: true`).
public enum SVGChart {
    static let font = "system-ui, -apple-system, 'Segoe UI', 'DejaVu Sans', Helvetica, Arial, sans-serif"
    static let axisColor = "#444", gridColor = "#e6e6e6", textColor = "#222", mutedColor = "#666"

    // MARK: Learning curves

    /// One panel per (environment, shape) of the figure: a line per rule (mean over seeds) and a
    /// translucent band (`band`), axes with ticks, a legend and a title.
    public static func learningCurves(_ figure: CurveFigure, palette: RulePalette, band: SpreadBand, inline: Bool = false) -> String {
        let labels = ReportModel.ordered(figure.panels.flatMap { $0.cells.filter { $0.curve != nil }.map(\.label) })
        let panelW = 400.0, panelH = 290.0
        let cols = min(3, max(1, figure.panels.count)), rows = (figure.panels.count + cols - 1) / cols
        let width = Double(cols) * panelW + 20
        let smoothing = figure.panels.flatMap { $0.cells.compactMap(\.curve) }.map(\.window)
        let windowText = smoothing.allSatisfy({ $0 == 1 }) ? "not smoothed"
            : "each run smoothed by a centred moving average of w episodes (≈1.5% of the run)"
        var svg = SVGWriter(width: width, height: 0, title: figure.title, inline: inline)
        let y = header(&svg, title: figure.title, subtitle: "Lines: mean over seeds, \(windowText); bands: \(band.description).",
                       labels: labels, palette: palette, swatch: .line, width: width)
        svg.height = y + Double(rows) * panelH + 10
        let top = y

        for (index, panel) in figure.panels.enumerated() {
            let ox = 10 + Double(index % cols) * panelW, oy = top + Double(index / cols) * panelH
            let plot = Rect(x: ox + 64, y: oy + 34, width: panelW - 64 - 18, height: panelH - 34 - 48)
            let curves = panel.cells.compactMap { c in c.curve.map { (c.label, $0) } }
            let episodes = curves.map(\.1.episodeCount).max() ?? 1
            var low = Double.infinity, high = -Double.infinity
            for (_, c) in curves {
                for v in c.lower + c.upper + c.mean where v.isFinite { low = min(low, v); high = max(high, v) }
            }
            if !low.isFinite { low = 0; high = 1 }
            let yTicks = Ticks(low, high), xTicks = Ticks(0, Double(episodes), integer: true)
            let xs = Scale(domain: (xTicks.low, xTicks.high), range: (plot.x, plot.x + plot.width))
            let ys = Scale(domain: (yTicks.low, yTicks.high), range: (plot.y + plot.height, plot.y))
            let noun = ReportModel.episodeNoun(environment: panel.environment)
            let seeds = Set(curves.map(\.1.runs)), windows = Set(curves.map(\.1.window))
            var note = seeds.count == 1 ? "n = \(seeds.first!) per rule" : "n = " + curves.map { String($0.1.runs) }.joined(separator: "/")
            if windows.count == 1, let w = windows.first, w > 1 { note += " · w = \(w)" }
            svg.text(plot.x, oy + 22, "\(panel.environmentName) · \(panel.shape)", size: 13, weight: "600")
            svg.text(plot.x + plot.width, oy + 22, note, size: 11, color: mutedColor, anchor: "end")
            drawAxes(&svg, plot: plot, xs: xs, ys: ys, xTicks: xTicks, yTicks: yTicks, xLabel: noun, yLabel: figure.quantity)
            for (label, curve) in curves {
                let color = palette.color(label)
                let x = curve.episodes.map { xs(Double($0)) }
                svg.band(x: x, upper: curve.upper.map(ys.callAsFunction), lower: curve.lower.map(ys.callAsFunction), color: color, label: label)
            }
            for (label, curve) in curves {
                let x = curve.episodes.map { xs(Double($0)) }
                svg.line(x: x, y: curve.mean.map(ys.callAsFunction), color: palette.color(label), label: label, className: "curve")
            }
            if curves.isEmpty {
                svg.text(plot.x + plot.width / 2, plot.y + plot.height / 2, "no completed runs", size: 12, color: mutedColor, anchor: "middle")
            }
        }
        return svg.finish()
    }

    // MARK: Depth

    /// Final performance against the number of hidden layers, a line with ±1 sd error bars per rule,
    /// one panel per environment.
    public static func depth(_ figure: DepthFigure, palette: RulePalette, inline: Bool = false) -> String {
        let labels = ReportModel.ordered(figure.panels.flatMap { $0.series.map(\.label) })
        let panelW = 340.0, panelH = 290.0
        let cols = min(3, max(1, figure.panels.count)), rows = (figure.panels.count + cols - 1) / cols
        let width = Double(cols) * panelW + 20
        var svg = SVGWriter(width: width, height: 0, title: figure.title, inline: inline)
        let top = header(&svg, title: figure.title,
                         subtitle: "Final performance (mean return of the last 50 episodes): mean over seeds, error bars ±1 sample sd.",
                         labels: labels, palette: palette, swatch: .point, width: width)
        svg.height = top + Double(rows) * panelH + 10

        for (index, panel) in figure.panels.enumerated() {
            let ox = 10 + Double(index % cols) * panelW, oy = top + Double(index / cols) * panelH
            let plot = Rect(x: ox + 64, y: oy + 34, width: panelW - 64 - 18, height: panelH - 34 - 48)
            let depths = Set(panel.series.flatMap { $0.points.map(\.layers) }).sorted()
            var low = Double.infinity, high = -Double.infinity
            for s in panel.series {
                for p in s.points {
                    low = min(low, p.mean - (p.sd ?? 0)); high = max(high, p.mean + (p.sd ?? 0))
                }
            }
            if !low.isFinite { low = 0; high = 1 }
            let yTicks = Ticks(low, high)
            let ys = Scale(domain: (yTicks.low, yTicks.high), range: (plot.y + plot.height, plot.y))
            let step = plot.width / Double(max(depths.count, 1))
            func xOf(_ layers: Int) -> Double { plot.x + step * (Double(depths.firstIndex(of: layers)!) + 0.5) }
            svg.text(plot.x, oy + 22, "\(panel.environmentName) · \(panel.hidden) units per layer", size: 13, weight: "600")
            // grid and axes
            for t in yTicks.values {
                svg.raw("<line x1=\"\(f(plot.x))\" y1=\"\(f(ys(t)))\" x2=\"\(f(plot.x + plot.width))\" y2=\"\(f(ys(t)))\" stroke=\"\(gridColor)\" stroke-width=\"1\"/>")
                svg.text(plot.x - 7, ys(t) + 4, yTicks.label(t), size: 11, color: mutedColor, anchor: "end")
            }
            svg.raw("<rect x=\"\(f(plot.x))\" y=\"\(f(plot.y))\" width=\"\(f(plot.width))\" height=\"\(f(plot.height))\" fill=\"none\" stroke=\"\(axisColor)\" stroke-width=\"1\"/>")
            for d in depths {
                svg.raw("<line x1=\"\(f(xOf(d)))\" y1=\"\(f(plot.y + plot.height))\" x2=\"\(f(xOf(d)))\" y2=\"\(f(plot.y + plot.height + 5))\" stroke=\"\(axisColor)\"/>")
                svg.text(xOf(d), plot.y + plot.height + 18, String(d), size: 11, color: mutedColor, anchor: "middle")
            }
            svg.text(plot.x + plot.width / 2, plot.y + plot.height + 38, "hidden layers", size: 12, color: textColor, anchor: "middle")
            svg.text(ox + 16, plot.y + plot.height / 2, "final performance", size: 12, color: textColor, anchor: "middle", rotate: true)
            let k = Double(panel.series.count)
            for (i, s) in panel.series.enumerated() {
                let color = palette.color(s.label)
                let dodge = (Double(i) - (k - 1) / 2) * min(10, step / (k + 1))
                let xs = s.points.map { xOf($0.layers) + dodge }
                svg.line(x: xs, y: s.points.map { ys($0.mean) }, color: color, label: s.label, className: "series")
                for (x, p) in zip(xs, s.points) {
                    if let sd = p.sd, sd > 0 {
                        let (top, bottom) = (ys(p.mean + sd), ys(p.mean - sd))
                        svg.raw("<path d=\"M\(f(x)),\(f(top))V\(f(bottom))M\(f(x - 4)),\(f(top))H\(f(x + 4))M\(f(x - 4)),\(f(bottom))H\(f(x + 4))\" stroke=\"\(color)\" stroke-width=\"1.4\" fill=\"none\"/>")
                    }
                    let tip = "\(s.label), \(p.layers) hidden layer\(p.layers == 1 ? "" : "s"): \(ReportFormat.number(p.mean))"
                        + (p.sd.map { " ± \(ReportFormat.number($0))" } ?? "") + " (n = \(p.n), group \(p.group))"
                    svg.raw("<circle cx=\"\(f(x))\" cy=\"\(f(ys(p.mean)))\" r=\"4\" fill=\"\(color)\" stroke=\"#fff\" stroke-width=\"1.2\"><title>\(escape(tip))</title></circle>")
                }
            }
        }
        return svg.finish()
    }

    // MARK: Pieces

    struct Rect { var x, y, width, height: Double }

    /// A linear map from data to pixels.
    struct Scale {
        var domain: (Double, Double)
        var range: (Double, Double)
        func callAsFunction(_ v: Double) -> Double {
            let span = domain.1 - domain.0
            return range.0 + (span == 0 ? 0.5 : (v - domain.0) / span) * (range.1 - range.0)
        }
    }

    /// "Nice" ticks covering [low, high]: steps of 1, 2, 2.5 or 5 × 10^k, about five of them.
    struct Ticks {
        var low: Double, high: Double, step: Double
        var values: [Double]

        init(_ a: Double, _ b: Double, count: Int = 5, integer: Bool = false) {
            var lo = min(a, b), hi = max(a, b)
            if hi - lo < 1e-12 * max(1, abs(hi)) { lo -= max(1, abs(lo) * 0.1); hi += max(1, abs(hi) * 0.1) }
            let raw = (hi - lo) / Double(count)
            let magnitude = pow(10, floor(log10(raw)))
            var step = magnitude
            for m in [1.0, 2, 2.5, 5, 10] where m * magnitude >= raw { step = m * magnitude; break }
            if integer { step = max(1, step.rounded()) }
            self.step = step
            let first = floor(lo / step + 1e-9) * step, last = ceil(hi / step - 1e-9) * step
            low = first
            high = last
            let n = Int(((last - first) / step).rounded())
            values = (0...n).map { first + Double($0) * step }
        }

        /// The tick's text: thousands as "5k" when the step allows, otherwise as many decimals as the step needs.
        func label(_ v: Double) -> String {
            let text: String
            if abs(step) >= 500, v.truncatingRemainder(dividingBy: 100) == 0, abs(v) >= 1000 {
                let k = v / 1000
                text = k == k.rounded() ? String(format: "%.0fk", k) : String(format: "%.1fk", k)
            } else {
                let decimals = max(0, Int(ceil(-log10(step) - 1e-9)) + (step / pow(10, floor(log10(step))) == 2.5 ? 1 : 0))
                text = String(format: "%.\(decimals)f", abs(v) < step * 1e-9 ? 0 : v)
            }
            return text.hasPrefix("-") ? "−" + text.dropFirst() : text
        }
    }

    static func drawAxes(_ svg: inout SVGWriter, plot: Rect, xs: Scale, ys: Scale, xTicks: Ticks, yTicks: Ticks,
                         xLabel: String, yLabel: String) {
        for t in yTicks.values {
            svg.raw("<line x1=\"\(f(plot.x))\" y1=\"\(f(ys(t)))\" x2=\"\(f(plot.x + plot.width))\" y2=\"\(f(ys(t)))\" stroke=\"\(gridColor)\" stroke-width=\"1\"/>")
            svg.text(plot.x - 7, ys(t) + 4, yTicks.label(t), size: 11, color: mutedColor, anchor: "end")
        }
        for t in xTicks.values {
            svg.raw("<line x1=\"\(f(xs(t)))\" y1=\"\(f(plot.y + plot.height))\" x2=\"\(f(xs(t)))\" y2=\"\(f(plot.y + plot.height + 5))\" stroke=\"\(axisColor)\"/>")
            svg.text(xs(t), plot.y + plot.height + 18, xTicks.label(t), size: 11, color: mutedColor, anchor: "middle")
        }
        svg.raw("<rect x=\"\(f(plot.x))\" y=\"\(f(plot.y))\" width=\"\(f(plot.width))\" height=\"\(f(plot.height))\" fill=\"none\" stroke=\"\(axisColor)\" stroke-width=\"1\"/>")
        svg.text(plot.x + plot.width / 2, plot.y + plot.height + 38, xLabel, size: 12, color: textColor, anchor: "middle")
        svg.text(plot.x - 50, plot.y + plot.height / 2, yLabel, size: 12, color: textColor, anchor: "middle", rotate: true)
    }

    enum Swatch { case line, point }

    /// Title, subtitle and legend, each wrapped to `width`; returns where the panels start.
    static func header(_ svg: inout SVGWriter, title: String, subtitle: String, labels: [String], palette: RulePalette,
                       swatch: Swatch, width: Double) -> Double {
        var y = 26.0
        for line in wrap(title, characters: Int((width - 40) / 9.6)) {
            svg.text(20, y, line, size: 16, weight: "600")
            y += 21
        }
        y -= 2
        for line in wrap(subtitle, characters: Int((width - 40) / 6.6)) {
            svg.text(20, y, line, size: 12, color: mutedColor)
            y += 16
        }
        y += 6
        let legend = legendRows(labels, width: width - 40)
        drawLegend(&svg, legend, y: y, palette: palette, swatch: swatch)
        return y + Double(legend.count) * 20
    }

    /// Words of `text` in lines of at most `characters` (a longer word gets a line of its own).
    static func wrap(_ text: String, characters: Int) -> [String] {
        var lines: [String] = [], line = ""
        for word in text.split(separator: " ") {
            if !line.isEmpty && line.count + 1 + word.count > characters {
                lines.append(line)
                line = ""
            }
            line += (line.isEmpty ? "" : " ") + word
        }
        if !line.isEmpty { lines.append(line) }
        return lines
    }

    /// Legend entries split into rows that fit `width` (about 7 px per character at 12 px).
    static func legendRows(_ labels: [String], width: Double) -> [[String]] {
        var rows: [[String]] = [[]]
        var x = 0.0
        for label in labels {
            let w = 34 + 6.8 * Double(label.count) + 18
            if x + w > width && !rows[rows.count - 1].isEmpty { rows.append([]); x = 0 }
            rows[rows.count - 1].append(label)
            x += w
        }
        return rows
    }

    static func drawLegend(_ svg: inout SVGWriter, _ rows: [[String]], y: Double, palette: RulePalette, swatch: Swatch) {
        for (r, row) in rows.enumerated() {
            var x = 20.0
            let cy = y + Double(r) * 20
            for label in row {
                let color = palette.color(label)
                switch swatch {
                case .line:
                    svg.raw("<rect x=\"\(f(x))\" y=\"\(f(cy - 6))\" width=\"26\" height=\"12\" fill=\"\(color)\" fill-opacity=\"0.18\"/>")
                    svg.raw("<line x1=\"\(f(x))\" y1=\"\(f(cy))\" x2=\"\(f(x + 26))\" y2=\"\(f(cy))\" stroke=\"\(color)\" stroke-width=\"2.5\"/>")
                case .point:
                    svg.raw("<line x1=\"\(f(x))\" y1=\"\(f(cy))\" x2=\"\(f(x + 26))\" y2=\"\(f(cy))\" stroke=\"\(color)\" stroke-width=\"2\"/>")
                    svg.raw("<circle cx=\"\(f(x + 13))\" cy=\"\(f(cy))\" r=\"4\" fill=\"\(color)\" stroke=\"#fff\" stroke-width=\"1.2\"/>")
                }
                svg.text(x + 32, cy + 4, label, size: 12, color: textColor, className: "legend")
                x += 34 + 6.8 * Double(label.count) + 18
            }
        }
    }

    /// A coordinate with one decimal.
    static func f(_ v: Double) -> String {
        let r = (v * 10).rounded() / 10
        return r == r.rounded() ? String(Int(r)) : String(format: "%.1f", r)
    }

    /// Text for XML content and attribute values.
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.count)
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                // Control characters other than tab, newline and carriage return are not allowed in XML 1.0.
                if let v = c.unicodeScalars.first?.value, c.unicodeScalars.count == 1, v < 0x20, v != 0x9, v != 0xA, v != 0xD {
                    out += " "
                } else {
                    out.append(c)
                }
            }
        }
        return out
    }
}

/// Accumulates SVG elements.
struct SVGWriter {
    private var body: [String] = []
    let width: Double, title: String, inline: Bool
    var height: Double

    init(width: Double, height: Double, title: String, inline: Bool) {
        self.width = width
        self.height = height
        self.title = title
        self.inline = inline
    }

    mutating func raw(_ s: String) { body.append(s) }

    mutating func text(_ x: Double, _ y: Double, _ s: String, size: Double, color: String = SVGChart.textColor,
                       anchor: String = "start", weight: String? = nil, rotate: Bool = false, className: String? = nil) {
        var attributes = "x=\"\(SVGChart.f(x))\" y=\"\(SVGChart.f(y))\" font-size=\"\(SVGChart.f(size))\" fill=\"\(color)\""
        if anchor != "start" { attributes += " text-anchor=\"\(anchor)\"" }
        if let weight { attributes += " font-weight=\"\(weight)\"" }
        if rotate { attributes += " transform=\"rotate(-90 \(SVGChart.f(x)) \(SVGChart.f(y)))\"" }
        if let className { attributes += " class=\"\(className)\"" }
        body.append("<text \(attributes)>\(SVGChart.escape(s))</text>")
    }

    /// Runs of consecutive finite points as "M…L…" subpaths.
    static func pathData(_ points: [(Double, Double)]) -> String {
        var d = "", pen = false
        for (x, y) in points {
            guard x.isFinite && y.isFinite else { pen = false; continue }
            d += (pen ? "L" : "M") + SVGChart.f(x) + "," + SVGChart.f(y)
            pen = true
        }
        return d
    }

    mutating func line(x: [Double], y: [Double], color: String, label: String, className: String) {
        let d = Self.pathData(Array(zip(x, y)))
        guard !d.isEmpty else { return }
        body.append("<path class=\"\(className)\" data-rule=\"\(SVGChart.escape(label))\" d=\"\(d)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.7\" stroke-linejoin=\"round\" stroke-linecap=\"round\"><title>\(SVGChart.escape(label))</title></path>")
    }

    /// The area between `upper` and `lower`, split where a point is not finite.
    mutating func band(x: [Double], upper: [Double], lower: [Double], color: String, label: String) {
        var d = "", run: [Int] = []
        func close() {
            guard run.count >= 2 else { run = []; return }
            d += Self.pathData(run.map { (x[$0], upper[$0]) })
            d += Self.pathData(run.reversed().map { (x[$0], lower[$0]) }).replacingOccurrences(of: "M", with: "L") + "Z"
            run = []
        }
        for i in x.indices {
            if x[i].isFinite && upper[i].isFinite && lower[i].isFinite { run.append(i) } else { close() }
        }
        close()
        guard !d.isEmpty else { return }
        body.append("<path class=\"band\" data-rule=\"\(SVGChart.escape(label))\" d=\"\(d)\" fill=\"\(color)\" fill-opacity=\"0.16\" stroke=\"none\"/>")
    }

    func finish() -> String {
        let w = SVGChart.f(width), h = SVGChart.f(height)
        var out = inline ? "" : "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(w)\" height=\"\(h)\" viewBox=\"0 0 \(w) \(h)\" role=\"img\" aria-label=\"\(SVGChart.escape(title))\">\n"
        out += "<title>\(SVGChart.escape(title))</title>\n"
        out += "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n"
        out += "<g font-family=\"\(SVGChart.font)\">\n"
        out += body.joined(separator: "\n")
        out += "\n</g>\n</svg>\n"
        return out
    }
}
