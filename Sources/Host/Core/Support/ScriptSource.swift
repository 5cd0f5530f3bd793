/// The exact text of a script as it was loaded, with its path and content hash (SHA-256 of the
/// file's bytes, as `sha256sum` prints it). A run's identity covers the hash, so an edited script
/// makes a different run.
public struct ScriptSource: Codable, Equatable, Sendable {
    public var path: String
    public var hash: String
    /// The bytes as UTF-8 text (a byte that is not UTF-8 shows as U+FFFD here; the hash is of the bytes).
    public var text: String

    public init<Bytes: Collection>(path: String, bytes: Bytes) where Bytes.Element == UInt8 {
        self.path = path
        self.text = String(decoding: Array(bytes), as: UTF8.self)
        self.hash = SHA256.hex(bytes)
    }
}
