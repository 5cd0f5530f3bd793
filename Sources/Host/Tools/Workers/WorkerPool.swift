import NRLCore
import Foundation

/// The one way nrlhost spreads work over cores: `jobs` threads, each taking the next index until
/// none are left. Threads get a large stack, since a Lua script may recurse deeply in a run.
public enum WorkerPool {
    /// Calls `body(worker, index)` for every index in 0..<count on at most `jobs` threads and
    /// returns when all are done. `body` runs concurrently: it must guard what it shares.
    /// `shouldStop` is checked before each index is taken.
    public static func run(count: Int, jobs: Int, shouldStop: @escaping @Sendable () -> Bool = { false },
                           _ body: @escaping @Sendable (_ worker: Int, _ index: Int) -> Void) {
        let workers = max(1, min(jobs, count))
        guard count > 0 else { return }
        let next = Counter()
        let group = DispatchGroup()
        for worker in 0..<workers {
            group.enter()
            let thread = Thread {
                defer { group.leave() }
                while !shouldStop(), let index = next.take(below: count) { body(worker, index) }
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
        group.wait()
    }

    /// `body(index)` for every index on at most `jobs` threads; the results in index order, or the
    /// first error (by index) when any failed.
    public static func map<T: Sendable>(count: Int, jobs: Int, _ body: @escaping @Sendable (Int) throws -> T) throws -> [T] {
        let results = Locked([Result<T, Error>?](repeating: nil, count: count))
        run(count: count, jobs: jobs) { _, index in
            let r = Result { try body(index) }
            results.withValue { $0[index] = r }
        }
        return try results.withValue { $0 }.map { try $0!.get() }
    }
}

private final class Counter: @unchecked Sendable {
    private var next = 0
    private let lock = NSLock()

    func take(below count: Int) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard next < count else { return nil }
        next += 1
        return next - 1
    }
}
