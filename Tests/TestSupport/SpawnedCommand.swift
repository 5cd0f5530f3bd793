import Foundation

/// A command run to its end with posix_spawn and waitpid, its output through files rather than pipes.
/// For commands that leave daemons behind (tools/slurm-test-cluster.sh): those would hold a pipe open,
/// and Foundation's Process was seen not to notice such a script's end (waitUntilExit hung, the shell a
/// zombie).
public enum SpawnedCommand {
    /// Runs `executable arguments…` (a path, or a name looked up on the PATH) with `environment`
    /// (default: this process's).
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> CommandResult {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("nrlhost-output-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let outPath = folder.appendingPathComponent("stdout").path, errPath = folder.appendingPathComponent("stderr").path
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, executable, &actions, nil, argv, envp)
        guard spawned == 0 else { throw SpawnError(description: "cannot start \(executable): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let signal = status & 0x7F
        return CommandResult(status: signal == 0 ? (status >> 8) & 0xFF : 128 + signal,
                             stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
                             stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
    }

    public struct SpawnError: Error, CustomStringConvertible {
        public let description: String
    }
}
