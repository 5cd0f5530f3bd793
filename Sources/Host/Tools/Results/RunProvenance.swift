import NRLCore
import Foundation

/// The machine a run ran on, as run.json and the store record it.
public struct HostDescription: Codable, Equatable, Sendable {
    /// The CPU model ("AMD EPYC 7763 64-Core Processor"), or the architecture when it cannot be read.
    public var cpu: String
    public var cores: Int
    /// The operating system ("Debian GNU/Linux 13 (trixie), Linux 6.8.0").
    public var os: String

    public static let current: HostDescription = {
        HostDescription(cpu: cpuModel() ?? architecture(), cores: ProcessInfo.processInfo.activeProcessorCount, os: system())
    }()

    private static func cpuModel() -> String? {
        #if os(macOS)
        var size = 0
        guard sysctlbyname("machdep.cpu.brand_string", nil, &size, nil, 0) == 0, size > 0 else { return nil }
        var bytes = [CChar](repeating: 0, count: size)
        guard sysctlbyname("machdep.cpu.brand_string", &bytes, &size, nil, 0) == 0 else { return nil }
        return String(cString: bytes)
        #else
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return nil }
        // x86 says "model name", ARM machines often only "Hardware" or "CPU part".
        for key in ["model name", "Hardware", "cpu model", "Processor"] {
            for line in info.split(separator: "\n") where line.hasPrefix(key) {
                if let colon = line.firstIndex(of: ":") {
                    let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                    if !value.isEmpty { return value }
                }
            }
        }
        return nil
        #endif
    }

    private static func architecture() -> String {
        var name = utsname()
        uname(&name)
        return withUnsafeBytes(of: &name.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    private static func system() -> String {
        var name = utsname()
        uname(&name)
        let kernel = withUnsafeBytes(of: &name.sysname) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let release = withUnsafeBytes(of: &name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        var distribution: String?
        if let text = try? String(contentsOfFile: "/etc/os-release", encoding: .utf8) {
            for line in text.split(separator: "\n") where line.hasPrefix("PRETTY_NAME=") {
                distribution = String(line.dropFirst("PRETTY_NAME=".count)).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            }
        }
        return [distribution, "\(kernel) \(release)"].compactMap { $0 }.joined(separator: ", ")
    }
}

/// Who started a run and where: the command line and the host.
public struct RunProvenance: Sendable {
    public var command: [String]
    public var host: HostDescription

    public init(command: [String] = CommandLine.arguments, host: HostDescription = .current) {
        self.command = command
        self.host = host
    }
}

extension Plugins {
    /// The texts of the scripts a spec names, by role ("rule", "environment"), each the one whose
    /// hash the spec holds.
    public func sources(of spec: RunSpec) throws -> [String: ScriptSource] {
        var sources: [String: ScriptSource] = [:]
        if spec.ruleScriptHash != nil, let source = rules.descriptor(named: spec.rule)?.source {
            sources["rule"] = source
        }
        if let hash = spec.environmentScriptHash, let source = try environments.registration(spec.environment).source {
            guard source.hash == hash else {
                throw UsageError("\(source.path) changed while the runs were being planned; run the command again")
            }
            sources["environment"] = source
        }
        return sources
    }
}
