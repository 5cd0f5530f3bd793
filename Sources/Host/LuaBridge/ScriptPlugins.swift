import NRLCore

extension EnvironmentRegistry {
    /// The builtin environments, environment scripts and Python tasks' names: the names a declaration may use.
    public static func withScripts(limits: ScriptLimits = .standard) -> EnvironmentRegistry {
        var r = EnvironmentRegistry.builtin
        r.add(ScriptEnvironment.provider(limits: limits))
        r.add(PythonTaskName.namesOnly)
        return r
    }
}

extension Plugins {
    /// Adds what scripts offer: environments written in Lua (any name ending in ".lua").
    public mutating func addScriptEnvironments(limits: ScriptLimits) {
        environments.add(ScriptEnvironment.provider(limits: limits))
    }
}

extension Plugins {
    /// These plugins with environment scripts added.
    public func addingScriptEnvironments(limits: ScriptLimits) -> Plugins {
        var p = self
        p.addScriptEnvironments(limits: limits)
        return p
    }
}
