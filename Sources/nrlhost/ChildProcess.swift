import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A child process run to its end or killed at a deadline, with its output captured. Spawned with
/// posix_spawn and close-on-exec pipes, so that children started at the same time from several
/// threads never inherit each other's pipes (which would hold back each other's end of output).
struct ChildProcess {
    struct Outcome {
        /// The exit status, when the child exited.
        var exitStatus: Int32?
        /// The signal that ended it, when one did (SIGKILL after `timedOut`).
        var signal: Int32?
        var timedOut: Bool
        var stdout: Data
        /// The last `stderrLimit` bytes of standard error.
        var stderr: Data
        var seconds: Double
    }

    static let stderrLimit = 16 << 10
    private static let spawnLock = NSLock()

    /// This program's own executable.
    static var ownExecutable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? Bundle.main.executablePath ?? CommandLine.arguments[0]
    }

    /// Runs `executable arguments…` with standard input from /dev/null; kills it (SIGKILL) if it has
    /// not ended after `timeout` seconds.
    static func run(_ executable: String, _ arguments: [String], timeout: Double) throws -> Outcome {
        var out: [Int32] = [-1, -1], err: [Int32] = [-1, -1]
        var pid: pid_t = 0
        let started = Date()
        // Pipes are made close-on-exec under the lock every spawn takes, so no child inherits another's.
        spawnLock.lock()
        guard pipe(&out) == 0 else {
            spawnLock.unlock()
            throw ChildProcessError("pipe failed: \(String(cString: strerror(errno)))")
        }
        guard pipe(&err) == 0 else {
            close(out[0]); close(out[1])
            spawnLock.unlock()
            throw ChildProcessError("pipe failed: \(String(cString: strerror(errno)))")
        }
        for fd in out + err { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, out[1], 1)
        posix_spawn_file_actions_adddup2(&actions, err[1], 2)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let status = argv.withUnsafeBufferPointer { posix_spawn(&pid, executable, &actions, nil, $0.baseAddress!, environ) }
        posix_spawn_file_actions_destroy(&actions)
        argv.forEach { free($0) }
        close(out[1]); close(err[1])
        spawnLock.unlock()
        guard status == 0 else {
            close(out[0]); close(err[0])
            throw ChildProcessError("cannot start \(executable): \(String(cString: strerror(status)))")
        }

        let readers = DispatchGroup()
        let collected = Collected()
        for (fd, isError) in [(out[0], false), (err[0], true)] {
            readers.enter()
            let thread = Thread {
                defer { readers.leave(); close(fd) }
                var buffer = [UInt8](repeating: 0, count: 16 << 10)
                while true {
                    let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                    if n < 0 && errno == EINTR { continue }
                    guard n > 0 else { break }
                    collected.append(buffer[0..<n], toError: isError)
                }
            }
            thread.start()
        }

        var waitStatus: Int32 = 0
        var timedOut = false
        while true {
            let r = waitpid(pid, &waitStatus, WNOHANG)
            if r == pid { break }
            if r < 0 && errno != EINTR { break }
            if !timedOut && Date().timeIntervalSince(started) > timeout {
                timedOut = true
                kill(pid, SIGKILL)
            }
            usleep(5_000)
        }
        let seconds = Date().timeIntervalSince(started)
        readers.wait()
        let signalled = waitStatus & 0x7F
        return Outcome(exitStatus: signalled == 0 ? (waitStatus >> 8) & 0xFF : nil, signal: signalled == 0 ? nil : signalled,
                       timedOut: timedOut, stdout: collected.stdout, stderr: collected.stderr, seconds: seconds)
    }

    private final class Collected: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var stdout = Data()
        private(set) var stderr = Data()

        func append(_ bytes: ArraySlice<UInt8>, toError: Bool) {
            lock.lock()
            defer { lock.unlock() }
            if toError {
                stderr.append(contentsOf: bytes)
                if stderr.count > 2 * ChildProcess.stderrLimit { stderr = stderr.suffix(ChildProcess.stderrLimit) }
            } else {
                stdout.append(contentsOf: bytes)
            }
        }
    }
}

struct ChildProcessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
