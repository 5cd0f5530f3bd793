import NRLCore
import Foundation

// Statistics for comparing rules over few seeds, after Agarwal et al., "Deep Reinforcement Learning at the
// Edge of the Statistical Precipice" (NeurIPS 2021) and their library rliable (google-research/rliable).
//
// Layout: `scores[task][run]` — a task is one environment (or any stratum), a run one seed's score.
// Tasks may have different run counts (rliable needs a rectangle; where ours is one, the results equal
// rliable's). Values that are not finite (NaN, ±inf: a diverged run) are left out before anything is
// computed, and a task left with no run is dropped; `finiteScores` says how many values were left out,
// so a report can say so. Empty input gives nil, never a crash.

/// A two-sided interval [lower, upper].
public struct ConfidenceInterval: Sendable, Equatable, Codable {
    public var lower: Double
    public var upper: Double

    public init(lower: Double, upper: Double) {
        self.lower = lower
        self.upper = upper
    }
}

/// How a bootstrap interval is computed: the number of resamples, the coverage, and the seed of the
/// generator (the same seed and data give the same interval).
public struct BootstrapSettings: Sendable, Equatable {
    public var resamples = 2000
    public var confidence = 0.95
    public var seed: UInt64 = 0

    public init(resamples: Int = 2000, confidence: Double = 0.95, seed: UInt64 = 0) {
        self.resamples = resamples
        self.confidence = confidence
        self.seed = seed
    }
}

/// P(X > Y) for one pair of labels, with its bootstrap interval.
public struct ImprovementProbability: Sendable, Equatable {
    public var x: String
    public var y: String
    public var probability: Double
    public var interval: ConfidenceInterval
}

/// A run-score distribution (rliable's performance profile): at each threshold τ, the fraction of runs
/// whose score is above τ, and a stratified-bootstrap band around it.
public struct PerformanceProfile: Sendable, Equatable {
    public var thresholds: [Double]
    /// Fraction of runs with score > τ (each task weighted equally), one per threshold.
    public var fraction: [Double]
    /// Percentile-bootstrap band, one value per threshold.
    public var lower: [Double]
    public var upper: [Double]
    /// Finite scores used, and scores left out because they were not finite.
    public var runs: Int
    public var droppedNonFinite: Int
    /// The band's coverage and number of resamples.
    public var confidence: Double
    public var resamples: Int
}

/// The point estimates of a set of runs with their bootstrap intervals: one row of a results table.
public struct RobustSummary: Sendable, Equatable {
    public var interquartileMean: Double
    public var interquartileMeanCI: ConfidenceInterval
    public var mean: Double
    public var meanCI: ConfidenceInterval
    /// Finite scores used, and scores left out because they were not finite.
    public var runs: Int
    public var droppedNonFinite: Int
}

/// How fast a set of runs learns: per run, the first episode its smoothed return reaches a threshold,
/// and its normalised area under the learning curve.
public struct SampleEfficiency: Sendable, Equatable {
    public var threshold: Double
    public var window: Int
    /// Per run, the first episode (1-based) at which the smoothed return reaches the threshold; nil: never.
    public var episodes: [Int?]
    /// The median of `episodes`, a run that never reached the threshold counting as later than any that
    /// did; nil when the median run never reached it.
    public var medianEpisodes: Double?
    /// Per run with a finite return, its mean return over all episodes (normalised AUC).
    public var auc: [Double]

    /// Runs that reached the threshold.
    public var reached: Int { episodes.compactMap { $0 }.count }
}

public enum RobustStatistics {
    /// IQM and mean with their stratified-bootstrap intervals (both from the same resamples). Nil without
    /// a finite score.
    public static func summary(_ scores: [[Double]], settings: BootstrapSettings = BootstrapSettings()) -> RobustSummary? {
        let (tasks, dropped) = finiteScores(scores)
        guard !tasks.isEmpty, settings.resamples >= 1,
              let iqm = interquartileMean(pooling: tasks), let mean = aggregateMean(tasks) else { return nil }
        var generator = Xoshiro256(seed: settings.seed)
        let indices = generator.stratifiedIndices(runsPerTask: tasks.map(\.count), resamples: settings.resamples)
        guard let iqmCI = stratifiedBootstrapCI(tasks, resampleIndices: indices, confidence: settings.confidence,
                                                statistic: { interquartileMean(pooling: $0) ?? .nan }),
              let meanCI = stratifiedBootstrapCI(tasks, resampleIndices: indices, confidence: settings.confidence,
                                                 statistic: { aggregateMean($0) ?? .nan }) else { return nil }
        return RobustSummary(interquartileMean: iqm, interquartileMeanCI: iqmCI, mean: mean, meanCI: meanCI,
                             runs: tasks.map(\.count).reduce(0, +), droppedNonFinite: dropped)
    }

