/// The layer sizes of an MLP, [n_0, n_1, …, n_L], and where each layer lives in the flat buffers.
/// Weights of layer l (1-based in docs/spec/rules.md §1, 0-based here) are row-major n_l × n_{l−1};
/// all layers sit back to back in one buffer.
public struct NetworkShape: Hashable, Sendable, Codable, CustomStringConvertible {
    public let sizes: [Int]
    /// Offset of layer l's weights in a flat weight buffer.
    public let weightOffsets: [Int]
    /// Offset of layer l's units (pre-activations, noise) in a flat unit buffer of length `unitCount`.
    public let unitOffsets: [Int]
    /// Offset of layer l's input x_{l} in a flat buffer holding x_0 … x_{L−1}.
    public let inputOffsets: [Int]
    public let weightCount: Int
    /// N = n_1 + … + n_L.
    public let unitCount: Int
    public let inputCount: Int
    /// L, n_0 and n_L, stored: read in every call a script makes, where reading `sizes` would retain it.
    public let layerCount: Int
    public let inputSize: Int
    public let outputSize: Int

    public init(sizes: [Int]) {
        precondition(sizes.count >= 2 && sizes.allSatisfy { $0 > 0 }, "a network needs at least an input and an output layer")
        self.sizes = sizes
        var w = [Int](), u = [Int](), x = [Int]()
        var wo = 0, uo = 0, xo = 0
        for l in 0..<(sizes.count - 1) {
            w.append(wo); u.append(uo); x.append(xo)
            wo += sizes[l] * sizes[l + 1]
            uo += sizes[l + 1]
            xo += sizes[l]
        }
        weightOffsets = w; unitOffsets = u; inputOffsets = x
        weightCount = wo; unitCount = uo; inputCount = xo
        layerCount = sizes.count - 1; inputSize = sizes[0]; outputSize = sizes[sizes.count - 1]
    }

    /// An input layer, `layers` hidden layers of `hidden` units, and an output layer.
    public init(inputs: Int, hidden: Int, layers: Int, outputs: Int) {
        self.init(sizes: [inputs] + Array(repeating: hidden, count: layers) + [outputs])
    }

    /// Fan-in of layer l (0-based).
    @inlinable public func inputs(_ l: Int) -> Int { sizes[l] }
    /// Fan-out (unit count) of layer l (0-based).
    @inlinable public func outputs(_ l: Int) -> Int { sizes[l + 1] }

    // Coded as before the stored sizes were added: the same JSON, decoded from `sizes` alone.
    private enum CodingKeys: String, CodingKey {
        case sizes, weightOffsets, unitOffsets, inputOffsets, weightCount, unitCount, inputCount
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let sizes = try c.decode([Int].self, forKey: .sizes)
        guard sizes.count >= 2 && sizes.allSatisfy({ $0 > 0 }) else {
            throw DecodingError.dataCorruptedError(forKey: .sizes, in: c, debugDescription: "a network needs at least two layers of positive sizes")
        }
        self.init(sizes: sizes)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(sizes, forKey: .sizes); try c.encode(weightOffsets, forKey: .weightOffsets)
        try c.encode(unitOffsets, forKey: .unitOffsets); try c.encode(inputOffsets, forKey: .inputOffsets)
        try c.encode(weightCount, forKey: .weightCount); try c.encode(unitCount, forKey: .unitCount)
        try c.encode(inputCount, forKey: .inputCount)
    }

    public var description: String { sizes.map(String.init).joined(separator: "-") }
}
