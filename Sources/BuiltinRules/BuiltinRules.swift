import Host

/// The native rules, registered into a host's rule registry.
public enum BuiltinRules {
    public static let descriptors: [RuleDescriptor] = [
        NRL.descriptor, NRLNoisy.descriptor, ExplicitNoiseHebbian.rmhl, Reinforce.descriptor,
        ExplicitNoiseHebbian.nodePerturbation, WeightPerturbation.descriptor,
    ]

    public static func register(into registry: RuleRegistry) {
        for d in descriptors { registry.register(d) }
    }

    /// A registry holding exactly the builtin rules.
    public static func registry() -> RuleRegistry {
        let r = RuleRegistry()
        register(into: r)
        return r
    }
}