    // MARK: Data

    /// The finite values of `scores`, tasks left empty dropped, and how many values were left out.
    public static func finiteScores(_ scores: [[Double]]) -> (scores: [[Double]], dropped: Int) {
        var dropped = 0
        var kept: [[Double]] = []
        for task in scores {
            let finite = task.filter(\.isFinite)
            dropped += task.count - finite.count
            if !finite.isEmpty { kept.append(finite) }
        }
        return (kept, dropped)
    }

    // MARK: Point estimates

    /// rliable's IQM (metrics.aggregate_iqm): scipy.stats.trim_mean(x, 0.25) — sort, cut int(0.25·n)
    /// values from each end, average the rest. Non-finite values are left out; nil when none is left.
    public static func interquartileMean(_ x: [Double]) -> Double? {
        let sorted = x.filter(\.isFinite).sorted()
        guard !sorted.isEmpty else { return nil }
        let cut = Int(0.25 * Double(sorted.count))
        return mean(sorted[cut..<(sorted.count - cut)])
    }

    /// The IQM over all runs of all tasks pooled (rliable: trim_mean with axis=None).
    public static func interquartileMean(pooling scores: [[Double]]) -> Double? {
        interquartileMean(scores.flatMap { $0 })
    }

    /// rliable's metrics.aggregate_mean: the mean over tasks of each task's mean score.
    public static func aggregateMean(_ scores: [[Double]]) -> Double? {
        let tasks = finiteScores(scores).scores
        guard !tasks.isEmpty else { return nil }
        return mean(tasks.map { mean($0[...]) }[...])
    }

    // MARK: Stratified bootstrap

    /// Percentile interval of `statistic` under rliable's stratified bootstrap (library.StratifiedBootstrap,
    /// method "percentile"): each resample draws, within each task, as many runs as it has, with
    /// replacement; the interval is numpy's linear-interpolation percentiles of the resampled statistic at
    /// (1 − c)/2 and (1 + c)/2. Nil without a finite score or with fewer than one resample. With one run
    /// per task every resample is the data itself, and the interval collapses to the point.
    public static func stratifiedBootstrapCI(_ scores: [[Double]], settings: BootstrapSettings = BootstrapSettings(),
                                             statistic: ([[Double]]) -> Double) -> ConfidenceInterval? {
        let tasks = finiteScores(scores).scores
        guard !tasks.isEmpty, settings.resamples >= 1 else { return nil }
        var generator = Xoshiro256(seed: settings.seed)
        let indices = generator.stratifiedIndices(runsPerTask: tasks.map(\.count), resamples: settings.resamples)
        return stratifiedBootstrapCI(tasks, resampleIndices: indices, confidence: settings.confidence, statistic: statistic)
    }

    /// The same interval from given resamples: `resampleIndices[b][task][run]` is the run of `task` that
    /// takes place `run` in resample b. For checking against a reference that wrote its indices. Nil when
    /// the indices do not fit the (finite) scores.
    public static func stratifiedBootstrapCI(_ scores: [[Double]], resampleIndices: [[[Int]]], confidence: Double,
                                             statistic: ([[Double]]) -> Double) -> ConfidenceInterval? {
        let tasks = finiteScores(scores).scores
        guard !tasks.isEmpty, fits(resampleIndices, tasks) else { return nil }
        let values = resampleIndices.map { statistic(resample(tasks, $0)) }
        return percentileInterval(values, confidence: confidence)
    }

    /// numpy.percentile (linear interpolation) of `values` at 100·(1 − c)/2 and 100·(1 + c)/2. Nil when
    /// empty or when a value is not finite (a statistic that failed on some resample).
    public static func percentileInterval(_ values: [Double], confidence: Double) -> ConfidenceInterval? {
        guard !values.isEmpty, values.allSatisfy(\.isFinite), confidence > 0, confidence < 1 else { return nil }
        let sorted = values.sorted()
        // Written as the reference computes it (percent, then numpy divides by 100), to match it to the ulp.
        let lower = 100 * ((1 - confidence) / 2) / 100, upper = 100 * ((1 + confidence) / 2) / 100
        return ConfidenceInterval(lower: percentile(sorted: sorted, quantile: lower),
                                  upper: percentile(sorted: sorted, quantile: upper))
    }

