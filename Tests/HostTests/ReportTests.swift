import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
@testable import NRLCore
@testable import LuaBridge
@testable import NRLTools
import TestSupport
import XCTest

/// `nrlhost report`'s model, figures and pages, from a store built by hand with known returns.
final class ReportTests: XCTestCase {
    var dir: URL!

    override func setUp() { dir = temporaryFolder() }
    override func tearDown() { try? FileManager.default.removeItem(at: dir) }

    static func run(group: String, label: String, rule: String, environment: String = "cartpole", layers: Int = 1,
                    hidden: Int = 64, seed: Int, protocolName: String = "per-run", episodes: Int = 100) -> StoredRun {
        StoredRun(id: 0, key: "\(group)|\(label)|\(environment)|\(layers)x\(hidden)|\(seed)|\(protocolName)", experiment: "test",
                  group: group, label: label, rule: rule, script: nil, environment: environment, hidden: hidden, layers: layers,
                  seed: seed, initSeed: seed, protocolName: protocolName, episodes: episodes, specJSON: "{}", status: "pending",
                  message: nil, seconds: nil, steps: nil, finalPerformance: nil)
    }

    /// Returns whose first half is 0 and whose last 50 episodes are `final`.
    static func returns(_ count: Int, final: Double) -> [Double] {
        (1...count).map { $0 <= count - 50 ? 0 : final }
    }

    static func result(_ returns: [Double], failure: String? = nil) -> RunResult {
        RunResult(records: returns.enumerated().map { EpisodeRecord(episode: $0.offset + 1, totalReward: $0.element, length: 10) },
                  seconds: 1, steps: 10 * returns.count, failure: failure)
    }

    static let oddLabel = "nrl (lr=0.1) <x> & \"y\""
    static let failure = "the weights became NaN or infinite in episode 7; the run stopped there"

    /// fig1: nrl 10/20/30, bp 100/100/100, rmhl 1, 2 and a failed seed, a pending one; on cartpole 1x64.
    /// depth: nrl and bp at 2 layers (nrl 5/7), and a rule with an odd label on acrobot.
    func makeStore() throws -> ResultStore {
        let store = try ResultStore(path: dir.appendingPathComponent("r.sqlite").path)
        var plan: [(StoredRun, RunResult?)] = []
        for (seed, final) in [(1, 10.0), (2, 20.0), (3, 30.0)] {
            plan.append((Self.run(group: "fig1", label: "nrl", rule: "nrl", seed: seed), Self.result(Self.returns(100, final: final))))
            plan.append((Self.run(group: "fig1", label: "bp", rule: "bp", seed: seed), Self.result(Self.returns(100, final: 100))))
        }
        plan.append((Self.run(group: "fig1", label: "rmhl", rule: "rmhl", seed: 1), Self.result(Self.returns(100, final: 1))))
        // A shorter run: the cell's curve uses its 80 episodes.
        plan.append((Self.run(group: "fig1", label: "rmhl", rule: "rmhl", seed: 2, episodes: 80), Self.result(Self.returns(80, final: 2))))
        plan.append((Self.run(group: "fig1", label: "rmhl", rule: "rmhl", seed: 3), Self.result(Array(Self.returns(100, final: 3).prefix(7)), failure: Self.failure)))
        plan.append((Self.run(group: "fig1", label: "rmhl", rule: "rmhl", seed: 4), nil))
        for (seed, final) in [(1, 5.0), (2, 7.0)] {
            plan.append((Self.run(group: "depth", label: "nrl", rule: "nrl", layers: 2, seed: seed), Self.result(Self.returns(100, final: final))))
            plan.append((Self.run(group: "depth", label: "bp", rule: "bp", layers: 2, seed: seed), Self.result(Self.returns(100, final: 90))))
        }
        plan.append((Self.run(group: "odd", label: Self.oddLabel, rule: "nrl", environment: "acrobot", seed: 1),
                     Self.result(Self.returns(100, final: -100))))
        let prepared = try store.prepare(plan.map(\.0))
        XCTAssertEqual(prepared.count, plan.count)
        for (run, (_, result)) in zip(prepared, plan) {
            guard let result else { continue }
            try store.markRunning(run.id)
            try store.finish(run.id, result)
        }
        return store
    }

