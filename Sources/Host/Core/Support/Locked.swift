import Foundation

/// A value shared between threads, reached only under its lock.
public final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()

    public init(_ value: Value) { self.value = value }

    public func withValue<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }

    /// Sets the value and returns the one it replaced.
    public func exchange(_ new: Value) -> Value {
        withValue { v in
            let old = v
            v = new
            return old
        }
    }
}