    /// numpy's default quantile ("linear", Hyndman & Fan type 7) of sorted values, with numpy's _lerp.
    static func percentile(sorted: [Double], quantile: Double) -> Double {
        let n = sorted.count
        let virtual = Double(n - 1) * quantile
        if virtual >= Double(n - 1) { return sorted[n - 1] }
        if virtual < 0 { return sorted[0] }
        let previous = virtual.rounded(.down)
        let a = sorted[Int(previous)], b = sorted[Int(previous) + 1]
        let gamma = virtual - previous
        let difference = b - a
        return gamma >= 0.5 ? b - difference * (1 - gamma) : a + difference * gamma
    }

    // MARK: Probability of improvement

    /// rliable's metrics.probability_of_improvement: the mean over tasks of P(X > Y) + ½·P(X = Y) for a
    /// random run of X and one of Y on that task (the Mann–Whitney U statistic of X over Y divided by
    /// n·m). Tasks are matched by index; a task missing in either, or without finite scores, is left out.
    /// Nil when no task has scores on both sides.
    public static func probabilityOfImprovement(_ x: [[Double]], _ y: [[Double]]) -> Double? {
        let pairs = matchedTasks(x, y)
        guard !pairs.isEmpty else { return nil }
        return mean(pairs.map { improvement($0.0, $0.1) }[...])
    }

    /// Percentile interval of the probability of improvement under rliable's
    /// StratifiedIndependentBootstrap: X and Y are resampled independently, each within each task.
    public static func probabilityOfImprovementCI(_ x: [[Double]], _ y: [[Double]],
                                                  settings: BootstrapSettings = BootstrapSettings()) -> ConfidenceInterval? {
        let pairs = matchedTasks(x, y)
        guard !pairs.isEmpty, settings.resamples >= 1 else { return nil }
        let xs = pairs.map(\.0), ys = pairs.map(\.1)
        var generator = Xoshiro256(seed: settings.seed)
        var xIndices: [[[Int]]] = [], yIndices: [[[Int]]] = []
        for _ in 0..<settings.resamples {
            xIndices.append(generator.stratifiedIndices(runsPerTask: xs.map(\.count)))
            yIndices.append(generator.stratifiedIndices(runsPerTask: ys.map(\.count)))
        }
        return probabilityOfImprovementCI(xs, ys, xIndices: xIndices, yIndices: yIndices, confidence: settings.confidence)
    }

    /// P(X > Y) with its interval for every pair of labels, each pair once in the given order (x before y;
    /// from the same resamples P(Y > X) = 1 − P(X > Y), with interval [1 − upper, 1 − lower]). Pairs without a common task with
    /// finite scores are left out. Every pair uses the same seed, so adding a label changes no other pair.
    public static func pairwiseImprovement(_ scoresByLabel: [(label: String, scores: [[Double]])],
                                           settings: BootstrapSettings = BootstrapSettings()) -> [ImprovementProbability] {
        var out: [ImprovementProbability] = []
        for (i, x) in scoresByLabel.enumerated() {
            for y in scoresByLabel[(i + 1)...] {
                guard let p = probabilityOfImprovement(x.scores, y.scores),
                      let interval = probabilityOfImprovementCI(x.scores, y.scores, settings: settings) else { continue }
                out.append(ImprovementProbability(x: x.label, y: y.label, probability: p, interval: interval))
            }
        }
        return out
    }

    /// The same interval from given resamples of X and of Y (layout as in `stratifiedBootstrapCI`).
    public static func probabilityOfImprovementCI(_ x: [[Double]], _ y: [[Double]], xIndices: [[[Int]]], yIndices: [[[Int]]],
                                                  confidence: Double) -> ConfidenceInterval? {
        let pairs = matchedTasks(x, y)
        let xs = pairs.map(\.0), ys = pairs.map(\.1)
        guard !pairs.isEmpty, xIndices.count == yIndices.count, fits(xIndices, xs), fits(yIndices, ys) else { return nil }
        let values = zip(xIndices, yIndices).map { xi, yi in
            mean(zip(resample(xs, xi), resample(ys, yi)).map { improvement($0, $1) }[...])
        }
        return percentileInterval(values, confidence: confidence)
    }

