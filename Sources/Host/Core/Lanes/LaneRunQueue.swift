/// The runs of a sweep waiting for a lane: every engine (one per thread) pulls the next run as
/// soon as one of its lanes finishes, so lanes stay busy until the queue is empty. Which lane or
/// thread takes a run never changes its numbers.
public final class LaneRunQueue: @unchecked Sendable {
    public let specs: [RunSpec]
    private let next = Locked(0)

    public init(_ specs: [RunSpec]) { self.specs = specs }

    /// The index (into `specs`) of the next run to start, nil when all have been taken.
    public func take() -> Int? {
        next.withValue { n in
            guard n < specs.count else { return nil }
            defer { n += 1 }
            return n
        }
    }
}
