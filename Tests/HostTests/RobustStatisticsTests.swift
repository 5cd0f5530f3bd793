import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import NRLCore
@testable import NRLTools
import TestSupport
import XCTest

/// RobustStatistics against numbers computed with numpy and scipy, as rliable computes them
/// (Tests/Golden/statistics/rliable_reference.json, written by tools/make_statistics_fixture.py).
final class RobustStatisticsTests: XCTestCase {
    struct Reference: Decodable {
        struct MonteCarlo: Decodable {
            let resamples: Int
            let lower_bounds: [Double], upper_bounds: [Double]
        }
        struct Profile: Decodable { let fraction: [Double], lower: [Double], upper: [Double] }
        struct Rule: Decodable {
            let label: String
            let scores: [[Double]]
            let iqm: Double, mean: Double
            let bootstrap_indices: [[[Int]]]
            let iqm_ci: [Double], mean_ci: [Double]
            let profile: Profile
            let iqm_monte_carlo: MonteCarlo
        }
        struct Pair: Decodable {
            let x: String, y: String
            let probability: Double
            let x_indices: [[[Int]]], y_indices: [[[Int]]]
            let ci: [Double]
        }
        struct TrimCase: Decodable { let values: [Double], iqm: Double }
        struct EfficiencyCase: Decodable { let window: Int, threshold: Double, episode: Int? }
        struct Efficiency: Decodable { let returns: [Double], auc: Double, cases: [EfficiencyCase] }
        let schema: String
        let confidence: Double
        let thresholds: [Double]
        let rules: [Rule]
        let pairs: [Pair]
        let trim_mean_cases: [TrimCase]
        let sample_efficiency: Efficiency

        func rule(_ label: String) throws -> Rule { try XCTUnwrap(rules.first { $0.label == label }, label) }
    }

    static let file = ReferenceData.shippedTrajectoryFolder.appendingPathComponent("statistics/rliable_reference.json")

