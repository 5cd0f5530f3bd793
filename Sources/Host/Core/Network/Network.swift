import Foundation

/// A policy network: an MLP without biases, LeakyReLU(0.1) hidden units, softmax output.
/// It owns the weights; passes (`ForwardPass`) and traces (`LayerMatrices`) are separate objects
/// so rules can keep as many of them as they need.
public final class Network {
    public let shape: NetworkShape
    public let weights: LayerMatrices

    public init(shape: NetworkShape) {
        self.shape = shape
        weights = LayerMatrices(shape: shape)
    }

    /// Xavier-normal initialisation (gain 1, untruncated), as `torch.nn.init.xavier_normal_`:
    /// W_l[i][j] ~ N(0, 2 / (n_{l−1} + n_l)), drawn layer by layer in row-major order.
    public func initializeXavier(_ rng: inout Xoshiro256) {
        for l in 0..<shape.layerCount {
            let std = (2.0 / Double(shape.inputs(l) + shape.outputs(l))).squareRoot()
            let w = weights.layer(l)
            for k in 0..<(shape.inputs(l) * shape.outputs(l)) { w[k] = Float(std * Gaussian.sample(&rng)) }
        }
    }

    /// A pass with these weights (allocates the pass; keep it and reuse it).
    public func makePass() -> ForwardPass { ForwardPass(shape: shape) }

    /// The clean pass for `observation`.
    @inline(__always)
    public func forward(_ observation: UnsafePointer<Float>, into pass: ForwardPass) {
        pass.compute(weights, observation: observation, noisy: false)
    }

    /// A noisy pass with fresh noise ξ ~ N(0, σ²) on every layer.
    @inline(__always)
    public func forwardNoisy(_ observation: UnsafePointer<Float>, into pass: ForwardPass, sigma: Double, _ rng: inout Xoshiro256) {
        pass.drawNoise(sigma: sigma, &rng)
        pass.compute(weights, observation: observation, noisy: true)
    }
}
