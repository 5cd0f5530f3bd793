/// The rules and environments a host knows: what the names in a `RunSpec` resolve against.
/// `BuiltinRules` fills in the native rules; the Lua bridge adds script rules and environments.
public struct Plugins: Sendable {
    public var rules: RuleRegistry
    public var environments: EnvironmentRegistry

    public init(rules: RuleRegistry = RuleRegistry(), environments: EnvironmentRegistry = .builtin) {
        self.rules = rules
        self.environments = environments
    }
}
