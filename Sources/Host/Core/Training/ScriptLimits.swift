/// What one script may use. The instruction budget and the clock apply to each call into the
/// script (one `act`, one `learn`, loading the file); the memory cap to everything the script holds.
public struct ScriptLimits: Sendable, Equatable, Codable {
    /// VM instructions per call (0: no limit).
    public var instructionsPerCall: Int
    /// Bytes of Lua heap (0: no limit).
    public var memoryBytes: Int
    /// Wall-clock seconds per call (0: no limit).
    public var secondsPerCall: Double
    /// Bytes a script may print in a run before further output is dropped.
    public var printBytes: Int

    public init(instructionsPerCall: Int = 200_000_000, memoryBytes: Int = 256 << 20,
                secondsPerCall: Double = 10, printBytes: Int = 64 << 10) {
        self.instructionsPerCall = instructionsPerCall
        self.memoryBytes = memoryBytes
        self.secondsPerCall = secondsPerCall
        self.printBytes = printBytes
    }

    public static let standard = ScriptLimits()
}
