import NRLCore
import LuaBridge
import Foundation

/// How gradient-like one rule's updates are during one run, at each checkpoint.
public struct RuleAlignmentResult: Sendable, Equatable {
    public var label: String
    public var environment: String
    public var shape: NetworkShape
    /// Training episodes done before each measurement.
    public var checkpoints: [Int]
    /// cos(the rule's summed update, BP's exact update) over all weights, per checkpoint; NaN where
    /// either update is zero (every δ of the batch was 0, or the rule left the weights as they were).
    public var cosine: [Double]
    /// layerCosines[checkpoint][layer].
    public var layerCosines: [[Double]]
    /// Episodes per measurement.
    public var batch: Int
    public var seconds: Double
}

/// "How gradient-like is my rule?" — for any rule (builtin or script) and a run spec: train as
/// `nrlhost run` would and, at each checkpoint (a count of training episodes), freeze the weights W_c
/// and play a batch of B episodes with the rule learning, the weights put back to W_c after every
/// update. The rule's update is the sum over the batch of (W after an update − W_c); BP's is the exact
/// REINFORCE update at W_c on the same episodes — the recorded observations and actions and the δ the
/// trainer handed the rule: Σ δ · Σ_t ∇_W log π(a_t|s_t; W_c) (once per episode on delayed tasks, per
/// step on immediate ones), as the builtin `bp` computes it. The cosine between the two (whole network
/// and per layer) is scale-free, so the learning rate does not matter; BP itself gives 1.
///
/// What carries on through the batches: the rule's own state (traces, optimiser moments, its own
/// baselines), the trainer's reward average (the batch's returns update it), and the random streams
/// (environment, noise, actions). So training after the first checkpoint is a real run of the rule
/// but not bit-identical to `nrlhost run` with the same seed; the run's episode count (what a rule reads
/// as `signals.episodes`) is the last checkpoint plus the batches. A rule handed raw returns
/// (`baseline = false`) is compared with BP weighting each episode by that raw return.
public enum RuleAlignment {
    /// 0, ¼, ½, ¾ and all of `budget` episodes (duplicates dropped for tiny budgets).
    public static func quarterCheckpoints(of budget: Int) -> [Int] {
        Array(Set([0, budget / 4, budget / 2, budget * 3 / 4, budget].map { max(0, $0) })).sorted()
    }

    /// Measures `spec` (its `episodes` is ignored: training runs to the last checkpoint).
    public static func measure(spec: RunSpec, plugins: Plugins, label: String? = nil, checkpoints: [Int],
                               batch: Int) throws -> RuleAlignmentResult {
        guard batch >= 1 else { throw UsageError("the batch must be at least 1 episode, got \(batch)") }
        let points = Array(Set(checkpoints)).sorted()
        guard let last = points.last else { throw UsageError("give at least one checkpoint") }
        guard points[0] >= 0 else { throw UsageError("checkpoints are episode counts (≥ 0), got \(points[0])") }
        let start = Date()
        var run = spec
        let (total, overflow) = last.addingReportingOverflow(points.count * batch)
        guard !overflow, total <= 100_000_000 else { throw UsageError("checkpoint \(last) is too far") }
        run.episodes = total
        let session = try Session(spec: run, plugins: plugins)
        let observer = BatchObserver(network: session.network, checkpoints: points, batch: batch)
        let trainer = Trainer(session: session)
        trainer.observer = observer
        try trainer.run { record in observer.episodeEnded(record.episode) }
        return RuleAlignmentResult(label: label ?? spec.rule, environment: spec.environment, shape: session.network.shape,
                                   checkpoints: points, cosine: observer.cosines.map { $0[0] },
                                   layerCosines: observer.cosines.map { Array($0.dropFirst()) }, batch: batch,
                                   seconds: Date().timeIntervalSince(start))
    }

