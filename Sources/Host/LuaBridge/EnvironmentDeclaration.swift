import NRLCore
import Foundation

/// What an environment script declares (see `ScriptEnvironment`), as decoded by `LuaValueDecoder`:
/// a field it does not have is an error. `reset` and `step` must be functions; the functions
/// themselves are taken from the Lua table.
struct EnvironmentDeclaration: Decodable, DeclarationFieldUsage, DeclarationValidating {
    enum Reward: String, Decodable, CaseIterable {
        case delayed, immediate
    }

    var name: String?
    var observations: Int
    var actions: Int
    var reward: Reward?
    var continuing: Bool?
    var maxSteps: Int?
    var hidden: Int?
    var episodes: Int?
    /// The environment's parameters, in the format of a rule's `params`; `self.params` in the hooks.
    var params: [String: RuleDeclaration.Parameter]?
    var reset: LuaFunctionMarker
    var step: LuaFunctionMarker

    enum CodingKeys: String, CodingKey {
        case name, observations, actions, reward, continuing
        case maxSteps = "max_steps"
        case hidden, episodes, params, reset, step
    }

    static let usage = [
        "observations": "the observation size (an integer)",
        "actions": "the number of actions (an integer)",
        "reset": "function(self, options) returning the first observation",
        "step": "function(self, action) returning obs, reward, terminated, truncated",
        "params": "{ name = default, … }",
    ]

    func validate(at path: FieldPath) throws {
        try path.field("observations").check(observations, in: 1...65_536)
        try path.field("actions").check(actions, in: 1...65_536)
        try path.field("max_steps").check(maxSteps, in: 1...Int(Int32.max))
        try path.field("hidden").check(hidden, in: 1...65_536)
        try path.field("episodes").check(episodes, in: 1...Int(Int32.max))
    }

    /// The facts and run defaults of the environment declared in the file at `path`.
    func summary(path: String) -> ScriptEnvironment.Summary {
        let timing: RewardTiming = reward == .immediate ? .immediate : .delayed
        let info = EnvironmentInfo(name: name ?? URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent,
                                   observationSize: observations, actionCount: actions, rewardTiming: timing,
                                   continuing: continuing ?? false, maxEpisodeSteps: maxSteps)
        let parameters = (params ?? [:]).map { $0.value.spec($0.key) }.sorted { $0.name < $1.name }
        return ScriptEnvironment.Summary(info: info, defaults: EnvironmentDefaults(hidden: hidden, episodes: episodes),
                                         parameters: parameters)
    }
}
