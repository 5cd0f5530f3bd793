/// The episode loop of `Trainer` for W runs at once, one per lane, each at its own step of its own
/// episode. A lane whose run has done all its episodes takes the next run from the queue; when the
/// queue is empty it idles (the rule still computes its lane, but its environment stands still and
/// nothing of it is used).
/// Supports what `LaneSupport` admits: native rules on builtin tasks, learning once per episode (delayed
/// reward) or after every step (immediate reward; a continuing task's episodes are its trials).
final class LaneTrainer<R: LaneRule> {
    typealias L = R.Width

    private let queue: LaneRunQueue
    private let rule: R
    private let environment: LaneEnvironments<L>
    private let gamma: Double
    private let immediate: Bool
    private let continuing: Bool
    /// Where the environments write the next observations; copied into the rule's input before it acts, so
    /// that an immediate task's learning still sees the inputs the step was computed from.
    private let observation: UnsafeMutablePointer<L.Floats>
    private let observationSize: Int

    /// Per lane: the run it trains (nil: idle) and where that run is.
    private var run: [Int?]
    private var episode: [Int]
    private var episodeCount: [Int]
    private var total: [Double]
    private var length: [Int]
    private var steps: [Int]
    private var baseline: [EpisodicBaseline]
    private var recent: [RecentReturns]
    /// Immediate tasks: the per-step baseline, whether it restarts at the next step, and this step's δ.
    private var stepBaseline: [StepBaseline]
    private var restartsBaseline: [Bool]
    private let rpe: UnsafeMutablePointer<Double>

    init(queue: LaneRunQueue, rule: R, environment: LaneEnvironments<L>, gamma: Double) {
        self.queue = queue
        self.environment = environment
        self.gamma = gamma
        self.rule = rule
        immediate = environment.info.rewardTiming == .immediate
        continuing = environment.info.continuing
        observationSize = environment.info.observationSize
        observation = .allocate(capacity: observationSize)
        observation.initialize(repeating: L.Floats(), count: observationSize)
        let w = L.count
        rpe = .allocate(capacity: w)
        rpe.initialize(repeating: 0, count: w)
        stepBaseline = Array(repeating: StepBaseline(gamma: gamma), count: w)
        restartsBaseline = Array(repeating: true, count: w)
        run = Array(repeating: nil, count: w)
        episode = Array(repeating: 0, count: w)
        episodeCount = Array(repeating: 0, count: w)
        total = Array(repeating: 0, count: w)
        length = Array(repeating: 0, count: w)
        steps = Array(repeating: 0, count: w)
        baseline = Array(repeating: EpisodicBaseline(gamma: gamma), count: w)
        recent = Array(repeating: RecentReturns(capacity: 50), count: w)
    }

    deinit { observation.deallocate(); rpe.deallocate() }

    /// Trains runs from the queue until it is empty and every lane has finished, or until `shouldStop`
    /// (asked every 1024 steps) says so; runs cut short then report nothing more.
    func run(onStart: (Int) -> Void = { _ in }, onEpisode: (Int, EpisodeRecord) -> Void,
             onFinish: (Int, LaneRunOutcome) -> Void, shouldStop: () -> Bool = { false }) throws {
        let actions = UnsafeMutablePointer<Int>.allocate(capacity: L.count)
        let ended = UnsafeMutablePointer<Int>.allocate(capacity: L.count)
        defer { actions.deallocate(); ended.deallocate() }
        actions.initialize(repeating: 0, count: L.count)
        var active = 0
        for k in 0..<L.count where try startNextRun(lane: k, onStart: onStart) { active += 1 }
        var sinceCheck = 0
        while active > 0 {
            sinceCheck &+= 1
            if sinceCheck == 1024 {
                sinceCheck = 0
                if shouldStop() { return }
            }
            rule.observation.update(from: observation, count: observationSize)
            rule.act(actions)
            var endedCount = 0
            for k in 0..<L.count {
                guard run[k] != nil else { rpe[k] = 0; continue }
                let (reward, ends) = try environment.step(lane: k, action: actions[k], observation: observation)
                total[k] += reward
                length[k] += 1
                if immediate {
                    rpe[k] = stepBaseline[k].rpe(forReward: reward, trialStart: restartsBaseline[k])
                    restartsBaseline[k] = false
                }
                if ends { ended[endedCount] = k; endedCount += 1 }
            }
            if immediate { rule.learnEveryLane(rpe: rpe) }
            for e in 0..<endedCount {
                let k = ended[e]
                if finishEpisode(lane: k, run: run[k]!, onEpisode: onEpisode, onFinish: onFinish) {
                    if try !startNextRun(lane: k, onStart: onStart) { active -= 1 }
                } else if continuing {
                    restartsBaseline[k] = true
                } else {
                    try environment.reset(lane: k, observation: observation)
                }
            }
        }
    }

    /// Lane k takes the next run from the queue; false when there is none (the lane idles).
    private func startNextRun(lane k: Int, onStart: (Int) -> Void) throws -> Bool {
        guard let r = queue.take() else { run[k] = nil; return false }
        onStart(r)
        let spec = queue.specs[r]
        run[k] = r
        episode[k] = 1
        episodeCount[k] = max(1, spec.episodes)
        total[k] = 0; length[k] = 0; steps[k] = 0
        baseline[k] = EpisodicBaseline(gamma: gamma)
        stepBaseline[k] = StepBaseline(gamma: gamma)
        restartsBaseline[k] = true
        recent[k] = RecentReturns(capacity: 50)
        rule.start(lane: k, seed: spec.seed, initSeed: spec.initSeed)
        try environment.start(lane: k, seed: spec.seed)
        try environment.reset(lane: k, observation: observation)
        return true
    }

    /// Lane k's episode ended: learn from the return's error (delayed tasks), report the episode; true when the
    /// run is over.
    private func finishEpisode(lane k: Int, run r: Int, onEpisode: (Int, EpisodeRecord) -> Void,
                               onFinish: (Int, LaneRunOutcome) -> Void) -> Bool {
        if !immediate { rule.learn(lane: k, rpe: baseline[k].rpe(forReturn: total[k])) }
        steps[k] += length[k]
        recent[k].add(total[k])
        onEpisode(r, EpisodeRecord(episode: episode[k], totalReward: total[k], length: length[k]))
        var error: TrainingError?
        if !total[k].isFinite {
            error = .nonFinite(episode: episode[k], what: "return")
        } else if !rule.weights.laneIsFinite(k) {
            error = .nonFinite(episode: episode[k], what: "weights")
        }
        if error.map({ _ in false }) ?? true, episode[k] < episodeCount[k] {
            episode[k] += 1
            total[k] = 0
            length[k] = 0
            return false
        }
        onFinish(r, LaneRunOutcome(episodesCompleted: episode[k], steps: steps[k], finalPerformance: recent[k].mean,
                                   finalWeights: rule.weights.lane(k), error: error))
        return true
    }
}