    func reference() throws -> Reference {
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: Self.file))
        XCTAssertEqual(reference.schema, "nrl-statistics-v1")
        return reference
    }

    /// Equal to the reference up to summation order: 1e-12 relative (absolute below 1).
    func assertClose(_ got: Double?, _ want: Double, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        guard let got else { return XCTFail("\(what): nil, want \(want)", file: file, line: line) }
        XCTAssertLessThanOrEqual(abs(got - want), 1e-12 * max(1, abs(want)), "\(what): \(got) vs \(want)", file: file, line: line)
    }

    let iqm: ([[Double]]) -> Double = { RobustStatistics.interquartileMean(pooling: $0)! }
    let aggregateMean: ([[Double]]) -> Double = { RobustStatistics.aggregateMean($0)! }

    // (1) IQM = scipy.stats.trim_mean(x, 0.25, axis=None); the mean = rliable's aggregate_mean.
    func testInterquartileMeanEqualsScipyTrimMean() throws {
        let reference = try reference()
        for c in reference.trim_mean_cases {
            assertClose(RobustStatistics.interquartileMean(c.values), c.iqm, "trim_mean \(c.values)")
        }
        for r in reference.rules {
            assertClose(RobustStatistics.interquartileMean(pooling: r.scores), r.iqm, "IQM of \(r.label)")
            assertClose(RobustStatistics.aggregateMean(r.scores), r.mean, "mean of \(r.label)")
        }
    }

    // (2) From the reference's own resamples, the percentile intervals equal numpy's.
    func testBootstrapIntervalsFromTheReferenceResamplesEqualNumpy() throws {
        let reference = try reference()
        for r in reference.rules {
            let iqmCI = try XCTUnwrap(RobustStatistics.stratifiedBootstrapCI(
                r.scores, resampleIndices: r.bootstrap_indices, confidence: reference.confidence, statistic: iqm))
            assertClose(iqmCI.lower, r.iqm_ci[0], "IQM CI lower of \(r.label)")
            assertClose(iqmCI.upper, r.iqm_ci[1], "IQM CI upper of \(r.label)")
            let meanCI = try XCTUnwrap(RobustStatistics.stratifiedBootstrapCI(
                r.scores, resampleIndices: r.bootstrap_indices, confidence: reference.confidence, statistic: aggregateMean))
            assertClose(meanCI.lower, r.mean_ci[0], "mean CI lower of \(r.label)")
            assertClose(meanCI.upper, r.mean_ci[1], "mean CI upper of \(r.label)")
        }
    }

    // (3) With our generator: the percentile from B resamples lies between the exact bootstrap
    // distribution's quantiles at levels p ± 5·√(p(1−p)/B) (the fixture enumerates every resample), which
    // a correct bootstrap misses with probability about 6e-7 per bound; the seeds are fixed, so the test is
    // deterministic. A resampler that ignores the tasks, or draws a task's last run half as often, fails it.
    func testOwnGeneratorLandsWithinTheMonteCarloToleranceOfTheExactBootstrap() throws {
        let reference = try reference()
        for r in reference.rules {
            let mc = r.iqm_monte_carlo
            for seed: UInt64 in [0, 1] {
                let settings = BootstrapSettings(resamples: mc.resamples, confidence: reference.confidence, seed: seed)
                let ci = try XCTUnwrap(RobustStatistics.stratifiedBootstrapCI(r.scores, settings: settings, statistic: iqm))
                XCTAssertTrue((mc.lower_bounds[0]...mc.lower_bounds[1]).contains(ci.lower),
                              "\(r.label) seed \(seed): lower \(ci.lower) outside \(mc.lower_bounds)")
                XCTAssertTrue((mc.upper_bounds[0]...mc.upper_bounds[1]).contains(ci.upper),
                              "\(r.label) seed \(seed): upper \(ci.upper) outside \(mc.upper_bounds)")
            }
        }
    }

    func testSummaryIsTheReferencePointsWithTheSameIntervals() throws {
        let reference = try reference()
        for r in reference.rules {
            let settings = BootstrapSettings(resamples: 300, seed: 5)
            let summary = try XCTUnwrap(RobustStatistics.summary(r.scores + [[.nan]], settings: settings))
            assertClose(summary.interquartileMean, r.iqm, "IQM of \(r.label)")
            assertClose(summary.mean, r.mean, "mean of \(r.label)")
            XCTAssertEqual(summary.interquartileMeanCI, RobustStatistics.stratifiedBootstrapCI(r.scores, settings: settings, statistic: iqm))
            XCTAssertEqual(summary.meanCI, RobustStatistics.stratifiedBootstrapCI(r.scores, settings: settings, statistic: aggregateMean))
            XCTAssertEqual(summary.runs, r.scores.map(\.count).reduce(0, +))
            XCTAssertEqual(summary.droppedNonFinite, 1)
        }
        XCTAssertNil(RobustStatistics.summary([[.nan], []]))
    }

    func testSameSeedSameIntervalOtherSeedOtherResamples() throws {
        let scores = try reference().rule("nrl").scores
        let a = RobustStatistics.stratifiedBootstrapCI(scores, settings: BootstrapSettings(resamples: 500, seed: 3), statistic: iqm)
        let b = RobustStatistics.stratifiedBootstrapCI(scores, settings: BootstrapSettings(resamples: 500, seed: 3), statistic: iqm)
        XCTAssertEqual(a, b)
        var g1 = Xoshiro256(seed: 3), g2 = Xoshiro256(seed: 4)
        XCTAssertNotEqual(g1.stratifiedIndices(runsPerTask: [5, 5], resamples: 20), g2.stratifiedIndices(runsPerTask: [5, 5], resamples: 20))
    }

    /// Draws are uniform over 0..<n: counts of 60,000 draws from 0..<6 within 5 sd of 10,000.
    func testGeneratorIndicesAreUniform() {
        var generator = Xoshiro256(seed: 11)
        var counts = [Int](repeating: 0, count: 6)
        for _ in 0..<60_000 { counts[generator.index(below: 6)] += 1 }
        let sd = (60_000.0 * (1.0 / 6) * (5.0 / 6)).squareRoot()
        for c in counts { XCTAssertLessThan(abs(Double(c) - 10_000), 5 * sd, "\(counts)") }
    }

    // (4) Probability of improvement (scipy's Mann–Whitney U / nm, averaged over tasks) and its interval
    // from the reference's independent resamples of X and Y.
    func testProbabilityOfImprovementEqualsTheReference() throws {
        let reference = try reference()
        for p in reference.pairs {
            let x = try reference.rule(p.x).scores, y = try reference.rule(p.y).scores
            assertClose(RobustStatistics.probabilityOfImprovement(x, y), p.probability, "P(\(p.x) > \(p.y))")
            let ci = try XCTUnwrap(RobustStatistics.probabilityOfImprovementCI(
                x, y, xIndices: p.x_indices, yIndices: p.y_indices, confidence: reference.confidence))
            assertClose(ci.lower, p.ci[0], "P(\(p.x) > \(p.y)) CI lower")
            assertClose(ci.upper, p.ci[1], "P(\(p.x) > \(p.y)) CI upper")
            let own = try XCTUnwrap(RobustStatistics.probabilityOfImprovementCI(x, y))
            XCTAssertTrue(own.lower <= p.probability + 1e-12 && p.probability <= own.upper + 1e-12 || p.x == p.y,
                          "the point lies in its own interval: \(own) vs \(p.probability)")
            XCTAssertTrue(0 <= own.lower && own.lower <= own.upper && own.upper <= 1)
        }
    }

    func testPairwiseImprovementCoversEachPairOnceWithTheReferenceProbabilities() throws {
        let reference = try reference()
        let settings = BootstrapSettings(resamples: 300, seed: 9)
        let pairs = RobustStatistics.pairwiseImprovement(reference.rules.map { ($0.label, $0.scores) } + [("none", [[.nan], [.nan]])],
                                                         settings: settings)
        XCTAssertEqual(pairs.map { "\($0.x)>\($0.y)" }, ["nrl>bp", "nrl>rmhl", "bp>rmhl"])
        for pair in pairs {
            let want = try XCTUnwrap(reference.pairs.first { $0.x == pair.x && $0.y == pair.y })
            assertClose(pair.probability, want.probability, "P(\(pair.x) > \(pair.y))")
            XCTAssertEqual(pair.interval, RobustStatistics.probabilityOfImprovementCI(
                try reference.rule(pair.x).scores, try reference.rule(pair.y).scores, settings: settings))
        }
    }

    // (5) Performance profile: the fractions at each τ, and the band from the reference's resamples.
    func testPerformanceProfileEqualsTheReference() throws {
        let reference = try reference()
        for r in reference.rules {
            let profile = try XCTUnwrap(RobustStatistics.performanceProfile(
                r.scores, thresholds: reference.thresholds, resampleIndices: r.bootstrap_indices, confidence: reference.confidence))
            XCTAssertEqual(profile.fraction.count, reference.thresholds.count)
            for i in reference.thresholds.indices {
                let tau = reference.thresholds[i]
                assertClose(profile.fraction[i], r.profile.fraction[i], "\(r.label) fraction > \(tau)")
                assertClose(profile.lower[i], r.profile.lower[i], "\(r.label) band lower at \(tau)")
                assertClose(profile.upper[i], r.profile.upper[i], "\(r.label) band upper at \(tau)")
            }
            XCTAssertEqual(profile.runs, r.scores.map(\.count).reduce(0, +))
            XCTAssertEqual(profile.resamples, r.bootstrap_indices.count)
        }
    }

    func testSampleEfficiencyEqualsAnIndependentNumpyComputation() throws {
        let e = try reference().sample_efficiency
        assertClose(RobustStatistics.normalisedAUC(e.returns), e.auc, "normalised AUC")
        for c in e.cases {
            XCTAssertEqual(RobustStatistics.episodesToThreshold(e.returns, threshold: c.threshold, window: c.window), c.episode,
                           "window \(c.window), threshold \(c.threshold)")
        }
    }

    func testSampleEfficiencyOfSeveralRunsCountsRunsThatNeverReachTheThresholdAsLast() throws {
        let fast = [0.0, 10, 10, 10], slow = [0.0, 0, 0, 10], never = [0.0, 0, 0, 0], broken = [Double.nan, .nan, .nan, .nan]
        let e = try XCTUnwrap(RobustStatistics.sampleEfficiency([slow, fast, never], threshold: 10, window: 1))
        XCTAssertEqual(e.episodes, [4, 2, nil])
        XCTAssertEqual(e.reached, 2)
        XCTAssertEqual(e.medianEpisodes, 4)
        XCTAssertEqual(e.auc, [2.5, 7.5, 0])
        XCTAssertNil(try XCTUnwrap(RobustStatistics.sampleEfficiency([fast, never], threshold: 10, window: 1)).medianEpisodes,
                     "the upper middle run never reached it")
        XCTAssertEqual(RobustStatistics.sampleEfficiency([fast, slow, never, fast], threshold: 10, window: 1)?.medianEpisodes, 3)
        let withBroken = try XCTUnwrap(RobustStatistics.sampleEfficiency([fast, broken], threshold: 10, window: 1))
        XCTAssertEqual(withBroken.episodes, [2, nil])
        XCTAssertEqual(withBroken.auc, [7.5], "a run without a finite return has no AUC")
        XCTAssertNil(RobustStatistics.sampleEfficiency([], threshold: 0, window: 1))
    }

    // Edge cases: empty → nil; non-finite values left out and counted; one run; all equal.
    func testEdgeCases() throws {
        XCTAssertNil(RobustStatistics.interquartileMean([Double]()))
        XCTAssertNil(RobustStatistics.interquartileMean([.nan, .infinity, -.infinity]))
        XCTAssertEqual(RobustStatistics.interquartileMean([1, .nan, 3]), 2)
        XCTAssertNil(RobustStatistics.aggregateMean([[], [.nan]]))
        XCTAssertNil(RobustStatistics.stratifiedBootstrapCI([[]], statistic: iqm))
        XCTAssertNil(RobustStatistics.stratifiedBootstrapCI([[1, 2]], settings: BootstrapSettings(resamples: 0), statistic: iqm))
        XCTAssertNil(RobustStatistics.probabilityOfImprovement([], []))
        XCTAssertNil(RobustStatistics.probabilityOfImprovement([[1]], [[.nan]]))
        XCTAssertNil(RobustStatistics.probabilityOfImprovementCI([[.nan]], [[1]]))
        XCTAssertNil(RobustStatistics.performanceProfile([[.nan]], thresholds: [0]))
        XCTAssertNil(RobustStatistics.performanceProfile([[1]], thresholds: []))
        XCTAssertNil(RobustStatistics.normalisedAUC([]))
        XCTAssertNil(RobustStatistics.episodesToThreshold([], threshold: 0, window: 3))
        XCTAssertNil(RobustStatistics.percentileInterval([1, .nan], confidence: 0.95))
        // Indices that do not fit the scores: nil, not a crash.
        XCTAssertNil(RobustStatistics.stratifiedBootstrapCI([[1, 2, 3]], resampleIndices: [[[0, 1, 5]]], confidence: 0.95, statistic: iqm))
        XCTAssertNil(RobustStatistics.stratifiedBootstrapCI([[1, 2, 3]], resampleIndices: [[[0, 1]]], confidence: 0.95, statistic: iqm))

        let (finite, dropped) = RobustStatistics.finiteScores([[1, .nan, 3], [.infinity], [2]])
        XCTAssertEqual(finite, [[1, 3], [2]])
        XCTAssertEqual(dropped, 2)
        let profile = try XCTUnwrap(RobustStatistics.performanceProfile([[1, .nan, 3]], thresholds: [0, 2], settings: BootstrapSettings(resamples: 100)))
        XCTAssertEqual(profile.fraction, [1, 0.5])
        XCTAssertEqual(profile.droppedNonFinite, 1)
        XCTAssertEqual(RobustStatistics.normalisedAUC([.nan, 2, 4]), 3)

        // One run per task: every resample is the data, so the interval is the point.
        let single = try XCTUnwrap(RobustStatistics.stratifiedBootstrapCI([[3], [4]], statistic: iqm))
        XCTAssertEqual(single, ConfidenceInterval(lower: 3.5, upper: 3.5))
        // All equal.
        XCTAssertEqual(RobustStatistics.stratifiedBootstrapCI([[2, 2, 2], [2, 2]], statistic: iqm), ConfidenceInterval(lower: 2, upper: 2))
        XCTAssertEqual(RobustStatistics.probabilityOfImprovement([[2, 2]], [[2, 2, 2]]), 0.5)
        XCTAssertEqual(RobustStatistics.probabilityOfImprovementCI([[2, 2]], [[2, 2, 2]]), ConfidenceInterval(lower: 0.5, upper: 0.5))
        // Tasks are matched by index; a task missing on one side is left out.
        XCTAssertEqual(RobustStatistics.probabilityOfImprovement([[1], [5]], [[0]]), 1)
        XCTAssertEqual(RobustStatistics.thresholds(spanning: [[0, 10], [3]], count: 3), [-0.5, 0, 3, 4.75, 10])
        XCTAssertEqual(RobustStatistics.thresholds(spanning: [[4, 4]], count: 2), [3, 4])
        XCTAssertEqual(RobustStatistics.thresholds(spanning: [[.nan]]), [])
        // The profile over these thresholds starts at 1 and ends at 0.
        let spanned = try XCTUnwrap(RobustStatistics.performanceProfile([[1, 2, 2, 7]], thresholds: RobustStatistics.thresholds(spanning: [[1, 2, 2, 7]]),
                                                                        settings: BootstrapSettings(resamples: 50)))
        XCTAssertEqual(spanned.fraction.first, 1)
        XCTAssertEqual(spanned.fraction.last, 0)
    }

    // The chart: well-formed SVG, one line and one band per rule, legend entries, the rule colours.
    func testProfileChartDrawsALineAndABandPerRule() throws {
        let reference = try reference()
        let settings = BootstrapSettings(resamples: 200)
        // One set of thresholds per panel, spanning every rule's scores on that task.
        let thresholds = (0..<2).map { task in RobustStatistics.thresholds(spanning: reference.rules.map { $0.scores[task] }, count: 41) }
        func series(_ label: String, task: Int) throws -> ProfileSeries {
            let scores = [try reference.rule(label).scores[task]]
            let profile = try XCTUnwrap(RobustStatistics.performanceProfile(scores, thresholds: thresholds[task], settings: settings))
            return ProfileSeries(label: label, profile: profile)
        }
        let labels = ["nrl", "bp", "rmhl <x>"]
        let figure = ProfileFigure(title: "Run-score distributions", panels: [
            ProfilePanel(title: "CartPole · 1×16", scoreName: "return",
                         series: [try series("nrl", task: 0), try series("bp", task: 0), ProfileSeries(label: "rmhl <x>", profile: try series("rmhl", task: 0).profile)]),
            ProfilePanel(title: "Acrobot · 1×16", scoreName: "return", series: [try series("nrl", task: 1)]),
        ])
        let palette = RulePalette(labels: labels)
        let svg = ProfileChart.svg(figure, palette: palette)
        let document = try XMLDocument(data: Data(svg.utf8))
        XCTAssertEqual(document.rootElement()?.name, "svg")
        func nodes(_ path: String) throws -> [String] { try document.nodes(forXPath: path).compactMap(\.stringValue) }
        XCTAssertEqual(try nodes("//*[local-name()='path'][@class='profile']/@data-rule"), ["nrl", "bp", "rmhl <x>", "nrl"])
        XCTAssertEqual(try nodes("//*[local-name()='path'][@class='band']/@data-rule"), ["nrl", "bp", "rmhl <x>", "nrl"])
        XCTAssertEqual(try nodes("//*[local-name()='text'][@class='legend']"), labels)
        let strokes = try nodes("//*[local-name()='path'][@class='profile']/@stroke")
        XCTAssertEqual(strokes, ["nrl", "bp", "rmhl <x>", "nrl"].map(palette.color))
        let text = try nodes("//*[local-name()='text']").joined(separator: " ")
        XCTAssertTrue(text.contains("95% stratified-bootstrap percentile intervals, 200 resamples"), text)
        XCTAssertTrue(text.contains("fraction of runs > τ"), text)
        XCTAssertTrue(text.contains("return threshold τ"), text)
        XCTAssertFalse(ProfileChart.svg(figure, palette: palette, inline: true).hasPrefix("<?xml"))
        // An empty panel says so instead of drawing nothing.
        let empty = ProfileChart.svg(ProfileFigure(title: "t", panels: [ProfilePanel(title: "p", scoreName: "return", series: [])]), palette: palette)
        XCTAssertTrue(empty.contains("no completed runs"))
        _ = try XMLDocument(data: Data(empty.utf8))
    }
}
