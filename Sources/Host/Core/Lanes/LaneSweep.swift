import Foundation

/// Trains a batch of runs that share rule, environment, shape and parameters in SIMD lanes, on
/// `threads` threads each with its own engine, pulling runs from one queue. Every run's episodes and
/// final weights have the bits the single-run `Trainer` gives for its spec, whatever the width,
/// thread or batch. Width 1 is the single-run path itself (`Session` + `Trainer`), run by run.
public struct LaneSweep {
    public let specs: [RunSpec]
    public let width: Int
    public let threads: Int
    /// For the single-run path (width 1, or a rule or form without generic lanes code where no compiled kernel
    /// runs): the rules and environments.
    public let plugins: Plugins?
    /// The compiled kernels to use where the CPU runs them (`CompiledLaneKernel`); nil: the generic Swift
    /// code. The same bits either way.
    public let kernels: CompiledLaneKernel.InstructionSet?

    public init(specs: [RunSpec], width: Int = LaneWidthChoice.width(), threads: Int = 1, plugins: Plugins? = nil,
                kernels: CompiledLaneKernel.InstructionSet? = CompiledLaneKernel.available) {
        precondition(LaneWidthChoice.supported.contains(width), "lane width \(width) is not one of \(LaneWidthChoice.supported)")
        precondition(specs.allSatisfy(LaneSupport.supports), "the lanes engine does not support every spec of this batch")
        precondition(Set(specs.map(LaneSupport.batchKey)).count <= 1, "a lanes batch shares rule, environment, shape and parameters")
        self.specs = specs
        self.width = width
        self.threads = max(1, threads)
        self.plugins = plugins
        self.kernels = kernels
    }

    /// Trains every run; `onEpisode(run, record)` and `onFinish(run, outcome)` (run: index into `specs`)
    /// are called from the training threads as episodes and runs end. `shouldStop` (asked every 1024
    /// steps, between runs on the single-run path) ends the sweep early; unfinished runs report nothing more.
    public func run(onEpisode: @escaping @Sendable (Int, EpisodeRecord) -> Void,
                    onFinish: @escaping @Sendable (Int, LaneRunOutcome) -> Void,
                    shouldStop: @escaping @Sendable () -> Bool = { false }) throws {
        let queue = LaneRunQueue(specs)
        let width = self.width, plugins = self.plugins, kernels = self.kernels
        let failure = Locked<Error?>(nil)
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            do {
                try Self.train(queue, width: width, plugins: plugins, kernels: kernels, onEpisode: onEpisode, onFinish: onFinish, shouldStop: shouldStop)
            } catch {
                _ = failure.exchange(error)
            }
        }
        if let error = failure.exchange(nil) { throw error }
    }

    /// One engine of `width` lanes on this thread, training runs from `queue` (which other threads may
    /// share) until it is empty or `shouldStop` says so. `onStart(run)` is called as a run takes a lane.
    /// Every spec of the queue must be supported (`LaneSupport.supports`) and share one batch key.
    public static func train(_ queue: LaneRunQueue, width: Int, plugins: Plugins?,
                             kernels: CompiledLaneKernel.InstructionSet? = CompiledLaneKernel.available,
                             onStart: (Int) -> Void = { _ in },
                             onEpisode: (Int, EpisodeRecord) -> Void, onFinish: (Int, LaneRunOutcome) -> Void,
                             shouldStop: @escaping () -> Bool = { false }) throws {
        guard let template = queue.specs.first else { return }
        let registration = try EnvironmentRegistry.builtin.registration(template.environment)
        let info = registration.info
        let shape = NetworkShape(inputs: info.observationSize, hidden: template.hidden, layers: template.layers,
                                 outputs: info.actionCount)
        let gamma: Double
        switch template.parameters["gamma"] {
        case .real(let v)?: gamma = v
        case .integer(let v)?: gamma = Double(v)
        default: gamma = 0.66
        }
        func train<R: LaneRule>(_ rule: R) throws {
            let environment = try LaneEnvironments<R.Width>(registration, parameters: template.environmentParameters)
            try LaneTrainer(queue: queue, rule: rule, environment: environment, gamma: gamma)
                .run(onStart: onStart, onEpisode: onEpisode, onFinish: onFinish, shouldStop: shouldStop)
        }
        /// Trains the batch's rule in lanes of width W; false when no engine of that width computes it.
        /// (Concrete rule types all the way down, so that the generic code is specialised for each width.)
        func train<W: LaneWidth>(_: W.Type) throws -> Bool {
            let immediate = info.rewardTiming == .immediate
            switch template.rule {
            case "bp":
                guard let kernel = CompiledLaneKernel.bpStep(width: W.count, set: kernels) else { return false }
                try train(LaneBP<W>(shape: shape, parameters: template.parameters, kernel: kernel, immediate: immediate))
            case "rmhl", "np":
                guard let kernel = CompiledLaneKernel.hebbianStep(width: W.count, set: kernels) else { return false }
                try train(LaneHebbian<W>(shape: shape, parameters: template.parameters,
                                         dividesBySigmaSquared: template.rule == "np", kernel: kernel, immediate: immediate))
            default:
                let rule = LaneNRL<W>(shape: shape, parameters: template.parameters, kernels: kernels, immediate: immediate)
                guard rule.hasKernel || !immediate else { return false }
                try train(rule)
            }
            return true
        }
        let trained = switch width {
        case 16: try train(SixteenLanes.self)
        case 8: try train(EightLanes.self)
        case 4: try train(FourLanes.self)
        default: false
        }
        if !trained {
            try runSingly(queue, plugins: plugins, onStart: onStart, onEpisode: onEpisode, onFinish: onFinish, shouldStop: shouldStop)
        }
    }

    /// The single-run path, one run after another from the queue.
    private static func runSingly(_ queue: LaneRunQueue, plugins: Plugins?, onStart: (Int) -> Void,
                                  onEpisode: (Int, EpisodeRecord) -> Void, onFinish: (Int, LaneRunOutcome) -> Void,
                                  shouldStop: @escaping () -> Bool) throws {
        guard let plugins else { throw UsageError("the single-run path (lane width 1, or a rule without a compiled kernel) needs the plugins") }
        while !shouldStop(), let r = queue.take() {
            onStart(r)
            var outcome = LaneRunOutcome(episodesCompleted: 0, steps: 0, finalPerformance: nil, finalWeights: [], error: nil)
            var recent = RecentReturns(capacity: 50)
            do {
                let session = try Session(spec: queue.specs[r], plugins: plugins)
                let trainer = Trainer(session: session)
                trainer.shouldStop = shouldStop
                defer {
                    outcome.finalWeights = Array(UnsafeBufferPointer(start: session.network.weights.values,
                                                                     count: session.network.weights.count))
                }
                let summary = try trainer.run { record in
                    outcome.episodesCompleted = record.episode
                    outcome.steps += record.length
                    recent.add(record.totalReward)
                    onEpisode(r, record)
                }
                if summary.interrupted { return }
            } catch {
                outcome.error = error
            }
            outcome.finalPerformance = recent.mean
            onFinish(r, outcome)
        }
    }
}
