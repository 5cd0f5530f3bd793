/// The names of tasks run in a Python worker: `gym:ID` (Gymnasium) and `neurogym:ID` (NeuroGym). The
/// bridge that runs them is in NRLTools; declarations (rules, assignments) only need to know the names.
public enum PythonTaskName {
    public static let families = ["gym", "neurogym"]

    /// "gym:CartPole-v1" → ("gym", "CartPole-v1"); nil for any other name.
    public static func parse(_ name: String) -> (family: String, id: String)? {
        for family in families where name.hasPrefix(family + ":") {
            let id = String(name.dropFirst(family.count + 1))
            return id.isEmpty ? nil : (family, id)
        }
        return nil
    }

    public static let description = "gym:ID or neurogym:ID (a Gymnasium or NeuroGym task in Python)"

    /// A provider that knows the names but cannot make the tasks, for registries that only check names.
    public static let namesOnly = EnvironmentProvider(description: description, claims: { parse($0) != nil }) { name in
        throw UsageError("'\(name)' runs in a Python worker, which this part of nrlhost does not start")
    }
}
