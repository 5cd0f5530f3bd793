import NRLCore

/// The native rules, registered into a host's rule registry.
public enum BuiltinRules {
    public static let descriptors: [RuleDescriptor] = [
        NRL.descriptor, NRLNoisy.descriptor, ExplicitNoiseHebbian.rmhl, Reinforce.descriptor,
        ExplicitNoiseHebbian.nodePerturbation, WeightPerturbation.descriptor,
    ]

    public static func register(into registry: inout RuleRegistry) {
        for d in descriptors { registry.register(d) }
    }

    /// A registry holding exactly the builtin rules.
    public static func registry() -> RuleRegistry {
        var r = RuleRegistry()
        register(into: &r)
        return r
    }

    /// The builtin rules and environments: what a host starts from before scripts add theirs.
    public static func plugins() -> Plugins { Plugins(rules: registry()) }
}
