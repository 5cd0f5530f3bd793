import Foundation
import NRLCore

/// An environment as a declaration names it.
public struct EnvironmentName: Sendable, Hashable {
    /// As written: "CartPole-v1", "envs/bandit.lua".
    public var written: String
    /// The registry's id ("cartpole"), or an environment script's path resolved against the
    /// declaring file's folder.
    public var canonical: String
}

/// Names and paths in a declaration, resolved one way for every kind of declaration:
/// - an environment name through the registry (an id or any alias, so `cartpole` and `CartPole-v1`
///   are one environment);
/// - a `.lua` path: absolute as written, relative against the folder of the declaring file (not the
///   current directory); the file must exist.
public struct DeclarationResolver: Sendable {
    /// The declaring file.
    public let file: String
    public let folder: URL
    public let environments: EnvironmentRegistry

    public init(declaringFile file: String, environments: EnvironmentRegistry) {
        self.file = file
        folder = URL(fileURLWithPath: file).deletingLastPathComponent()
        self.environments = environments
    }

    /// `written` as a path: absolute as it is, relative against the declaring file's folder.
    public func location(_ written: String) -> String {
        written.hasPrefix("/") ? written : folder.appendingPathComponent(written).standardized.path
    }

    /// The path of an existing file; `path` names the field in the message when there is none.
    public func path(_ written: String, at path: FieldPath) throws -> String {
        let resolved = location(written)
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: resolved, isDirectory: &isFolder), !isFolder.boolValue else {
            if written.hasPrefix("/") { throw path.problem("no such file \"\(written)\"") }
            throw path.problem("no such file \"\(written)\"; relative paths are relative to the declaring file, so it is \(resolved)")
        }
        return resolved
    }

    /// The environment `written` names.
    public func environment(_ written: String, at path: FieldPath) throws -> EnvironmentName {
        if ScriptEnvironment.isScript(written) {
            return EnvironmentName(written: written, canonical: try self.path(written, at: path))
        }
        guard let id = environments.canonicalName(written) else {
            throw path.problem("unknown environment '\(written)'; known: \(environments.knownNames)")
        }
        return EnvironmentName(written: written, canonical: id)
    }

    /// The environments of a list (`envs = { … }` at `path`); one named twice is an error.
    public func environments(_ written: [String], at path: FieldPath) throws -> [EnvironmentName] {
        var result: [EnvironmentName] = []
        for (k, name) in written.enumerated() {
            let env = try environment(name, at: path.item(k + 1))
            if let first = result.first(where: { $0.canonical == env.canonical }) {
                throw path.problem("environment '\(name)' is listed twice (as '\(first.written)' and '\(name)')")
            }
            result.append(env)
        }
        return result
    }

    /// Whether `key` (of a per-environment table) names `env`: its id or an alias, its path as
    /// written or resolved, or a script's file name without ".lua".
    public func key(_ key: String, names env: EnvironmentName) -> Bool {
        if key == env.written || key == env.canonical { return true }
        if ScriptEnvironment.isScript(env.canonical) {
            return location(key) == env.canonical
                || key == URL(fileURLWithPath: env.canonical).deletingPathExtension().lastPathComponent
        }
        return !ScriptEnvironment.isScript(key) && environments.canonicalName(key) == env.canonical
    }

    /// A per-environment value for each of `envs`, by canonical name (absent where a table has no
    /// entry). A key that names none of them, or one named by two keys, is an error.
    public func values<V>(_ value: PerEnvironment<V>, for envs: [EnvironmentName], at path: FieldPath) throws -> [String: V] {
        switch value {
        case .all(let v):
            return Dictionary(uniqueKeysWithValues: envs.map { ($0.canonical, v) })
        case .each(let table):
            var result: [String: V] = [:], keyOf: [String: String] = [:]
            for key in table.keys.sorted() {
                guard let env = envs.first(where: { self.key(key, names: $0) }) else {
                    let listed = envs.map(\.written).joined(separator: ", ")
                    throw path.field(key).problem("'\(key)' is not one of the environments here (\(listed))")
                }
                if let other = keyOf[env.canonical] {
                    throw path.problem("environment '\(env.written)' is listed twice (as '\(other)' and '\(key)')")
                }
                keyOf[env.canonical] = key
                result[env.canonical] = table[key]
            }
            return result
        }
    }
}
