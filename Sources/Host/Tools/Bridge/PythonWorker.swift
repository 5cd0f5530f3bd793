import Foundation
import CWorkerChannel
#if canImport(Glibc)
import Glibc
#endif

/// A failure of a bridged (Python) environment: a Python exception, a worker that died or hung, a
/// malformed frame, a space nrlhost does not take. Ends the run with its message (exit 1).
public struct BridgeError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Why a frame could not be read.
public enum FrameError: Error, Equatable, CustomStringConvertible {
    /// The other end closed the pipe (the worker exited).
    case endOfStream
    /// No whole frame within the call's wall clock.
    case timedOut
    /// Bytes that are not a frame of the protocol.
    case malformed(String)
    case io(Int32)

    public var description: String {
        switch self {
        case .endOfStream: return "the pipe closed"
        case .timedOut: return "no answer in time"
        case .malformed(let why): return "malformed frame: " + why
        case .io(let e): return "read failed: " + String(cString: strerror(e))
        }
    }
}

/// Reads the worker's response frames (`u8 code, u32 length` little-endian, then `length` bytes) from a
/// file descriptor, defensively: a code other than 0 (ok) or 1 (error), or a length over 16 MiB, is
/// refused before anything is allocated for it; reading waits at most until a deadline (poll(2)).
/// The buffer is reused, so a step allocates nothing; a returned payload is valid until the next read.
public final class FrameReader {
    public static let maxLength = 16 << 20
    public let fd: Int32
    private var buffer: UnsafeMutableRawPointer
    private var capacity: Int
    private var start = 0, end = 0

    /// The descriptor's own receive timeout (SO_RCVTIMEO, set by the owner to at most the deadline) bounds
    /// each read, so no poll(2) is needed before it: one system call per read on the step path.
    public var readsTimeOut = false

    public init(fd: Int32, capacity: Int = 1 << 16) {
        self.fd = fd
        self.capacity = capacity
        buffer = .allocate(byteCount: capacity, alignment: 16)
    }

    deinit { buffer.deallocate() }

    /// One frame; `deadline` is in `DispatchTime` uptime nanoseconds (nil: wait as long as it takes).
    public func read(deadline: UInt64?) throws -> (code: UInt8, payload: UnsafeRawBufferPointer) {
        try fill(5, deadline: deadline)
        let code = buffer.load(fromByteOffset: start, as: UInt8.self)
        let length = Int(UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: start + 1, as: UInt32.self)))
        guard code <= 1 else { throw FrameError.malformed("response code \(code) (only 0, ok, and 1, error, exist)") }
        guard length <= Self.maxLength else {
            throw FrameError.malformed("a frame of \(length) bytes, over the \(Self.maxLength >> 20) MiB limit")
        }
        try fill(5 + length, deadline: deadline)
        let payload = UnsafeRawBufferPointer(start: buffer + start + 5, count: length)
        start += 5 + length
        return (code, payload)
    }

    /// Makes at least `count` bytes available from `start`.
    private func fill(_ count: Int, deadline: UInt64?) throws {
        if end - start >= count { return }
        if start + count > capacity {
            if count > capacity {
                let bigger = UnsafeMutableRawPointer.allocate(byteCount: count, alignment: 16)
                bigger.copyMemory(from: buffer + start, byteCount: end - start)
                buffer.deallocate()
                buffer = bigger
                capacity = count
            } else {
                (buffer).copyMemory(from: buffer + start, byteCount: end - start)
            }
            end -= start
            start = 0
        }
        while end - start < count {
            if let deadline, !readsTimeOut {
                let now = DispatchTime.now().uptimeNanoseconds
                guard now < deadline else { throw FrameError.timedOut }
                var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                let ms = Int32(clamping: (deadline - now + 999_999) / 1_000_000)
                let ready = poll(&p, 1, ms)
                if ready < 0 { if errno == EINTR { continue }; throw FrameError.io(errno) }
                if ready == 0 { continue }  // the deadline check above ends it
            }
            let n = Glibc.read(fd, buffer + end, capacity - end)
            if n < 0 {
                guard errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK else { throw FrameError.io(errno) }
                if let deadline, DispatchTime.now().uptimeNanoseconds >= deadline { throw FrameError.timedOut }
                continue
            }
            if n == 0 { throw FrameError.endOfStream }
            end += n
        }
    }
}

