import Foundation

/// A flat Float32 buffer with one n_l × n_{l−1} matrix per layer: weights, eligibility traces,
/// gradients and weight perturbations all have this form.
public final class LayerMatrices {
    public let shape: NetworkShape
    public let values: UnsafeMutablePointer<Float>

    public init(shape: NetworkShape) {
        self.shape = shape
        values = .allocate(capacity: shape.weightCount)
        values.initialize(repeating: 0, count: shape.weightCount)
    }

    deinit { values.deallocate() }

    public var count: Int { shape.weightCount }

    /// Layer l's matrix (row-major n_l × n_{l−1}).
    @inlinable @inline(__always)
    public func layer(_ l: Int) -> UnsafeMutablePointer<Float> { values + shape.weightOffsets[l] }

    public func zero() { values.update(repeating: 0, count: count) }

    public func copy(from other: LayerMatrices) {
        precondition(other.shape == shape)
        values.update(from: other.values, count: count)
    }

    /// self += scale · other.
    public func add(_ other: LayerMatrices, scale: Float) {
        Kernels.axpy(scale, other.values, values, count)
    }

    /// Layer l += outer(scale·u, v): element [i][j] += (scale·u[i])·v[j].
    @inlinable @inline(__always)
    public func addOuter(layer l: Int, scale: Float, _ u: UnsafePointer<Float>, _ v: UnsafePointer<Float>) {
        let rows = shape.outputs(l), cols = shape.inputs(l)
        let m = layer(l)
        for i in 0..<rows {
            Kernels.axpy(scale * u[i], v, m + i &* cols, cols)
        }
    }

    /// Layer l += (scale · k_l / norm_l) · ξ_l x_{l−1}ᵀ for every layer, with ξ the node noise of
    /// `noiseOf`, x the layer inputs of `inputsOf` (often the same pass), norm_l from `normalization`
    /// and k_l from `scaling`. The node-perturbation outer product of NRL, RMHL and NP; native rules
    /// and scripts share it, so a script and its native twin compute the same numbers.
    @inline(__always)
    public func addNoiseOuterProducts(noiseOf: ForwardPass, inputsOf: ForwardPass, scale: Double,
                                      normalization: NoiseNormalization = .none, scaling: StepScaling = .paper) {
        let networkNorm = normalization == .network ? noiseOf.noiseSquaredNorm : 1
        for l in 0..<shape.layerCount {
            let norm: Double
            switch normalization {
            case .none: norm = 1
            case .network: norm = networkNorm
            case .layer: norm = noiseOf.noiseSquaredNorm(layer: l)
            }
            let k = scaling.factor(layer: l, of: shape, normalization: normalization)
            addOuter(layer: l, scale: Float(scale * k / norm), noiseOf.noise(l), inputsOf.input(l))
        }
    }

    /// self_l += Float(scale · k_l) · other_l for every layer: applying a trace or a gradient.
    public func add(_ other: LayerMatrices, scale: Double, scaling: StepScaling) {
        for l in 0..<shape.layerCount {
            let k = scaling.factor(layer: l, of: shape, normalization: .network)
            Kernels.axpy(Float(scale * k), other.layer(l), layer(l), shape.inputs(l) * shape.outputs(l))
        }
    }

    /// Every element = Float(σ · N(0, 1)), in order, from `rng` (weight perturbations).
    public func fillNormal(sigma: Double, _ rng: inout Xoshiro256) {
        Gaussian.fill(values, count: count, sigma: sigma, &rng)
    }

    public var allFinite: Bool { Kernels.allFinite(values, count) }

    /// Nested arrays [layer][row][column], for files and tests.
    public func toArrays() -> [[[Double]]] {
        (0..<shape.layerCount).map { l in
            let rows = shape.outputs(l), cols = shape.inputs(l), m = layer(l)
            return (0..<rows).map { i in (0..<cols).map { j in Double(m[i * cols + j]) } }
        }
    }

    /// Sets every element from nested arrays [layer][row][column] (rounded to Float32).
    public func set(_ arrays: [[[Double]]]) {
        precondition(arrays.count == shape.layerCount)
        for l in 0..<shape.layerCount {
            let rows = shape.outputs(l), cols = shape.inputs(l), m = layer(l)
            precondition(arrays[l].count == rows && arrays[l].allSatisfy { $0.count == cols }, "layer \(l) has the wrong shape")
            for i in 0..<rows { for j in 0..<cols { m[i * cols + j] = Float(arrays[l][i][j]) } }
        }
    }
}
