/// The exact gradient of log π(a | s) with respect to every weight, by backpropagation:
/// ε_L = onehot(a) − π, ε_l = f′(a_l) ⊙ W_{l+1}ᵀ ε_{l+1}, ∇_{W_l} log π(a) = ε_l x_{l−1}ᵀ.
/// Used by the BP (REINFORCE) baseline and by gradient-quality diagnostics.
public final class Backprop {
    public let shape: NetworkShape
    /// ε_1 … ε_L, back to back.
    public let errors: UnsafeMutablePointer<Float>

    public init(shape: NetworkShape) {
        self.shape = shape
        errors = .allocate(capacity: shape.unitCount)
        errors.initialize(repeating: 0, count: shape.unitCount)
    }

    deinit { errors.deallocate() }

    /// Computes every ε_l for `action` from a pass made with `weights`.
    public func computeErrors(_ pass: ForwardPass, weights: LayerMatrices, action: Int) {
        let last = shape.layerCount - 1
        let eL = errors + shape.unitOffsets[last]
        for k in 0..<shape.outputSize {
            eL[k] = Float((k == action ? 1.0 : 0.0) - pass.probabilities[k])
        }
        var l = last - 1
        while l >= 0 {
            let n = shape.outputs(l), above = shape.outputs(l + 1)
            let e = errors + shape.unitOffsets[l], eAbove = errors + shape.unitOffsets[l + 1]
            let w = weights.layer(l + 1)
            e.update(repeating: 0, count: n)
            for i in 0..<above { Kernels.axpy(eAbove[i], w + i &* n, e, n) }
            let a = pass.preActivation(l)
            for j in 0..<n { e[j] *= LeakyReLU.derivative(a[j]) }
            l -= 1
        }
    }

    /// target_l += scale · ε_l x_{l−1}ᵀ for every layer (after `computeErrors`).
    /// `target` may be the weights the errors were computed with: all ε are computed first.
    public func accumulate(into target: LayerMatrices, scale: Float, inputsOf pass: ForwardPass) {
        for l in 0..<shape.layerCount {
            target.addOuter(layer: l, scale: scale, errors + shape.unitOffsets[l], pass.input(l))
        }
    }

    /// target += scale · ∇_W log π(action) for a pass made with `weights` (BP's primitive, shared by
    /// the native rule and scripts).
    public func addLogProbabilityGradient(_ pass: ForwardPass, weights: LayerMatrices, action: Int,
                                          into target: LayerMatrices, scale: Double) {
        computeErrors(pass, weights: weights, action: action)
        accumulate(into: target, scale: Float(scale), inputsOf: pass)
    }
}