/// One Python worker process running `WorkerSource.text`, spoken to over one socket pair that is its
/// stdin and stdout (requests in, responses out); its stderr goes to an unlinked temporary file, read
/// back for messages when it fails. Spawned with posix_spawn; every call has a wall clock (poll(2)),
/// and a worker past it is killed. The worker dies with nrlhost: it exits when its stdin closes and
/// it asks Linux for SIGKILL when its parent dies (PR_SET_PDEATHSIG).
///
/// Steps go through a shared-memory channel (its fd 3, `CWorkerChannel`) once MAKE says the observation
/// fits: no system call per step while both sides are awake. Every other request is a socket frame,
/// announced on the channel.
public final class PythonWorker {
    public enum Request: UInt8 { case make = 1, reset = 2, step = 3, close = 4, bench = 5 }

    /// How long each side spins at most before it sleeps, waiting for the other: spinning saves the
    /// wake-up (10–30 µs on this machine class) when there is a core for each side. None on a one-core
    /// machine, where the other side cannot run while this one spins; elsewhere `SpinBudget` shortens it
    /// when the other side keeps being late (`compare -j` with more workers than cores, a busy machine).
    nonisolated(unsafe) public static var spinNanoseconds: Int64 =
        ProcessInfo.processInfo.activeProcessorCount >= 2 ? 200_000 : 0

    /// Whether steps may use the shared-memory channel (else every step is a socket frame); read at each MAKE.
    nonisolated(unsafe) public static var stepChannel = true

    /// One step's answer: the observation (valid until the next call), the reward and the flags.
    public struct StepAnswer {
        public var observation: UnsafeRawPointer
        public var reward: Double
        /// 1 terminated, 2 truncated, 4 a new trial began.
        public var flags: UInt8
    }

    public let pid: pid_t
    public let python: String
    /// What the messages call it ("gym:CartPole-v1").
    public private(set) var label: String
    private let socket: Int32
    private let stderrFile: Int32
    public let reader: FrameReader
    /// Request bytes for the fixed-size requests (reset, step), reused.
    private let request: UnsafeMutableRawPointer
    private var exited: Int32?
    private var closed = false
    /// Set once anything went wrong (a Python exception, a timeout, a malformed frame): such a worker is
    /// never used for another environment.
    private var failed = false
    /// Where this environment's part of the stderr file begins (a reused worker's file holds earlier ones).
    private var stderrStart = 0
    /// The shared step channel (nil where it could not be made); steps use it once `channelReady`.
    private let channel: UnsafeMutableRawPointer?
    private var channelReady = false
    private var requestNumber: UInt32 = 0
    private var spin: SpinBudget

