import Foundation

/// Python workers kept between environments, so that a thread making one bridged environment after
/// another (a `compare` job, `replay` over many files) starts Python and imports the task's package
/// once: 2.7 s for NeuroGym. Each thread keeps at most one idle worker per interpreter, in its own
/// thread dictionary: a worker is only ever used by the thread that started it, whose exit its death
/// signal follows (PR_SET_PDEATHSIG acts on the starting thread), and the dictionary releases it then.
/// A reused worker makes its task afresh (MAKE closes the last one), so a run's steps do not depend on
/// what the worker ran before; BridgeTests checks that.
enum IdleWorkers {
    private static let key = "nrlhost.idle-python-workers"

    /// An idle worker of `python` started by this thread, or a new one.
    static func take(python: String, label: String) throws -> PythonWorker {
        if let worker = idle.removeValue(forKey: python) {
            if worker.reusable {
                worker.reuse(label: label)
                return worker
            }
            worker.close()
        }
        return try PythonWorker(python: python, label: label)
    }

    /// Keeps `worker` for this thread's next environment when it can serve one; else closes it.
    static func giveBack(_ worker: PythonWorker) {
        guard worker.reusable else { worker.close(); return }
        if let previous = idle.updateValue(worker, forKey: worker.python), previous !== worker { previous.close() }
    }

    /// This thread's idle workers, by interpreter.
    private static var idle: Holder.Workers {
        get { holder.workers }
        set { holder.workers = newValue }
    }

    private static var holder: Holder {
        let dictionary = Thread.current.threadDictionary
        if let h = dictionary[key] as? Holder { return h }
        let h = Holder()
        dictionary[key] = h
        return h
    }

    private final class Holder: NSObject {
        typealias Workers = [String: PythonWorker]
        var workers: Workers = [:]
        deinit { workers.values.forEach { $0.close() } }
    }
}