    func cell(_ model: ReportModel, group: String, layers: Int = 1, _ label: String) -> ReportCell? {
        model.groups.first { $0.group == group && $0.layers == layers }?.cells.first { $0.label == label }
    }

    // MARK: Numbers

    func testFinalPerformanceCountsAndFailures() throws {
        let model = try ReportModel(store: try makeStore())
        XCTAssertEqual(model.totalRuns, 15)
        XCTAssertEqual(model.completedRuns, 13)
        XCTAssertEqual(model.failedRuns, 1)
        XCTAssertEqual(model.unfinishedRuns, 1)
        XCTAssertEqual(model.groups.map { "\($0.group) \($0.environment) \($0.shape)" },
                       ["fig1 cartpole 1x64", "depth cartpole 2x64", "odd acrobot 1x64"])

        let nrl = try XCTUnwrap(cell(model, group: "fig1", "nrl"))
        XCTAssertEqual(nrl.mean!, 20, accuracy: 1e-12)
        XCTAssertEqual(nrl.sd!, 10, accuracy: 1e-12, "sample sd of 10, 20, 30")
        XCTAssertEqual(nrl.finalValues.count, 3)
        XCTAssertEqual(nrl.failed, 0)

        let bp = try XCTUnwrap(cell(model, group: "fig1", "bp"))
        XCTAssertEqual(bp.mean!, 100, accuracy: 1e-12)
        XCTAssertEqual(bp.sd!, 0, accuracy: 1e-12)

        let rmhl = try XCTUnwrap(cell(model, group: "fig1", "rmhl"))
        XCTAssertEqual(rmhl.completed, 2)
        XCTAssertEqual(rmhl.failed, 1)
        XCTAssertEqual(rmhl.unfinished, 1)
        XCTAssertEqual(rmhl.mean!, 1.5, accuracy: 1e-12)
        XCTAssertEqual(rmhl.sd!, 0.5.squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(rmhl.failures.map(\.message), [Self.failure])
        XCTAssertEqual(model.failures.map(\.seed), [3])

        let single = try XCTUnwrap(cell(model, group: "odd", Self.oddLabel))
        XCTAssertEqual(single.mean!, -100, accuracy: 1e-12)
        XCTAssertNil(single.sd, "one run has no sd")
        XCTAssertEqual(ReportFormat.meanSD(single), "−100.0")

        let text = ReportTables.text(ReportTables.performance(model))
        XCTAssertTrue(text.contains("20.00 ± 10.00"), text)
        XCTAssertTrue(text.contains("1.500 ± 0.707"), text)
        XCTAssertTrue(text.contains("not run"), text)
        let rmhlLine = try XCTUnwrap(text.split(separator: "\n").first { $0.contains("rmhl") })
        XCTAssertEqual(rmhlLine.split(separator: " ").suffix(3), ["2", "1", "1"], "n 2, failed 1, not run 1: \(rmhlLine)")
    }

    func testCurvesAreSmoothedDownsampledAndCutToTheShortestRun() throws {
        let model = try ReportModel(store: try makeStore())
        let nrl = try XCTUnwrap(cell(model, group: "fig1", "nrl")?.curve)
        XCTAssertEqual(nrl.episodeCount, 100)
        XCTAssertEqual(nrl.runs, 3)
        XCTAssertEqual(nrl.window, 3, "1.5% of 100 episodes, rounded to an odd width")
        XCTAssertEqual(nrl.episodes.count, 100)
        XCTAssertEqual(nrl.mean.last!, 20, accuracy: 1e-12)
        XCTAssertEqual(nrl.lower.last!, 10, accuracy: 1e-12, "min over seeds")
        XCTAssertEqual(nrl.upper.last!, 30, accuracy: 1e-12, "max over seeds")
        XCTAssertEqual(nrl.mean[50], (0 + 20 + 20) / 3, accuracy: 1e-12, "the centred window straddles the step at episode 51")
        XCTAssertFalse(nrl.truncated)

        let rmhl = try XCTUnwrap(cell(model, group: "fig1", "rmhl")?.curve)
        XCTAssertEqual(rmhl.episodeCount, 80, "the shortest completed run")
        XCTAssertEqual(rmhl.runs, 2, "the failed run's partial returns are left out")
        XCTAssertTrue(rmhl.truncated)

        // Long runs: ≤ 400 points, first and last episode kept, band around the mean.
        let long = (0..<5).map { s in (0..<20_000).map { Double($0 % 97) + Double(s) } }
        let c = try XCTUnwrap(ReportModel.curve(long, options: .init()))
        XCTAssertLessThanOrEqual(c.episodes.count, 400)
        XCTAssertEqual(c.episodes.first, 1)
        XCTAssertEqual(c.episodes.last, 20_000)
        XCTAssertEqual(c.window, 301)
        for i in c.mean.indices { XCTAssertTrue(c.lower[i] <= c.mean[i] && c.mean[i] <= c.upper[i]) }
        let sd = try XCTUnwrap(ReportModel.curve(long, options: .init(band: .standardDeviation)))
        XCTAssertEqual(sd.upper[10] - sd.mean[10], Statistics.sampleStandardDeviation([0, 1, 2, 3, 4])!, accuracy: 1e-9)
        XCTAssertEqual(ReportModel.movingAverage([1, 2, 3, 4, 5], window: 3), [1.5, 2, 3, 4, 4.5])
        XCTAssertEqual(ReportModel.movingAverage([1, .nan, 3], window: 3), [1, 2, 3])
        XCTAssertEqual(ReportModel.smoothingWindow(episodes: 10, fraction: 0.015), 1)
    }

    func testDepthFigureCombinesGroups() throws {
        let model = try ReportModel(store: try makeStore())
        XCTAssertEqual(model.depthFigures.count, 1)
        let panel = try XCTUnwrap(model.depthFigures.first?.panels.first)
        XCTAssertEqual(panel.environment, "cartpole")
        XCTAssertEqual(panel.series.map(\.label), ["nrl", "bp"], "rmhl has one depth only")
        let nrl = panel.series[0].points
        XCTAssertEqual(nrl.map(\.layers), [1, 2])
        XCTAssertEqual(nrl.map(\.mean), [20, 6])
        XCTAssertEqual(nrl[1].sd!, 2.0.squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(nrl.map(\.group), ["fig1", "depth"])
    }

    // MARK: Figures and pages

    /// Parses `xml`; returns the elements matching `xpath` (needs FoundationXML).
    func elements(_ xml: String, _ xpath: String, file: StaticString = #filePath, line: UInt = #line) throws -> [XMLNode] {
        let document = try XMLDocument(data: Data(xml.utf8), options: [])
        return try document.nodes(forXPath: xpath)
    }

    func testSVGFiguresAreWellFormedWithOnePathPerRule() throws {
        let model = try ReportModel(store: try makeStore())
        XCTAssertEqual(model.curveFigures.map(\.id), ["curves-fig1-per-run-1l", "curves-depth-per-run-2l", "curves-odd-per-run-1l"])
        for figure in model.curveFigures {
            let svg = SVGChart.learningCurves(figure, palette: model.palette, band: model.band)
            XCTAssertTrue(svg.hasPrefix("<?xml"))
            XCTAssertTrue(svg.contains("xmlns=\"http://www.w3.org/2000/svg\""))
            let curves = try elements(svg, "//*[local-name()='path'][@class='curve']")
            let labels = figure.panels.flatMap { $0.cells.filter { $0.curve != nil }.map(\.label) }
            XCTAssertEqual(curves.count, labels.count, figure.id)
            let ruleAttributes = try elements(svg, "//*[local-name()='path'][@class='curve']/@data-rule").compactMap(\.stringValue)
            XCTAssertEqual(Set(ruleAttributes), Set(labels), "escaped labels come back intact")
            let root = try XCTUnwrap(try XMLDocument(data: Data(svg.utf8)).rootElement())
            XCTAssertEqual(root.name, "svg")
            XCTAssertEqual(root.uri, "http://www.w3.org/2000/svg")
        }
        let fig1 = SVGChart.learningCurves(model.curveFigures[0], palette: model.palette, band: model.band)
        // Each rule's colour is its palette colour, and nrl/bp/rmhl differ.
        for label in ["nrl", "bp", "rmhl"] {
            XCTAssertTrue(fig1.contains("data-rule=\"\(label)\" d=\"M"), label)
            XCTAssertTrue(fig1.contains("stroke=\"\(model.palette.color(label))\""), label)
        }
        XCTAssertEqual(Set(["nrl", "bp", "rmhl"].map(model.palette.color)).count, 3)
        XCTAssertEqual(model.palette.color("nrl"), RulePalette.fixed["nrl"])

        let depth = SVGChart.depth(model.depthFigures[0], palette: model.palette)
        XCTAssertEqual(try elements(depth, "//*[local-name()='path'][@class='series']").count, 2)
        XCTAssertEqual(try elements(depth, "//*[local-name()='circle']").count, 4 + 2, "4 points and 2 legend markers")
    }

    func testHTMLIsSelfContained() throws {
        let model = try ReportModel(store: try makeStore())
        let diagnostics = Diagnostics(alignment: nil)
        let html = HTMLReport.render(model, diagnostics: diagnostics)
        let urls = html.ranges(of: #/https?://[^\s"'<>)]*/#).map { String(html[$0]) }
        XCTAssertFalse(urls.isEmpty)
        XCTAssertEqual(Set(urls), ["http://www.w3.org/2000/svg"], "no external resources")
        XCTAssertFalse(html.contains("<link"))
        XCTAssertFalse(html.contains("<script"))
        XCTAssertFalse(html.contains("src="))
        XCTAssertTrue(html.contains("20.00 ± 10.00"))
        XCTAssertTrue(html.contains(SVGChart.escape(Self.failure)), "the failed run's message is shown")
        XCTAssertTrue(html.contains(SVGChart.escape(Self.oddLabel)))
        XCTAssertFalse(html.contains(Self.oddLabel), "labels are escaped")
        XCTAssertEqual(html.components(separatedBy: "<svg ").count - 1, model.curveFigures.count + model.depthFigures.count + model.profileFigures.count)
        XCTAssertTrue(html.contains("Cost card"))
        // Every inline SVG is well-formed XML on its own.
        var rest = html[...]
        while let start = rest.range(of: "<svg "), let end = rest.range(of: "</svg>", range: start.upperBound..<rest.endIndex) {
            _ = try XMLDocument(data: Data(rest[start.lowerBound..<end.upperBound].utf8))
            rest = rest[end.upperBound...]
        }
    }

    func testMarkdownHasTablesAndRelativeFigureLinks() throws {
        let model = try ReportModel(store: try makeStore())
        let links = Dictionary(uniqueKeysWithValues: (model.curveFigures.map(\.id) + model.depthFigures.map(\.id)).map {
            ($0, MarkdownReport.relativePath(from: URL(fileURLWithPath: "/a/docs"), to: URL(fileURLWithPath: "/a/docs/figures/\($0).svg")))
        })
        let md = MarkdownReport.render(model, diagnostics: nil, figureLinks: links)
        XCTAssertTrue(md.contains("| group | protocol | environment | shape | rule | parameters | final performance (mean ± sd) | IQM [95% CI] | n | failed | not run |"))
        XCTAssertTrue(md.contains("| fig1 | per-run | cartpole | 1x64 | nrl |  | 20.00 ± 10.00 | 20.00 [10.00, 30.00] | 3 | 0 | 0 |"), md)
        XCTAssertTrue(md.contains("](figures/curves-fig1-per-run-1l.svg)"))
        XCTAssertTrue(md.contains("](figures/depth-per-run.svg)"))
        XCTAssertTrue(md.contains(Self.failure))
        XCTAssertFalse(MarkdownReport.render(model, diagnostics: nil).contains(".svg"), "no links without --svg")
        XCTAssertEqual(MarkdownReport.relativePath(from: URL(fileURLWithPath: "/a/docs"), to: URL(fileURLWithPath: "/a/fig/x.svg")), "../fig/x.svg")
    }

    /// Two configurations under one label (a default changed between two sweeps of the same
    /// experiment) are two rows named by what differs, with a note; never one pooled row.
    func testTwoSpecsUnderOneLabelAreTwoRowsNamedByTheirDifference() throws {
        func spec(_ lambda: Double, script: String = "abc1234def") -> String {
            #"{"environment":"cartpole","episodes":100,"hidden":64,"initSeed":1,"layers":1,"limits":{},"#
                + #""parameters":{"values":{"lambda":\#(lambda),"lr":0.05,"trace":true}},"ruleScriptHash":"\#(script)","#
                + #""rule":"nrl-lambda","seed":1,"version":"0.3.0"}"#
        }
        var runs: [StoredRun] = []
        var returns: [Int64: [Double]] = [:]
        for (k, (lambda, final)) in [(0.99, 200.0), (0.99, 210.0), (0.5, 20.0), (0.5, 30.0)].enumerated() {
            var r = Self.run(group: "main", label: "nrl-lambda", rule: "nrl-lambda", seed: k % 2 + 1)
            r.id = Int64(k + 1)
            r.key += "|\(lambda)"
            r.specJSON = spec(lambda)
            r.status = "completed"
            r.finalPerformance = final
            runs.append(r)
            returns[r.id] = Self.returns(100, final: final)
        }
        let model = try ReportModel(storePath: "s", runs: runs, returns: { returns[$0]! })
        let cells = try XCTUnwrap(model.groups.first).cells
        XCTAssertEqual(cells.map(\.label), ["nrl-lambda (lambda=0.99)", "nrl-lambda (lambda=0.5)"])
        XCTAssertEqual(cells.map(\.finalValues), [[200, 210], [20, 30]])
        XCTAssertEqual(cells.map(\.identity.parameterText), ["lambda=0.99 lr=0.05 trace=true", "lambda=0.5 lr=0.05 trace=true"])
        XCTAssertEqual(model.specNotes.count, 1)
        XCTAssertTrue(model.specNotes[0].contains("'nrl-lambda' in main"), model.specNotes[0])
        let table = ReportTables.text(ReportTables.performance(model))
        XCTAssertTrue(table.contains("nrl-lambda (lambda=0.5)"), table)
        XCTAssertEqual(Set(model.palette.colors.keys), Set(cells.map(\.label)), "each row has its own colour")

        // An edited script with the same parameters: named by the script's content hash.
        runs[2].specJSON = spec(0.99, script: "9876543aaa")
        runs[3].specJSON = spec(0.99, script: "9876543aaa")
        let edited = try ReportModel(storePath: "s", runs: runs, returns: { returns[$0]! })
        XCTAssertEqual(edited.groups[0].cells.map(\.label), ["nrl-lambda (script abc1234)", "nrl-lambda (script 9876543)"])
        // One configuration: the label as the experiment wrote it.
        let one = try ReportModel(storePath: "s", runs: Array(runs.prefix(2)), returns: { returns[$0]! })
        XCTAssertEqual(one.groups[0].cells.map(\.label), ["nrl-lambda"])
        XCTAssertTrue(one.specNotes.isEmpty)
    }

    /// What scripts logged is drawn per metric, one curve per rule, from the runs' own values.
    func testLoggedMetricsAreDrawn() throws {
        let store = try ResultStore(path: dir.appendingPathComponent("m.sqlite").path)
        let prepared = try store.prepare([Self.run(group: "main", label: "mine", rule: "mine", seed: 1),
                                          Self.run(group: "main", label: "mine", rule: "mine", seed: 2)])
        for (k, run) in prepared.enumerated() {
            try store.markRunning(run.id)
            let records = (1...10).map { e in
                EpisodeRecord(episode: e, totalReward: 1, length: 1, metrics: e % 2 == 0 ? ["rpe": Double(k + e)] : [:])
            }
            try store.finish(run.id, RunResult(records: records, seconds: 1, steps: 10, failure: nil))
        }
        let model = try ReportModel(store: store, options: .init(windowFraction: 0))
        let figure = try XCTUnwrap(model.metricFigures.first)
        XCTAssertEqual(model.metricFigures.count, 1)
        XCTAssertEqual(figure.quantity, "rpe")
        let curve = try XCTUnwrap(figure.panels.first?.cells.first?.curve)
        XCTAssertEqual(curve.mean[1], 2.5, "episode 2: mean of 2 and 3")
        XCTAssertTrue(curve.mean[0].isNaN, "episode 1 logged nothing")
        let svg = SVGChart.learningCurves(figure, palette: model.palette, band: model.band)
        XCTAssertTrue(svg.contains(">rpe<"), "the y axis names the metric")
        XCTAssertTrue(HTMLReport.render(model, diagnostics: nil).contains("Logged metrics"))
        XCTAssertFalse(HTMLReport.render(model, diagnostics: nil).contains("href=\"#depth\""), "no empty Depth section")
    }

    /// The report's IQM and probabilities of improvement on the committed reference data set (values
    /// from scipy, tools/make_statistics_fixture.py): one block, a rule's runs ending at its scores.
    func testReportStatisticsMatchTheReference() throws {
        struct Fixture: Decodable {
            struct Rule: Decodable { var label: String; var scores: [[Double]] }
            struct Pair: Decodable { var x: String; var y: String; var probability: Double }
            struct Report: Decodable { var task: Int; var iqm: [String: Double]; var pairs: [Pair] }
            var rules: [Rule]
            var report: Report
        }
        let url = ReferenceData.packageRoot.appendingPathComponent("Tests/Golden/statistics/rliable_reference.json")
        let fixture = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
        let store = try ResultStore(path: dir.appendingPathComponent("stats.sqlite").path)
        var plan: [(StoredRun, Double)] = []
        for rule in fixture.rules {
            for (k, score) in rule.scores[fixture.report.task].enumerated() {
                plan.append((Self.run(group: "main", label: rule.label, rule: rule.label, seed: k + 1), score))
            }
        }
        for (run, (_, score)) in zip(try store.prepare(plan.map(\.0)), plan) {
            try store.markRunning(run.id)
            try store.finish(run.id, Self.result([Double](repeating: score, count: 60)))
        }
        let model = try ReportModel(store: store)
        let group = try XCTUnwrap(model.groups.first)
        XCTAssertEqual(group.cells.map(\.label), fixture.rules.map(\.label))
        for cell in group.cells {
            let robust = try XCTUnwrap(cell.robust)
            XCTAssertEqual(robust.interquartileMean, fixture.report.iqm[cell.label]!, accuracy: 1e-12, cell.label)
            XCTAssertLessThanOrEqual(robust.interquartileMeanCI.lower, robust.interquartileMean)
            XCTAssertGreaterThanOrEqual(robust.interquartileMeanCI.upper, robust.interquartileMean)
        }
        XCTAssertEqual(group.improvements.count, fixture.report.pairs.count)
        for (mine, reference) in zip(group.improvements, fixture.report.pairs) {
            XCTAssertEqual([mine.x, mine.y], [reference.x, reference.y])
            XCTAssertEqual(mine.probability, reference.probability, accuracy: 1e-12, "\(mine.x) vs \(mine.y)")
        }
        // What the reader sees: the IQM with its interval in the table, each probability, a profile figure.
        let table = ReportTables.text(ReportTables.performance(model))
        let nrl = try XCTUnwrap(group.cells.first).robust!
        XCTAssertTrue(table.contains(ReportFormat.estimate(nrl.interquartileMean, nrl.interquartileMeanCI)), table)
        let improvement = ReportTables.text(ReportTables.improvement(model))
        for p in fixture.report.pairs { XCTAssertTrue(improvement.contains(String(format: "%.2f", p.probability)), improvement) }
        XCTAssertEqual(model.profileFigures.count, 1)
        XCTAssertEqual(model.profileFigures[0].figure.panels.first?.series.map(\.label), fixture.rules.map(\.label))
        let html = HTMLReport.render(model, diagnostics: nil)
        XCTAssertTrue(html.contains("Probability of improvement") && html.contains("Performance profiles") && html.contains("Sample efficiency"))
        // CartPole's threshold is Gymnasium's 475; a run of constant 500 reaches it at once, 120 never.
        XCTAssertEqual(group.threshold?.value, 475)
    }

    func testEmptyStore() throws {
        let store = try ResultStore(path: dir.appendingPathComponent("empty.sqlite").path)
        let model = try ReportModel(store: store)
        XCTAssertEqual(model.totalRuns, 0)
        XCTAssertTrue(model.curveFigures.isEmpty)
        let html = HTMLReport.render(model, diagnostics: nil)
        XCTAssertTrue(html.contains("holds no runs"))
    }

    // MARK: Diagnostics

    /// NRL's estimate lines up with the exact gradient given enough samples; BP's (the exact
    /// ∇log π, sampled) more so. Fixed seeds, so these are statistical facts checked once.
    func testGradientAlignmentOnCartPole() throws {
        var settings = AlignmentSettings()
        settings.environments = ["cartpole"]
        settings.states = 10
        settings.sampleCounts = [100, 10_000]
        settings.estimators = [.bp, .nrl]
        let report = try GradientAlignment.measure(settings)
        func row(_ e: AlignmentEstimator) throws -> AlignmentRow { try XCTUnwrap(report.rows.first { $0.estimator == e }) }
        let nrl = try row(.nrl), bp = try row(.bp)
        XCTAssertEqual(nrl.shape.description, "4-64-2")
        XCTAssertGreaterThan(nrl.meanCosine[1], 0.9, "NRL at M = 10,000: \(nrl.meanCosine)")
        XCTAssertGreaterThan(nrl.meanCosine[1], nrl.meanCosine[0], "more samples, better aligned")
        XCTAssertGreaterThan(bp.meanCosine[1], 0.99, "BP at M = 10,000: \(bp.meanCosine)")
        for r in report.rows {
            XCTAssertEqual(r.cosines.map(\.count), [10, 10])
            for c in r.cosines.joined() { XCTAssertTrue(c.isFinite && abs(c) <= 1 + 1e-9) }
        }
        let again = try GradientAlignment.measure(settings)
        XCTAssertEqual(again.rows.map(\.cosines), report.rows.map(\.cosines), "deterministic")

        // The perturbation estimators, briefly: finite cosines that improve with M.
        settings.states = 3
        settings.sampleCounts = [30, 3_000]
        settings.estimators = [.nodePerturbation, .weightPerturbation]
        for r in try GradientAlignment.measure(settings).rows {
            XCTAssertTrue(r.cosines.joined().allSatisfy { $0.isFinite && abs($0) <= 1 + 1e-9 }, r.estimator.title)
            XCTAssertGreaterThan(r.meanCosine[1], r.meanCosine[0], r.estimator.title)
        }
    }

    /// The reference the diagnostic measures against, ∇J = Σ_a π(a)(R(a) − J)∇log π(a), agrees with
    /// central finite differences of J.
    func testExactGradientMatchesFiniteDifferences() throws {
        let states = try GradientAlignment.states(environment: "acrobot", count: 2, seed: 7)
        XCTAssertEqual(states.count, 2)
        let shape = NetworkShape(inputs: 6, hidden: 16, layers: 2, outputs: 3)
        let network = Network(shape: shape)
        var random = Xoshiro256(seed: 3)
        network.initializeXavier(&random)
        let pass = network.makePass(), backprop = Backprop(shape: shape)
        let reward = [0.7, -1.3, 0.4]
        let observation = UnsafeMutablePointer<Float>.allocate(capacity: 6)
        defer { observation.deallocate() }
        states[1].withUnsafeBufferPointer { observation.update(from: $0.baseAddress!, count: 6) }
        func objective() -> Double {
            network.forward(observation, into: pass)
            return (0..<3).reduce(0) { $0 + pass.probabilities[$1] * reward[$1] }
        }
        let j = objective()
        let gradient = LayerMatrices(shape: shape)
        for a in 0..<3 {
            backprop.addLogProbabilityGradient(pass, weights: network.weights, action: a, into: gradient,
                                               scale: pass.probabilities[a] * (reward[a] - j))
        }
        let finite = LayerMatrices(shape: shape)
        let h: Float = 1e-2
        for i in 0..<shape.weightCount {
            let w = network.weights.values[i]
            network.weights.values[i] = w + h
            let up = objective()
            network.weights.values[i] = w - h
            let down = objective()
            network.weights.values[i] = w
            finite.values[i] = Float((up - down) / Double(2 * h))
        }
        XCTAssertGreaterThan(GradientAlignment.cosine(gradient, finite, layer: nil), 0.999)
        for l in 0..<shape.layerCount { XCTAssertGreaterThan(GradientAlignment.cosine(gradient, finite, layer: l), 0.99) }
    }

    func testCostCardCoversTheBuiltinRules() {
        XCTAssertEqual(CostCard.builtin.map(\.rule), ["nrl", "nrl-noisy", "rmhl", "np", "wp", "bp"])
        XCTAssertEqual(CostCard.builtin.filter { !$0.isLocal }.map(\.rule), ["bp"])
        let table = ReportTables.text(ReportTables.costs(CostCard.builtin))
        XCTAssertTrue(table.contains("2 × W (768 / 1,152 / 8,960)"), table)
    }
}