    /// cos(a, b) over the weights of `layer` (nil: all); NaN when either is zero.
    static func cosine(_ a: [Double], _ b: [Double], shape: NetworkShape, layer: Int?) -> Double {
        let range = layer.map { shape.weightOffsets[$0]..<(shape.weightOffsets[$0] + shape.inputs($0) * shape.outputs($0)) }
            ?? 0..<shape.weightCount
        var ab = 0.0, aa = 0.0, bb = 0.0
        for i in range { ab += a[i] * b[i]; aa += a[i] * a[i]; bb += b[i] * b[i] }
        guard aa > 0, bb > 0 else { return .nan }
        return ab / (aa.squareRoot() * bb.squareRoot())
    }
}

/// Inside the trainer's loop: marks the batch episodes, records each step's gradient at W_c, sums
/// the rule's updates and puts W_c back after each.
private final class BatchObserver: TrainingObserver {
    private let weights: LayerMatrices
    private let shape: NetworkShape
    private let frozen: LayerMatrices
    private let pass: ForwardPass
    private let backprop: Backprop
    /// Σ_t ∇log π(a_t|s_t; W_c) since the last update.
    private let gradient: LayerMatrices
    /// Σ (W after an update − W_c) and Σ δ · gradient over the batch, in Double (raw buffers: this
    /// runs every step of an immediate task).
    private let ruleUpdate: UnsafeMutablePointer<Double>
    private let exactUpdate: UnsafeMutablePointer<Double>
    /// For each trainer episode (1-based, index 0 unused): the checkpoint whose batch it belongs to, or −1.
    private var batchOf: [Int]
    private var measuring = false
    /// Per checkpoint: [whole network, layer 1, layer 2, …].
    private(set) var cosines: [[Double]] = []

    init(network: Network, checkpoints: [Int], batch: Int) {
        weights = network.weights
        shape = network.shape
        frozen = LayerMatrices(shape: shape)
        pass = network.makePass()
        backprop = Backprop(shape: shape)
        gradient = LayerMatrices(shape: shape)
        ruleUpdate = .allocate(capacity: shape.weightCount)
        exactUpdate = .allocate(capacity: shape.weightCount)
        batchOf = Array(repeating: -1, count: checkpoints.last! + checkpoints.count * batch + 1)
        for (k, c) in checkpoints.enumerated() {
            for e in (c + k * batch + 1)...(c + (k + 1) * batch) { batchOf[e] = k }
        }
    }

    deinit {
        ruleUpdate.deallocate()
        exactUpdate.deallocate()
    }

    func episodeWillBegin(_ episode: Int) {
        measuring = batchOf[episode] >= 0
        guard measuring else { return }
        if batchOf[episode - 1] != batchOf[episode] {  // the batch's first episode: freeze W_c
            frozen.copy(from: weights)
            ruleUpdate.initialize(repeating: 0, count: shape.weightCount)
            exactUpdate.initialize(repeating: 0, count: shape.weightCount)
        }
        gradient.zero()
    }

    func ruleActed(_ action: Int, observation: UnsafePointer<Float>) {
        guard measuring else { return }
        pass.compute(frozen, observation: observation, noisy: false)
        backprop.addLogProbabilityGradient(pass, weights: frozen, action: action, into: gradient, scale: 1)
    }

    func ruleLearned(rpe: Double) {
        guard measuring else { return }
        let (now, before, g) = (weights.values, frozen.values, gradient.values)
        for i in 0..<shape.weightCount {
            ruleUpdate[i] += Double(now[i]) - Double(before[i])
            exactUpdate[i] += rpe * Double(g[i])
        }
        weights.copy(from: frozen)
        gradient.zero()
    }

    func episodeEnded(_ episode: Int) {
        guard measuring, episode + 1 >= batchOf.count || batchOf[episode + 1] != batchOf[episode] else { return }
        let rule = Array(UnsafeBufferPointer(start: ruleUpdate, count: shape.weightCount))
        let exact = Array(UnsafeBufferPointer(start: exactUpdate, count: shape.weightCount))
        cosines.append([RuleAlignment.cosine(rule, exact, shape: shape, layer: nil)]
                       + (0..<shape.layerCount).map { RuleAlignment.cosine(rule, exact, shape: shape, layer: $0) })
    }
}
