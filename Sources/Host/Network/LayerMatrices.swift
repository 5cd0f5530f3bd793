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

    /// self_l += scale_l · other_l for every layer.
    public func add(_ other: LayerMatrices, layerScales: UnsafePointer<Float>) {
        for l in 0..<shape.layerCount {
            Kernels.axpy(layerScales[l], other.layer(l), layer(l), shape.inputs(l) * shape.outputs(l))
        }
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

    /// Layer l += scale · ξ_l x_{l−1}ᵀ for every layer, with ξ the node noise of `noiseOf` and x the
    /// layer inputs of `inputsOf` (often the same pass). The node-perturbation outer product of NRL and RMHL.
    @inline(__always)
    public func addNoiseOuterProducts(noiseOf: ForwardPass, inputsOf: ForwardPass, scale: Float) {
        for l in 0..<shape.layerCount { addOuter(layer: l, scale: scale, noiseOf.noise(l), inputsOf.input(l)) }
    }

    /// The same with one scale per layer.
    @inline(__always)
    public func addNoiseOuterProducts(noiseOf: ForwardPass, inputsOf: ForwardPass, layerScales: UnsafePointer<Float>) {
        for l in 0..<shape.layerCount { addOuter(layer: l, scale: layerScales[l], noiseOf.noise(l), inputsOf.input(l)) }
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
