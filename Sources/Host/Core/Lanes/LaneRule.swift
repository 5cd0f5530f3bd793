/// A rule the lanes engine trains: one step of every lane at once; learning per lane at its episode's end
/// (delayed tasks), or of every lane after every step (immediate tasks).
protocol LaneRule: AnyObject {
    associatedtype Width: LaneWidth
    /// Where the trainer writes the observations (lane-major x_0).
    var observation: UnsafeMutablePointer<Width.Floats> { get }
    var weights: LaneMatrices<Width> { get }
    /// Lane k starts a run: `Session`'s initial weights and the rule's streams for these seeds.
    func start(lane k: Int, seed: UInt64, initSeed: UInt64)
    /// One step of every lane; writes each lane's action into `actions`.
    func act(_ actions: UnsafeMutablePointer<Int>)
    /// Lane k's episode ended with reward prediction error δ (delayed tasks).
    func learn(lane k: Int, rpe: Double)
    /// Every lane learns from its step's δ, `rpe[k]` (immediate tasks; 0 for an idle lane).
    func learnEveryLane(rpe: UnsafePointer<Double>)
}

extension LaneMatrices {
    /// Lane k takes `Session`'s initial weights: Xavier from the weights stream of `initSeed`.
    func setLaneToInitialWeights(_ k: Int, initSeed: UInt64) {
        let network = Network(shape: shape)
        var weightRandom = RandomStream.weights.generator(seed: initSeed)
        network.initializeXavier(&weightRandom)
        setLane(k, from: network.weights)
    }

    /// Lane k: W_l += Float(η·δ·k_l)·e_l for every layer, then e = 0 — the end of an episode of a rule
    /// that sums its update over the episode in `trace` (`NodeNoiseTrace.apply`, `LayerMatrices.add(_:scale:scaling:)`).
    func applyLane(_ k: Int, trace: LaneMatrices, learningRate: Double, rpe: Double, scaling: StepScaling) {
        let scale = learningRate * rpe
        for l in 0..<shape.layerCount {
            let factor = scaling.factor(layer: l, of: shape, normalization: .network)
            addLane(k, layer: l, trace, coefficient: Float(scale * factor))
        }
        trace.zeroLane(k)
    }
}
