import Foundation
import NRLCore
import LuaBridge
import TestSupport

/// One rule fixture: a file of Tests/Golden/rules or NRL_SHARED's golden/rules (schema nrl-rules-golden-v1,
/// Tests/Golden/rules/README.md); every field a kind may use is optional.
struct RuleFixture: Decodable {
    struct Case: Decodable {
        let obs: [Double]
        let noise: [[Double]]?
        let pre: [[Double]]
        let post: [[Double]]
        let probs: [Double]
        let log_probs: [Double]
    }
    struct Step: Decodable {
        let t: Int
        let obs: [Double]
        let noise: [[Double]]?
        let action: Int
        let reward: Double?
        let trial_start: Bool?
        let log_pi_clean: Double?, log_pi_noisy: Double?, dp: Double?, noise_sqnorm: Double?
        let log_pi: Double?
        let noisy_probs: [Double]?
        let rbar_used: Double?, delta: Double?, rbar_after: Double?
        let weights_sqnorm_after: [Double]?
    }
    struct RPEInputs: Decodable {
        let form: String
        let R: Double?, Rbar: Double?, reward: Double?, rbar: Double?
    }
    struct ZeroPreactivation: Decodable { let t: Int; let layer: Int; let unit: Int }

    let kind: String
    let name: String
    let sizes: [Int]?
    let weights: [[[Double]]]?
    let cases: [Case]?
    let steps: [Step]?
    let lr: Double?, sigma: Double?, gamma: Double?
    let R: Double?, Rbar: Double?, rpe: Double?, Rbar_after: Double?
    let trace: [[[Double]]]?
    let weights_after: [[[Double]]]?
    let weights_final: [[[Double]]]?
    let rpe_inputs: RPEInputs?
    let grad: [[[Double]]]?
    let grad_if_derivative_at_zero_is_slope: [[[Double]]]?
    let zero_preactivations: [ZeroPreactivation]?
    // nrl_reaching_step
    let obs: [Double]?
    let noise: [[Double]]?
    let action: Int?
    let reward: Double?, rbar: Double?, delta: Double?
    let log_pi_clean: Double?, log_pi_noisy: Double?, dp: Double?
    let noise_layer_sqnorms: [Double]?
    let delta_weights: [[[Double]]]?
    // grad_quality
    let N: Int?

    /// The kinds some test checks (NetworkFixtureTests, RandomTests). A fixture of another kind fails
    /// `testEveryRuleFixtureHasAKnownKind`: new reference data of a new kind needs a test.
    static let knownKinds: Set<String> = [
        "forward", "bp_reinforce", "nrl_delayed", "nrl_reaching_step", "nrl_reaching_sequence",
        "rmhl_delayed", "grad_quality", "xavier_stats",
    ]

    /// What every fixture file starts with.
    struct Header: Decodable { let schema: String?; let kind: String }

    /// Every rule fixture (shipped and NRL_SHARED's) with its `kind`.
    static func headers() throws -> [(file: ReferenceFile, header: Header)] {
        try ReferenceData.ruleFixtures().map { file in
            do {
                return (file, try JSONDecoder().decode(Header.self, from: Data(contentsOf: file.url)))
            } catch {
                throw ReferenceDataError("\(file.url.path): not a rule fixture with a `kind` (\(error))")
            }
        }
    }

    /// The fixture files of one kind, whatever their names and count (logged).
    static func files(ofKind kind: String) throws -> [ReferenceFile] {
        precondition(knownKinds.contains(kind), "'\(kind)' is not in RuleFixture.knownKinds")
        let files = try headers().filter { $0.header.kind == kind }.map(\.file)
        ReferenceData.log(files, what: "'\(kind)' rule fixtures")
        return files
    }

    /// The fixtures of one kind, decoded, with the file each came from.
    static func all(kind: String) throws -> [(file: ReferenceFile, fixture: RuleFixture)] {
        try files(ofKind: kind).map { ($0, try load($0)) }
    }

    static func load(_ file: ReferenceFile) throws -> RuleFixture {
        try JSONDecoder().decode(RuleFixture.self, from: Data(contentsOf: file.url))
    }

    var shape: NetworkShape { NetworkShape(sizes: sizes!) }

    /// A network holding the fixture's weights.
    func network() -> Network {
        let net = Network(shape: shape)
        net.weights.set(weights!)
        return net
    }
}

/// Test-side conveniences over the Host buffers.
extension ForwardPass {
    /// Sets ξ from nested per-layer arrays.
    func setNoise(_ layers: [[Double]]) {
        for l in 0..<shape.layerCount {
            for (i, v) in layers[l].enumerated() { noise(l)[i] = Float(v) }
        }
    }

    func preActivationArrays() -> [[Double]] {
        (0..<shape.layerCount).map { l in (0..<shape.outputs(l)).map { Double(preActivation(l)[$0]) } }
    }

    /// x_1 … x_{L−1} (the hidden outputs).
    func hiddenOutputArrays() -> [[Double]] {
        (1..<shape.layerCount).map { l in (0..<shape.inputs(l)).map { Double(input(l)[$0]) } }
    }

    var probabilityArray: [Double] { (0..<shape.outputSize).map { probabilities[$0] } }
    var logProbabilityArray: [Double] { (0..<shape.outputSize).map { logProbabilities[$0] } }
}

/// Calls `body` with the observation as a Float32 buffer.
func withObservation<R>(_ obs: [Double], _ body: (UnsafePointer<Float>) throws -> R) rethrows -> R {
    try obs.map(Float.init).withUnsafeBufferPointer { try body($0.baseAddress!) }
}

/// The per-layer scale-relative errors of `got` against `want`, as one worst number.
func worstLayerError(_ got: [[[Double]]], _ want: [[[Double]]]) -> Double {
    zip(got, want).map { scaleRelativeError($0.flatMap { $0 }, $1.flatMap { $0 }) }.max() ?? .infinity
}
