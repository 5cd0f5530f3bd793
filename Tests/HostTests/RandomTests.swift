import Foundation
import NRLCore
import LuaBridge
import TestSupport
import XCTest

final class RandomTests: XCTestCase {
    /// xoshiro256** against the reference C implementation, state {1, 2, 3, 4}.
    func testXoshiroMatchesReferenceOutputs() {
        var r = Xoshiro256(state: (1, 2, 3, 4))
        let want: [UInt64] = [11520, 0, 1509978240, 1215971899390074240]
        XCTAssertEqual((0..<4).map { _ in r.next() }, want)
    }

    func testStreamsAreDistinctAndReproducible() {
        var a = RandomStream.noise.generator(seed: 7), b = RandomStream.noise.generator(seed: 7)
        var c = RandomStream.actions.generator(seed: 7), d = RandomStream.noise.generator(seed: 8)
        let xa = (0..<8).map { _ in a.next() }
        XCTAssertEqual(xa, (0..<8).map { _ in b.next() })
        XCTAssertNotEqual(xa, (0..<8).map { _ in c.next() })
        XCTAssertNotEqual(xa, (0..<8).map { _ in d.next() })
    }

    /// The ziggurat gives N(0, 1): mean, variance, excess kurtosis and a tail probability within
    /// 5-sigma sampling bounds.
    func testGaussianMoments() {
        var r = Xoshiro256(seed: 12345)
        let n = 2_000_000
        var s1 = 0.0, s2 = 0.0, s4 = 0.0, beyond3 = 0
        for _ in 0..<n {
            let x = Gaussian.sample(&r)
            s1 += x; s2 += x * x; s4 += x * x * x * x
            if abs(x) > 3 { beyond3 += 1 }
        }
        let mean = s1 / Double(n), variance = s2 / Double(n) - mean * mean
        XCTAssertLessThan(abs(mean), 5 / Double(n).squareRoot())
        XCTAssertLessThan(abs(variance - 1), 5 * (2 / Double(n)).squareRoot())
        XCTAssertLessThan(abs(s4 / Double(n) - 3), 5 * (96 / Double(n)).squareRoot())
        // P(|X| > 3) = 0.0026998
        let p = 0.0026998, expected = p * Double(n)
        XCTAssertLessThan(abs(Double(beyond3) - expected), 5 * (expected * (1 - p)).squareRoot())
    }

    func testCategoricalFrequencies() {
        var r = Xoshiro256(seed: 99)
        let probabilities: [Double] = [0.2, 0.5, 0.3]
        var counts = [0, 0, 0]
        let n = 300_000
        probabilities.withUnsafeBufferPointer { p in
            for _ in 0..<n { counts[Categorical.sample(p.baseAddress!, count: 3, &r)] += 1 }
        }
        for k in 0..<3 {
            let expected = probabilities[k] * Double(n)
            XCTAssertLessThan(abs(Double(counts[k]) - expected), 5 * (expected * (1 - probabilities[k])).squareRoot())
        }
    }

    /// Xavier-normal init: per-layer std sqrt(2/(fan_in + fan_out)) against every xavier_stats fixture,
    /// 5-sigma bounds on std, mean and excess kurtosis (which rules out a uniform init).
    func testXavierInitialisationStatistics() throws {
        struct Stats: Decodable {
            struct Architecture: Decodable {
                struct Layer: Decodable { let fan_in: Int; let fan_out: Int; let std: Double }
                let sizes: [Int]
                let layers: [Layer]
            }
            let architectures: [Architecture]
        }
        let files = try RuleFixture.files(ofKind: "xavier_stats")
        XCTAssertGreaterThanOrEqual(files.filter(\.isShipped).count, 1, "the repository ships xavier_stats.json")
        for file in files {
            let stats = try JSONDecoder().decode(Stats.self, from: Data(contentsOf: file.url))
            XCTAssertFalse(stats.architectures.isEmpty, "\(file)")
            var rng = Xoshiro256(seed: 2024)
            for arch in stats.architectures {
                let shape = NetworkShape(sizes: arch.sizes)
                for (l, layer) in arch.layers.enumerated() {
                    XCTAssertEqual(shape.inputs(l), layer.fan_in, "\(file) \(arch.sizes)")
                    XCTAssertEqual(shape.outputs(l), layer.fan_out, "\(file) \(arch.sizes)")
                    var samples: [Double] = []
                    while samples.count < 20_000 {
                        let net = Network(shape: shape)
                        net.initializeXavier(&rng)
                        let w = net.weights.layer(l)
                        samples += (0..<(layer.fan_in * layer.fan_out)).map { Double(w[$0]) }
                    }
                    let n = Double(samples.count)
                    let mean = samples.reduce(0, +) / n
                    let variance = samples.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n
                    let std = variance.squareRoot()
                    let kurtosis = samples.reduce(0) { $0 + pow($1 - mean, 4) } / n / (variance * variance) - 3
                    let label = "\(file) \(arch.sizes) layer \(l)"
                    XCTAssertLessThan(abs(std / layer.std - 1), 5 / (2 * n).squareRoot(), label)
                    XCTAssertLessThan(abs(mean), 5 * layer.std / n.squareRoot(), label)
                    XCTAssertLessThan(abs(kurtosis), 5 * (24 / n).squareRoot(), label)
                }
            }
        }
    }

    /// The NRL estimator (whole-network norm, × N) points along the exact gradient of log π(a):
    /// cosine > 0.99 with 20,000 noise samples at σ = 1e-3 (every grad_quality fixture, e.g. grad_quality_4-64-2.json).
    func testNRLEstimatorAlignsWithExactGradient() throws {
        let fixtures = try RuleFixture.all(kind: "grad_quality")
        XCTAssertGreaterThanOrEqual(fixtures.filter(\.file.isShipped).count, 1, "the repository ships a grad_quality fixture")
        for (file, f) in fixtures {
            let name = file.description
            let net = f.network()
            let clean = net.makePass(), noisy = net.makePass()
            withObservation(f.obs!) { net.forward($0, into: clean) }
            let lp0 = clean.logProbability(of: f.action!)
            let estimate = LayerMatrices(shape: net.shape)
            var rng = RandomStream.noise.generator(seed: 3)
            let samples = 20_000
            for _ in 0..<samples {
                noisy.drawNoise(sigma: 1e-3, &rng)
                noisy.computeNoisy(sharingFirstLayerWith: clean, net.weights)
                let dp = noisy.logProbability(of: f.action!) - lp0
                estimate.addNoiseOuterProducts(noiseOf: noisy, inputsOf: noisy, scale: dp, normalization: .network)
            }
            let est = estimate.toArrays().flatMap { $0.flatMap { $0 } }.map { $0 * Double(f.N!) / Double(samples) }
            let exact = f.grad!.flatMap { $0.flatMap { $0 } }
            let dot = zip(est, exact).reduce(0) { $0 + $1.0 * $1.1 }
            let cosine = dot / (est.reduce(0) { $0 + $1 * $1 }.squareRoot() * exact.reduce(0) { $0 + $1 * $1 }.squareRoot())
            XCTAssertGreaterThan(cosine, 0.99, name)
            // Our own backprop agrees with the fixture's exact gradient too.
            let backprop = Backprop(shape: net.shape)
            let gradient = LayerMatrices(shape: net.shape)
            backprop.computeErrors(clean, weights: net.weights, action: f.action!)
            backprop.accumulate(into: gradient, scale: 1, inputsOf: clean)
            XCTAssertLessThan(worstLayerError(gradient.toArrays(), f.grad!), 1e-4, name)
        }
    }
}
