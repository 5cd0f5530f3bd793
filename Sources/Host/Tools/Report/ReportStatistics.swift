import NRLCore
import Foundation

/// The statistics a report gives beside mean ± sd (docs/statistics.md), following Agarwal et al. 2021:
/// per cell the interquartile mean of the final performance with a stratified-bootstrap 95% interval and
/// sample efficiency; per group the probability of improvement between each pair of rules; per figure
/// the performance profiles. Each block is one task (one environment), so scores are never pooled across
/// environments; the bootstrap is seeded, so a report is reproducible.
public enum ReportStatistics {
    public static let bootstrap = BootstrapSettings(resamples: 2000, confidence: 0.95, seed: 0)

    /// The return a run has "solved" an environment at: Gymnasium's `reward_threshold` where the
    /// original declares one (CartPole-v1 475, Acrobot-v1 −100). Elsewhere the report uses
    /// `fallbackFraction` of the best rule's final IQM in the block, and says so.
    public static let solvedAt: [String: Double] = ["cartpole": 475, "acrobot": -100]
    public static let fallbackFraction = 0.9


    /// Fills each cell's IQM and sample efficiency and each group's probabilities of improvement.
    /// `series[g][c]`: the return sequences of the completed runs of cell c of group g.
    static func fill(_ groups: inout [ReportGroup], series: [[[[Double]]]], thresholds: [String: Double]) {
        for g in groups.indices {
            for c in groups[g].cells.indices {
                groups[g].cells[c].robust = RobustStatistics.summary([groups[g].cells[c].finalValues], settings: bootstrap)
            }
            let environment = groups[g].environment
            let source: EfficiencyThreshold.Source
            let threshold: Double?
            if let t = thresholds[environment] {
                (threshold, source) = (t, .user)
            } else if let t = solvedAt[environment] {
                (threshold, source) = (t, .gymnasium)
            } else {
                let best = groups[g].cells.compactMap { $0.robust?.interquartileMean }.max()
                // 90% of the best, on the side towards worse returns (works for negative returns too).
                threshold = best.map { $0 - (1 - fallbackFraction) * abs($0) }
                source = .bestRule
            }
            groups[g].threshold = threshold.map { EfficiencyThreshold(value: $0, source: source) }
            for c in groups[g].cells.indices {
                guard let threshold, let window = groups[g].cells[c].curve?.window else { continue }
                groups[g].cells[c].efficiency = RobustStatistics.sampleEfficiency(series[g][c], threshold: threshold, window: window)
            }
            let scored = groups[g].cells.filter { !$0.finalValues.isEmpty }.map { (label: $0.label, scores: [$0.finalValues]) }
            groups[g].improvements = RobustStatistics.pairwiseImprovement(scored, settings: bootstrap)
        }
    }

    /// One performance-profile figure per learning-curve figure: a panel per environment and shape, a
    /// profile of the final performance per rule over thresholds spanning every rule's scores.
    static func profileFigures(_ curveFigures: [CurveFigure]) -> [IdentifiedProfileFigure] {
        curveFigures.compactMap { curves in
            let panels = curves.panels.compactMap { group -> ProfilePanel? in
                let cells = group.cells.filter { !$0.finalValues.isEmpty }
                guard !cells.isEmpty else { return nil }
                let thresholds = RobustStatistics.thresholds(spanning: cells.map(\.finalValues))
                let series = cells.compactMap { cell in
                    RobustStatistics.performanceProfile([cell.finalValues], thresholds: thresholds, settings: bootstrap)
                        .map { ProfileSeries(label: cell.label, profile: $0) }
                }
                return ProfilePanel(title: "\(group.environmentName) · \(group.shape)", scoreName: "final return", series: series)
            }
            guard !panels.isEmpty else { return nil }
            return IdentifiedProfileFigure(id: "profiles-" + curves.id.replacingOccurrences(of: "curves-", with: ""),
                                           figure: ProfileFigure(title: "Performance profiles — " + curves.title, panels: panels))
        }
    }
}

/// A block's sample-efficiency threshold and where it comes from.
public struct EfficiencyThreshold: Sendable, Equatable {
    public enum Source: Sendable, Equatable {
        /// Gymnasium's `reward_threshold` (`ReportStatistics.solvedAt`).
        case gymnasium
        /// `nrlhost report --threshold ENV=VALUE`.
        case user
        /// `ReportStatistics.fallbackFraction` of the best final IQM in the block.
        case bestRule
    }
    public var value: Double
    public var source: Source

    public var description: String {
        switch source {
        case .gymnasium: return "\(ReportFormat.number(value)) (Gymnasium's reward_threshold)"
        case .user: return "\(ReportFormat.number(value)) (--threshold)"
        case .bestRule: return "\(ReportFormat.number(value)) (90% of the best IQM)"
        }
    }
}

/// A performance-profile figure with the id that names its file.
public struct IdentifiedProfileFigure: Sendable {
    public var id: String
    public var figure: ProfileFigure
}