    /// U/(n·m): pairs where x wins, plus half the ties, over all pairs.
    static func improvement(_ x: [Double], _ y: [Double]) -> Double {
        var wins = 0.0
        for a in x {
            for b in y { wins += a > b ? 1 : (a == b ? 0.5 : 0) }
        }
        return wins / Double(x.count * y.count)
    }

    /// Tasks present in both with finite scores on both sides, by index.
    static func matchedTasks(_ x: [[Double]], _ y: [[Double]]) -> [([Double], [Double])] {
        zip(x, y).compactMap { a, b in
            let fa = a.filter(\.isFinite), fb = b.filter(\.isFinite)
            return fa.isEmpty || fb.isEmpty ? nil : (fa, fb)
        }
    }

    // MARK: Performance profiles

    /// rliable's score distribution (library.create_performance_profile with run_score_deviation): at each
    /// τ, the fraction of runs scoring above τ (strictly), each task weighted equally, with a percentile
    /// band from the stratified bootstrap (per threshold, as rliable's vector-valued conf_int). Nil without
    /// a finite score or without thresholds.
    public static func performanceProfile(_ scores: [[Double]], thresholds: [Double],
                                          settings: BootstrapSettings = BootstrapSettings()) -> PerformanceProfile? {
        let tasks = finiteScores(scores).scores
        guard !tasks.isEmpty, settings.resamples >= 1 else { return nil }
        var generator = Xoshiro256(seed: settings.seed)
        let indices = generator.stratifiedIndices(runsPerTask: tasks.map(\.count), resamples: settings.resamples)
        return performanceProfile(scores, thresholds: thresholds, resampleIndices: indices, confidence: settings.confidence)
    }

    /// The same profile from given resamples (layout as in `stratifiedBootstrapCI`).
    public static func performanceProfile(_ scores: [[Double]], thresholds: [Double], resampleIndices: [[[Int]]],
                                          confidence: Double) -> PerformanceProfile? {
        let (tasks, dropped) = finiteScores(scores)
        guard !tasks.isEmpty, !thresholds.isEmpty, !resampleIndices.isEmpty, fits(resampleIndices, tasks) else { return nil }
        let replicates = resampleIndices.map { profileFractions(resample(tasks, $0), thresholds: thresholds) }
        var lower: [Double] = [], upper: [Double] = []
        for t in thresholds.indices {
            guard let interval = percentileInterval(replicates.map { $0[t] }, confidence: confidence) else { return nil }
            lower.append(interval.lower)
            upper.append(interval.upper)
        }
        return PerformanceProfile(thresholds: thresholds, fraction: profileFractions(tasks, thresholds: thresholds),
                                  lower: lower, upper: upper, runs: tasks.map(\.count).reduce(0, +), droppedNonFinite: dropped,
                                  confidence: confidence, resamples: resampleIndices.count)
    }

    /// Fraction of runs > τ per task, averaged over tasks (equal to rliable's np.mean(scores > τ) when
    /// every task has the same number of runs).
    static func profileFractions(_ tasks: [[Double]], thresholds: [Double]) -> [Double] {
        thresholds.map { tau in
            mean(tasks.map { task in Double(task.filter { $0 > tau }.count) / Double(task.count) }[...])
        }
    }

    /// Thresholds for plotting a profile: `count` evenly spaced from a little below the lowest finite score
    /// (5% of the range, so every profile starts at 1) to the highest (where every profile is 0), together
    /// with every distinct score — the profile and its band change only at scores, so a step plot through
    /// these thresholds is exact. Sorted; empty without a finite score.
    public static func thresholds(spanning scores: [[Double]], count: Int = 101) -> [Double] {
        let all = scores.flatMap { $0 }.filter(\.isFinite)
        guard let high = all.max(), var low = all.min() else { return [] }
        low -= high > low ? 0.05 * (high - low) : max(1, abs(low) * 0.05)
        let grid = count < 2 ? [low, high] : (0..<count).map { low + (high - low) * Double($0) / Double(count - 1) }
        return Array(Set(grid + all)).sorted()
    }

    // MARK: Sample efficiency