    public init(python: String, label: String, spinNanoseconds: Int64 = PythonWorker.spinNanoseconds) throws {
        self.python = python
        self.label = label
        spin = SpinBudget(maximum: spinNanoseconds)
        let channelFile = nrl_channel_create()
        channel = channelFile >= 0 ? nrl_channel_map(channelFile) : nil
        defer { if channelFile >= 0 { Glibc.close(channelFile) } }
        var pair: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else {
            throw BridgeError("\(label): cannot make the worker's pipe: \(String(cString: strerror(errno)))")
        }
        var template = Array((NSTemporaryDirectory() + "/nrlhost-worker-XXXXXX").utf8CString)
        let err = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        if err >= 0 {
            _ = fcntl(err, F_SETFD, FD_CLOEXEC)
            template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_adddup2(&actions, pair[1], 0)
        posix_spawn_file_actions_adddup2(&actions, pair[1], 1)
        if err >= 0 { posix_spawn_file_actions_adddup2(&actions, err, 2) }
        if channel != nil { posix_spawn_file_actions_adddup2(&actions, channelFile, 3) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        var defaults = sigset_t(), empty = sigset_t()
        sigemptyset(&defaults); sigemptyset(&empty)
        sigaddset(&defaults, SIGPIPE); sigaddset(&defaults, SIGINT); sigaddset(&defaults, SIGTERM)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        let words: [String] = [python, "-u", "-c", WorkerSource.text, String(getpid())] + (channel != nil ? [String(spinNanoseconds)] : [])
        let argv = words.map { strdup($0) } + [nil]
        var child: pid_t = 0
        let status = argv.withUnsafeBufferPointer { posix_spawn(&child, python, &actions, &attributes, $0.baseAddress!, environ) }
        posix_spawn_file_actions_destroy(&actions)
        posix_spawnattr_destroy(&attributes)
        argv.forEach { free($0) }
        Glibc.close(pair[1])
        guard status == 0 else {
            Glibc.close(pair[0]); if err >= 0 { Glibc.close(err) }
            if let channel { nrl_channel_unmap(channel) }
            throw BridgeError("\(label): cannot start \(python): \(String(cString: strerror(status)))")
        }
        pid = child
        socket = pair[0]
        stderrFile = err
        reader = FrameReader(fd: pair[0])
        reader.readsTimeOut = true
        request = .allocate(byteCount: 64, alignment: 16)
    }

    deinit {
        close()
        request.deallocate()
        if let channel { nrl_channel_unmap(channel) }
    }

    /// True when the worker can make another environment: alive, closed by nobody, and nothing went wrong.
    public var reusable: Bool { !failed && !closed && reap(wait: 0) == nil }

    /// Prepares a reused worker for its next environment, named `label` in messages.
    func reuse(label: String) {
        self.label = label
        channelReady = false
        if stderrFile >= 0 { stderrStart = Int(lseek(stderrFile, 0, SEEK_END)) }
    }

    /// Steps go through the shared channel from now on (MAKE said the observation fits it).
    public func useChannel() { channelReady = channel != nil && Self.stepChannel }

    /// Whether this environment's steps go through the shared-memory channel.
    public var stepsUseChannel: Bool { channelReady }

    /// Tells the worker, waiting on the channel, that a frame follows on the socket.
    private func announceFrame() {
        guard let channel else { return }
        requestNumber &+= 1
        nrl_channel_post(channel, requestNumber, 0, 0)
    }

    // MARK: Calls

    /// Sends a request whose payload is `payload` and waits up to `timeout` seconds (0: no limit) for
    /// the response; an error response becomes a `BridgeError` naming the Python exception.
    public func call(_ code: Request, payload: UnsafeRawBufferPointer, timeout: Double) throws -> UnsafeRawBufferPointer {
        announceFrame()
        if payload.count + 5 <= 64 {
            request.storeBytes(of: code.rawValue, as: UInt8.self)
            request.storeBytes(of: UInt32(payload.count).littleEndian, toByteOffset: 1, as: UInt32.self)
            if let base = payload.baseAddress { (request + 5).copyMemory(from: base, byteCount: payload.count) }
            try send(UnsafeRawBufferPointer(start: request, count: 5 + payload.count))
        } else {
            var frame = Data([code.rawValue])
            withUnsafeBytes(of: UInt32(payload.count).littleEndian) { frame.append(contentsOf: $0) }
            frame.append(contentsOf: payload)
            try frame.withUnsafeBytes { try send($0) }
        }
        return try receive(timeout: timeout, what: code)
    }

    /// A step: through the shared channel when it is ready, else the frame `u32 action`, answered by
    /// `observation bytes, f64 reward, u8 flags`.
    @inline(__always)
    public func step(_ action: UInt32, observationBytes: Int, timeout: Double) throws -> StepAnswer {
        if channelReady, let channel { return try channelStep(action, channel: channel, timeout: timeout) }
        announceFrame()
        request.storeBytes(of: Request.step.rawValue, as: UInt8.self)
        request.storeBytes(of: UInt32(4).littleEndian, toByteOffset: 1, as: UInt32.self)
        request.storeBytes(of: action.littleEndian, toByteOffset: 5, as: UInt32.self)
        try send(UnsafeRawBufferPointer(start: request, count: 9))
        let answer = try receive(timeout: timeout, what: .step)
        guard answer.count == observationBytes + 9 else {
            throw refuse("frame: a step answer of \(answer.count) bytes, not \(observationBytes + 9)")
        }
        let base = answer.baseAddress!
        return StepAnswer(observation: base,
                          reward: Double(bitPattern: UInt64(littleEndian: base.loadUnaligned(fromByteOffset: observationBytes, as: UInt64.self))),
                          flags: base.load(fromByteOffset: observationBytes + 8, as: UInt8.self))
    }

    /// A reset, `reset(seed=seed)` (nil: `reset()`): through the shared channel when it is ready, else the
    /// frame `u8 has_seed, u64 seed`, answered by the observation's bytes; the observation, valid until the next call.
    public func reset(seed: UInt64?, observationBytes: Int, timeout: Double) throws -> UnsafeRawPointer {
        if channelReady, let channel {
            channel.storeBytes(of: seed ?? 0, toByteOffset: NRL_CHANNEL_SEED, as: UInt64.self)
            try channelCall(.reset, seed == nil ? 0 : 1, channel: channel, timeout: timeout)
            return UnsafeRawPointer(channel + NRL_CHANNEL_OBSERVATION)
        }
        var payload = [UInt8](repeating: 0, count: 9)
        payload[0] = seed == nil ? 0 : 1
        withUnsafeBytes(of: (seed ?? 0).littleEndian) { for k in 0..<8 { payload[1 + k] = $0[k] } }
        let answer = try payload.withUnsafeBytes { try call(.reset, payload: $0, timeout: timeout) }
        guard answer.count == observationBytes else {
            throw refuse("frame: a reset answer of \(answer.count) bytes, not \(observationBytes)")
        }
        return answer.baseAddress!
    }

    private func channelStep(_ action: UInt32, channel: UnsafeMutableRawPointer, timeout: Double) throws -> StepAnswer {
        try channelCall(.step, action, channel: channel, timeout: timeout)
        return StepAnswer(observation: UnsafeRawPointer(channel + NRL_CHANNEL_OBSERVATION),
                          reward: channel.load(fromByteOffset: NRL_CHANNEL_REWARD, as: Double.self),
                          flags: UInt8(truncatingIfNeeded: channel.load(fromByteOffset: NRL_CHANNEL_FLAGS, as: UInt32.self)))
    }

    /// Posts a step or reset on the channel and waits for its answer; the worker's exception, death or
    /// silence past `timeout` seconds becomes a `BridgeError`.
    private func channelCall(_ what: Request, _ argument: UInt32, channel: UnsafeMutableRawPointer, timeout: Double) throws {
        requestNumber &+= 1
        nrl_channel_post(channel, requestNumber, UInt32(what.rawValue), argument)
        let answered = nrl_channel_await(channel, requestNumber, spin.next(), Self.sleepSlice)
        spin.record(answeredSpinning: answered == 2)
        if answered == 0 {
            // Asleep: between slices, look for a worker that died or ran past the wall clock.
            let deadline = timeout > 0 ? DispatchTime.now().uptimeNanoseconds + UInt64(timeout * 1e9) : nil
            while nrl_channel_await(channel, requestNumber, 0, Self.sleepSlice) == 0 {
                if reap(wait: 0) != nil { throw died() }
                if let deadline, DispatchTime.now().uptimeNanoseconds >= deadline {
                    throw timedOut(what, after: timeout)
                }
            }
        }
        let status = channel.load(fromByteOffset: NRL_CHANNEL_STATUS, as: UInt32.self)
        if status > 1 {
            throw refuse("answer: \(what) status \(status) (0 ok and 1 error exist)")
        }
        if status == 1 {
            // The worker raised: its error frame is on the socket already.
            _ = try receive(timeout: timeout, what: what)
            throw refuse("frame: a \(what) failed without an error frame")
        }
    }

    /// How long the host sleeps at a time while waiting for a step (then checks the worker and the clock).
    static let sleepSlice: Int64 = 2_000_000

    private func send(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.send(socket, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EPIPE || errno == ECONNRESET { throw died() }
                throw BridgeError("\(label): cannot write to the Python worker: \(String(cString: strerror(errno)))")
            }
            offset += n
        }
    }

    /// The socket's SO_RCVTIMEO, changed only when a call's timeout differs from the last one's.
    private var receiveTimeout: Double = 0

    private func receive(timeout: Double, what: Request) throws -> UnsafeRawBufferPointer {
        if timeout != receiveTimeout {
            var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1e6))
            if timeout > 0 && tv.tv_sec == 0 && tv.tv_usec == 0 { tv.tv_usec = 1 }
            _ = setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            receiveTimeout = timeout
        }
        let deadline = timeout > 0 ? DispatchTime.now().uptimeNanoseconds + UInt64(timeout * 1e9) : nil
        let frame: (code: UInt8, payload: UnsafeRawBufferPointer)
        do {
            frame = try reader.read(deadline: deadline)
        } catch let e as FrameError {
            switch e {
            case .endOfStream: throw died()
            case .timedOut:
                throw timedOut(what, after: timeout)
            case .malformed(let why): throw refuse("frame: " + why)
            case .io: kill(); throw BridgeError("\(label): the Python worker (pid \(pid)): \(e); it was killed")
            }
        }
        guard frame.code == 0 else { throw pythonError(frame.payload) }
        return frame.payload
    }

    /// The Python exception of an error response: "type: message (file:line)".
    private func pythonError(_ payload: UnsafeRawBufferPointer) -> BridgeError {
        failed = true
        struct Reply: Decodable { var type: String; var message: String; var file: String?; var line: Int? }
        guard let r = try? JSONDecoder().decode(Reply.self, from: Data(payload)) else {
            return refuse("frame: an error response that is not the agreed JSON")
        }
        let place = r.file.map { " at \($0)" + (r.line.map { ":\($0)" } ?? "") } ?? ""
        return BridgeError("\(label): Python raised \(r.type): \(r.message)\(place)")
    }

    /// Kills the worker for sending what the protocol does not allow (`what`: "frame: …", "answer: …").
    func refuse(_ what: String) -> BridgeError {
        kill()
        return BridgeError("\(label): the Python worker (pid \(pid)) sent a malformed \(what); it was killed")
    }

    /// Kills the worker for not answering a `what` request within `timeout` seconds.
    private func timedOut(_ what: Request, after timeout: Double) -> BridgeError {
        kill()
        let limit = timeout == timeout.rounded() ? "\(Int(timeout)) s" : String(format: "%.3g s", timeout)
        return BridgeError("\(label): the Python worker (pid \(pid)) did not answer a \(what) request within \(limit) (the per-call wall clock, --max-seconds); it was killed" + stderrTail())
    }

    /// The message for a worker that is gone, with how it ended and the end of what it wrote to stderr.
    private func died() -> BridgeError {
        failed = true
        let how: String
        switch reap(wait: 1.0) {
        case let s? where s & 0x7f == 0: how = "exited with status \((s >> 8) & 0xff)"
        case let s?: how = "was killed by signal \(s & 0x7f)" + (s & 0x7f == SIGKILL ? " (SIGKILL)" : "")
        case nil: kill(); how = "closed its pipe"
        }
        return BridgeError("\(label): the Python worker (pid \(pid)) \(how) in the middle of a call" + stderrTail())
    }

    /// The last lines the worker wrote to stderr, as "; its stderr ended: …" (empty when none).
    public func stderrTail(limit: Int = 1500) -> String {
        guard stderrFile >= 0 else { return "" }
        let size = Int(lseek(stderrFile, 0, SEEK_END))
        guard size > stderrStart else { return "" }
        let count = min(size - stderrStart, limit)
        var bytes = [UInt8](repeating: 0, count: count)
        let n = pread(stderrFile, &bytes, count, off_t(size - count))
        guard n > 0 else { return "" }
        let text = String(decoding: bytes[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? "" : "; its stderr ended:\n" + text.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n")
    }

    // MARK: Ending

    /// Waits up to `wait` seconds for the worker to exit; its wait status, or nil if it still runs.
    @discardableResult
    private func reap(wait: Double) -> Int32? {
        if let exited { return exited }
        let deadline = Date().addingTimeInterval(wait)
        while true {
            var status: Int32 = 0
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { exited = status; return status }
            if r < 0 && errno != EINTR { exited = 0; return 0 }
            if Date() >= deadline { return nil }
            usleep(2_000)
        }
    }

    /// Kills the worker (SIGKILL) and reaps it.
    public func kill() {
        failed = true
        guard exited == nil else { return }
        _ = Glibc.kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        exited = status
    }

    /// Asks the worker to close its environment and exit; kills it if it has not within a second.
    public func close() {
        guard !closed else { return }
        closed = true
        if exited == nil {
            announceFrame()
            request.storeBytes(of: Request.close.rawValue, as: UInt8.self)
            request.storeBytes(of: UInt32(0), toByteOffset: 1, as: UInt32.self)
            _ = Glibc.send(socket, request, 5, Int32(MSG_NOSIGNAL))
        }
        Glibc.close(socket)
        if reap(wait: 1.0) == nil { kill() }
        if stderrFile >= 0 { Glibc.close(stderrFile) }
    }
}

/// How long to spin before sleeping, adapted to how waits end (the worker's loop does the same): an answer
/// while spinning restores the whole budget; a sleep halves it, down to nothing when the other side keeps
/// being late (a busy machine, where spinning would only take its core); from nothing, every 32nd wait
/// tries an eighth of the budget again.
struct SpinBudget {
    let maximum: Int64
    private(set) var current: Int64
    private var waits: UInt32 = 0

    init(maximum: Int64) { self.maximum = max(0, maximum); current = self.maximum }

    mutating func next() -> Int64 {
        waits &+= 1
        return current == 0 && waits % 32 == 0 ? maximum / 8 : current
    }

    mutating func record(answeredSpinning: Bool) {
        if answeredSpinning { current = maximum; return }
        current = current / 2 < maximum / 64 ? 0 : current / 2
    }
}
