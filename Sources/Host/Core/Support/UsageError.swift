/// A mistake in what the user asked for (unknown name, bad value). The command line exits 64 on it.
public struct UsageError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
