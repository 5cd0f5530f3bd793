/// `LayerMatrices` for every lane: element w holds matrix element w of every lane's run
/// (lane-major), so one vector operation touches the same weight of all runs.
final class LaneMatrices<L: LaneWidth> {
    let shape: NetworkShape
    let values: UnsafeMutablePointer<L.Floats>

    init(shape: NetworkShape) {
        self.shape = shape
        values = .allocate(capacity: shape.weightCount)
        values.initialize(repeating: L.Floats(), count: shape.weightCount)
    }

    deinit { values.deallocate() }

    @inline(__always)
    func layer(_ l: Int) -> UnsafeMutablePointer<L.Floats> { values + shape.weightOffsets[l] }

    /// Lane k takes the values of a single run's matrices.
    func setLane(_ k: Int, from matrices: LayerMatrices) {
        for w in 0..<shape.weightCount { values.setLane(w, k, matrices.values[w]) }
    }

    /// Lane k's values, in `LayerMatrices` order.
    func lane(_ k: Int) -> [Float] { (0..<shape.weightCount).map { values.lane($0, k) } }

    func zeroLane(_ k: Int) {
        for w in 0..<shape.weightCount { values.setLane(w, k, 0) }
    }

    /// Lane k of layer l += coefficient · lane k of layer l of `other` (`Kernels.axpy`, one lane).
    @inline(__always)
    func addLane(_ k: Int, layer l: Int, _ other: LaneMatrices, coefficient: Float) {
        let n = shape.inputs(l) * shape.outputs(l)
        let y = layer(l), x = other.layer(l)
        for w in 0..<n { y.setLane(w, k, y.lane(w, k) + coefficient * x.lane(w, k)) }
    }

    /// True when no element of lane k is NaN or infinite.
    func laneIsFinite(_ k: Int) -> Bool {
        for w in 0..<shape.weightCount where !values.lane(w, k).isFinite { return false }
        return true
    }
}