    /// The first episode (1-based) at which the centred moving average of `returns` reaches `threshold`
    /// (≥); nil if it never does. The average spans `window / 2` episodes on each side (so an even window
    /// acts as the next odd one), shrinks at the ends to what exists, and leaves out non-finite returns —
    /// the smoothing of the report's learning curves.
    public static func episodesToThreshold(_ returns: [Double], threshold: Double, window: Int) -> Int? {
        let smoothed = centredMovingAverage(returns, window: window)
        return smoothed.firstIndex { $0.isFinite && $0 >= threshold }.map { $0 + 1 }
    }

    /// Episodes to `threshold` and normalised AUC of each run (`runs[run][episode]`). Nil without runs.
    public static func sampleEfficiency(_ runs: [[Double]], threshold: Double, window: Int) -> SampleEfficiency? {
        guard !runs.isEmpty else { return nil }
        let episodes = runs.map { episodesToThreshold($0, threshold: threshold, window: window) }
        // Never reaching sorts last (as +∞): the median exists while at most the upper half never reached it.
        let ordered = episodes.map { $0.map(Double.init) ?? .infinity }.sorted()
        let n = ordered.count
        let median = n % 2 == 1 ? ordered[n / 2] : (ordered[n / 2 - 1] + ordered[n / 2]) / 2
        return SampleEfficiency(threshold: threshold, window: window, episodes: episodes,
                                medianEpisodes: median.isFinite ? median : nil, auc: runs.compactMap(normalisedAUC))
    }

    /// The area under the learning curve normalised by its length: the mean return over all episodes
    /// (non-finite returns left out). Nil when there is none.
    public static func normalisedAUC(_ returns: [Double]) -> Double? {
        let finite = returns.filter(\.isFinite)
        return finite.isEmpty ? nil : mean(finite[...])
    }

    /// Centred moving average with `window / 2` values on each side, shrinking at the ends; non-finite
    /// values are left out of each average (NaN where a window has none). The report's learning curves
    /// use it too (`ReportModel.movingAverage`).
    public static func centredMovingAverage(_ x: [Double], window: Int) -> [Double] {
        let n = x.count, half = max(0, window / 2)
        var sum = [Double](repeating: 0, count: n + 1), finite = [Int](repeating: 0, count: n + 1)
        for i in 0..<n {
            let ok = x[i].isFinite
            sum[i + 1] = sum[i] + (ok ? x[i] : 0)
            finite[i + 1] = finite[i] + (ok ? 1 : 0)
        }
        return (0..<n).map { i in
            let lo = max(0, i - half), hi = min(n, i + half + 1)
            let k = finite[hi] - finite[lo]
            return k > 0 ? (sum[hi] - sum[lo]) / Double(k) : .nan
        }
    }

    // MARK: Pieces

    static func mean(_ x: ArraySlice<Double>) -> Double {
        x.reduce(0, +) / Double(x.count)
    }

    /// Resample b: `indices[task][run]` → the chosen runs of each task.
    static func resample(_ tasks: [[Double]], _ indices: [[Int]]) -> [[Double]] {
        zip(tasks, indices).map { task, picks in picks.map { task[$0] } }
    }

    /// Each resample has one index list per task, as long as the task, with indices inside it.
    static func fits(_ indices: [[[Int]]], _ tasks: [[Double]]) -> Bool {
        indices.allSatisfy { resample in
            resample.count == tasks.count && zip(resample, tasks).allSatisfy { picks, task in
                picks.count == task.count && picks.allSatisfy { $0 >= 0 && $0 < task.count }
            }
        }
    }
}

/// The bootstrap's draws come from the project's generator (xoshiro256** seeded through SplitMix64), with
/// Lemire's unbiased bounded integers, so intervals are reproducible from a seed.
extension Xoshiro256 {
    /// Uniform in 0..<bound (bound ≥ 1), without modulo bias.
    mutating func index(below bound: Int) -> Int {
        let b = UInt64(bound)
        var product = next().multipliedFullWidth(by: b)
        if product.low < b {
            let threshold = (0 &- b) % b
            while product.low < threshold { product = next().multipliedFullWidth(by: b) }
        }
        return Int(product.high)
    }

    /// One stratified resample: for each task, as many draws with replacement as it has runs.
    mutating func stratifiedIndices(runsPerTask: [Int]) -> [[Int]] {
        runsPerTask.map { n in (0..<n).map { _ in index(below: n) } }
    }

    mutating func stratifiedIndices(runsPerTask: [Int], resamples: Int) -> [[[Int]]] {
        (0..<resamples).map { _ in stratifiedIndices(runsPerTask: runsPerTask) }
    }
}
