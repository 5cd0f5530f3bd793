import NRLCore

/// How a sweep trains the runs the lanes engine supports (`LaneSupport`): each alone, or several at
/// once in SIMD lanes. Both give the same store rows; runs the lanes engine does not support are
/// always trained alone.
public enum TrainingEngine: String, CaseIterable, Sendable {
    case scalar
    case lanes

    /// The lane width a sweep with this engine uses (1: every run alone).
    public var laneWidth: Int { self == .lanes ? LaneWidthChoice.width() : 1 }
}
