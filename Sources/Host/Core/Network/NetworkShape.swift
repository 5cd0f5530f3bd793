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
    }

    /// An input layer, `layers` hidden layers of `hidden` units, and an output layer.
    public init(inputs: Int, hidden: Int, layers: Int, outputs: Int) {
        self.init(sizes: [inputs] + Array(repeating: hidden, count: layers) + [outputs])
    }

    // Inlinable: the Lua bridge checks shapes in every call a script makes.
    @inlinable public var layerCount: Int { sizes.count - 1 }
    @inlinable public var inputSize: Int { sizes[0] }
    @inlinable public var outputSize: Int { sizes[sizes.count - 1] }
    /// Fan-in of layer l (0-based).
    @inlinable public func inputs(_ l: Int) -> Int { sizes[l] }
    /// Fan-out (unit count) of layer l (0-based).
    @inlinable public func outputs(_ l: Int) -> Int { sizes[l + 1] }

    public var description: String { sizes.map(String.init).joined(separator: "-") }
}
