import NRLCore
import LuaBridge
import TestSupport
import XCTest

/// The network's passes and the rules' arithmetic against the rule fixtures (Tests/Golden/rules, plus
/// NRL_SHARED's golden/rules; PyTorch autograd,
/// float64). Our networks are Float32, so the README's Float32 tolerances apply: 1e-4 scale-relative,
/// 3e-3 for Δlog π and what is computed from it when σ = 1e-3.
final class NetworkFixtureTests: XCTestCase {
    let tolerance = 1e-4

    /// Every fixture, shipped or added through NRL_SHARED, has a kind some test checks; one of a new
    /// kind fails here rather than going unchecked.
    func testEveryRuleFixtureHasAKnownKind() throws {
        let headers = try RuleFixture.headers()
        XCTAssertGreaterThanOrEqual(headers.filter(\.file.isShipped).count, 20, "the repository ships 20 rule fixtures")
        for (file, header) in headers {
            XCTAssertEqual(header.schema, "nrl-rules-golden-v1", "\(file)")
            XCTAssertTrue(RuleFixture.knownKinds.contains(header.kind),
                          "\(file): kind '\(header.kind)' has no test; new reference data of a new kind needs code (RuleFixture.knownKinds)")
        }
    }

    func testForwardPassesMatchTorch() throws {
        let fixtures = try RuleFixture.all(kind: "forward")
        XCTAssertGreaterThanOrEqual(fixtures.filter(\.file.isShipped).count, 5, "the repository ships 5 forward fixtures")
        for (file, f) in fixtures {
            let name = file.description
            let net = f.network()
            let pass = net.makePass()
            for (k, c) in f.cases!.enumerated() {
                if let noise = c.noise { pass.setNoise(noise) }
                withObservation(c.obs) { pass.compute(net.weights, observation: $0, noisy: c.noise != nil) }
                let label = "\(name) case \(k)"
                for (l, want) in c.pre.enumerated() {
                    XCTAssertLessThan(scaleRelativeError(pass.preActivationArrays()[l], want), tolerance, "\(label) pre \(l)")
                }
                for (l, want) in c.post.enumerated() {
                    XCTAssertLessThan(scaleRelativeError(pass.hiddenOutputArrays()[l], want), tolerance, "\(label) post \(l)")
                }
                XCTAssertLessThan(scaleRelativeError(pass.probabilityArray, c.probs), tolerance, "\(label) probs")
                XCTAssertLessThan(scaleRelativeError(pass.logProbabilityArray, c.log_probs), tolerance, "\(label) log probs")
            }
        }
    }

    /// The shared-first-layer noisy pass is the same arithmetic as a noisy pass computed afresh
    /// (every noisy case of every forward fixture).
    func testNoisyPassSharingTheFirstLayerIsIdentical() throws {
        var noisyCases = 0
        for (file, f) in try RuleFixture.all(kind: "forward") {
            let net = f.network()
            let clean = net.makePass(), direct = net.makePass(), shared = net.makePass()
            for (k, noisyCase) in f.cases!.enumerated() where noisyCase.noise != nil {
                direct.setNoise(noisyCase.noise!)
                shared.setNoise(noisyCase.noise!)
                withObservation(noisyCase.obs) {
                    net.forward($0, into: clean)
                    direct.compute(net.weights, observation: $0, noisy: true)
                }
                shared.computeNoisy(sharingFirstLayerWith: clean, net.weights)
                XCTAssertEqual(direct.preActivationArrays(), shared.preActivationArrays(), "\(file) case \(k)")
                XCTAssertEqual(direct.logProbabilityArray, shared.logProbabilityArray, "\(file) case \(k)")
                noisyCases += 1
            }
        }
        XCTAssertGreaterThan(noisyCases, 0, "the forward fixtures have noisy cases")
    }

    func testReinforceGradientsMatchAutograd() throws {
        let fixtures = try RuleFixture.all(kind: "bp_reinforce")
        XCTAssertGreaterThanOrEqual(fixtures.filter(\.file.isShipped).count, 5, "the repository ships 5 bp_reinforce fixtures")
        for (file, f) in fixtures {
            let name = file.description
            let net = f.network()
            let pass = net.makePass()
            let backprop = Backprop(shape: net.shape)
            let gradient = LayerMatrices(shape: net.shape)
            var logPis: [Double] = []
            for step in f.steps! {
                withObservation(step.obs) { net.forward($0, into: pass) }
                logPis.append(pass.logProbability(of: step.action))
                if let zeros = f.zero_preactivations {
                    for z in zeros where z.t == step.t {
                        XCTAssertEqual(pass.preActivation(z.layer - 1)[z.unit], 0, "\(name) t=\(z.t) exact zero")
                    }
                }
                backprop.addLogProbabilityGradient(pass, weights: net.weights, action: step.action, into: gradient, scale: 1)
            }
            XCTAssertLessThan(scaleRelativeError(logPis, f.steps!.map { $0.log_pi! }), tolerance, name)
            XCTAssertLessThan(worstLayerError(gradient.toArrays(), f.grad!), tolerance, "\(name) gradient")
            if let wrong = f.grad_if_derivative_at_zero_is_slope {
                XCTAssertGreaterThan(worstLayerError(gradient.toArrays(), wrong), 1e-3, "\(name): f′(0) must be 1")
            }
            let inputs = f.rpe_inputs!
            let rpe: Double
            if inputs.form == "episodic" {
                var baseline = EpisodicBaseline(gamma: 0.66, average: inputs.Rbar!)
                rpe = baseline.rpe(forReturn: inputs.R!)
            } else {
                var baseline = StepBaseline(gamma: 0.66)
                _ = baseline.rpe(forReward: inputs.rbar!, trialStart: true)
                rpe = baseline.rpe(forReward: inputs.reward!, trialStart: false)
            }
            XCTAssertEqual(rpe, f.rpe!, accuracy: 1e-15 * max(1, abs(f.rpe!)), name)
            net.weights.add(gradient, scale: f.lr! * rpe, scaling: .paper)
            XCTAssertLessThan(worstLayerError(net.weights.toArrays(), f.weights_after!), tolerance, "\(name) weights after")
        }
    }

    /// Delayed-form NRL (CartPole/Acrobot): trace with the whole-network norm and the noisy input.
    func testDelayedNRLTraceAndUpdate() throws {
        let fixtures = try RuleFixture.all(kind: "nrl_delayed")
        XCTAssertGreaterThanOrEqual(fixtures.filter(\.file.isShipped).count, 4, "the repository ships 4 nrl_delayed fixtures")
        for (file, f) in fixtures {
            let name = file.description
            let loose = f.sigma! < 1e-2 ? 3e-3 : tolerance
            let net = f.network()
            let clean = net.makePass(), noisy = net.makePass()
            let trace = LayerMatrices(shape: net.shape)
            var dps: [Double] = [], norms: [Double] = [], cleanLogs: [Double] = [], noisyLogs: [Double] = []
            for step in f.steps! {
                withObservation(step.obs) { net.forward($0, into: clean) }
                noisy.setNoise(step.noise!)
                noisy.computeNoisy(sharingFirstLayerWith: clean, net.weights)
                let dp = noisy.logProbability(of: step.action) - clean.logProbability(of: step.action)
                trace.addNoiseOuterProducts(noiseOf: noisy, inputsOf: noisy, scale: dp, normalization: .network)
                dps.append(dp); norms.append(noisy.noiseSquaredNorm)
                cleanLogs.append(clean.logProbability(of: step.action)); noisyLogs.append(noisy.logProbability(of: step.action))
            }
            let steps = f.steps!
            XCTAssertLessThan(scaleRelativeError(cleanLogs, steps.map { $0.log_pi_clean! }), tolerance, name)
            XCTAssertLessThan(scaleRelativeError(noisyLogs, steps.map { $0.log_pi_noisy! }), tolerance, name)
            XCTAssertLessThan(scaleRelativeError(norms, steps.map { $0.noise_sqnorm! }), tolerance, name)
            XCTAssertLessThan(scaleRelativeError(dps, steps.map { $0.dp! }), loose, "\(name) dp")
            XCTAssertLessThan(worstLayerError(trace.toArrays(), f.trace!), loose, "\(name) trace")

            var baseline = EpisodicBaseline(gamma: 0.66, average: f.Rbar!)
            let rpe = baseline.rpe(forReturn: f.R!)
            XCTAssertEqual(rpe, f.rpe!, accuracy: 1e-15, name)
            XCTAssertEqual(baseline.average!, f.Rbar_after!, accuracy: 1e-12 * abs(f.Rbar_after!), name)

            // The stored weights_after is the fan_out variant: W_l + lr · n_l · rpe · e_l.
            let fanOut = LayerMatrices(shape: net.shape)
            fanOut.copy(from: net.weights)
            fanOut.add(trace, scale: f.lr! * rpe, scaling: .fanOut)
            XCTAssertLessThan(worstLayerError(fanOut.toArrays(), f.weights_after!), loose, "\(name) fan_out weights")

            // The default step has no n_l factor: W_l + lr · rpe · e_l, from the fixture's own trace.
            let expected = zip(f.weights!, f.trace!).map { w, e in zip(w, e).map { wr, er in zip(wr, er).map { $0 + f.lr! * rpe * $1 } } }
            net.weights.add(trace, scale: f.lr! * rpe, scaling: .paper)
            XCTAssertLessThan(worstLayerError(net.weights.toArrays(), expected), loose, "\(name) paper weights")
        }
    }

    /// Continuous-form NRL (Reaching): layer-own norm, clean input, every step.
    func testContinuousNRLSingleStep() throws {
        let fixtures = try RuleFixture.all(kind: "nrl_reaching_step")
        XCTAssertGreaterThanOrEqual(fixtures.filter(\.file.isShipped).count, 1, "the repository ships 1 nrl_reaching_step fixture")
        for (file, f) in fixtures {
            let name = file.description
            let net = f.network()
            let clean = net.makePass(), noisy = net.makePass()
            withObservation(f.obs!) { net.forward($0, into: clean) }
            noisy.setNoise(f.noise!)
            noisy.computeNoisy(sharingFirstLayerWith: clean, net.weights)
            let dp = noisy.logProbability(of: f.action!) - clean.logProbability(of: f.action!)
            XCTAssertEqual(dp, f.dp!, accuracy: 3e-3 * abs(f.dp!), name)
            let norms = (0..<net.shape.layerCount).map { noisy.noiseSquaredNorm(layer: $0) }
            XCTAssertLessThan(scaleRelativeError(norms, f.noise_layer_sqnorms!), tolerance, name)
            let delta = f.reward! - f.rbar!
            XCTAssertEqual(delta, f.delta!, name)
            let update = LayerMatrices(shape: net.shape)
            update.addNoiseOuterProducts(noiseOf: noisy, inputsOf: clean, scale: f.lr! * delta * dp, normalization: .layer)
            XCTAssertLessThan(worstLayerError(update.toArrays(), f.delta_weights!), 3e-3, name)
        }
    }

    func testContinuousNRLSequenceWithTrialBaseline() throws {
        let fixtures = try RuleFixture.all(kind: "nrl_reaching_sequence")
        XCTAssertGreaterThanOrEqual(fixtures.filter(\.file.isShipped).count, 1, "the repository ships 1 nrl_reaching_sequence fixture")
        for (file, f) in fixtures {
            let name = file.description
            let net = f.network()
            let clean = net.makePass(), noisy = net.makePass()
            var baseline = StepBaseline(gamma: f.gamma!)
            var dps: [Double] = [], deltas: [Double] = [], averages: [Double] = []
            for step in f.steps! {
                withObservation(step.obs) { net.forward($0, into: clean) }
                noisy.setNoise(step.noise!)
                noisy.computeNoisy(sharingFirstLayerWith: clean, net.weights)
                let dp = noisy.logProbability(of: step.action) - clean.logProbability(of: step.action)
                let delta = baseline.rpe(forReward: step.reward!, trialStart: step.trial_start!)
                if step.trial_start! { XCTAssertEqual(delta, 0, "\(name): δ is exactly 0 at a trial's start") }
                net.weights.addNoiseOuterProducts(noiseOf: noisy, inputsOf: clean, scale: f.lr! * delta * dp, normalization: .layer)
                dps.append(dp); deltas.append(delta); averages.append(baseline.average)
                let sq = net.weights.toArrays().map { $0.flatMap { $0 }.reduce(0) { $0 + $1 * $1 } }
                XCTAssertLessThan(scaleRelativeError(sq, step.weights_sqnorm_after!), tolerance, "\(name) t=\(step.t)")
            }
            XCTAssertLessThan(scaleRelativeError(deltas, f.steps!.map { $0.delta! }), 1e-12, name)
            XCTAssertLessThan(scaleRelativeError(averages, f.steps!.map { $0.rbar_after! }), 1e-12, name)
            XCTAssertLessThan(scaleRelativeError(dps, f.steps!.map { $0.dp! }), tolerance, name)
            XCTAssertLessThan(worstLayerError(net.weights.toArrays(), f.weights_final!), tolerance, name)
        }
    }

    /// Explicit-noise RMHL: Σ ξ x̃ᵀ over one noisy pass per step.
    func testRMHLTraceAndUpdate() throws {
        let fixtures = try RuleFixture.all(kind: "rmhl_delayed")
        XCTAssertGreaterThanOrEqual(fixtures.filter(\.file.isShipped).count, 2, "the repository ships 2 rmhl_delayed fixtures")
        for (file, f) in fixtures {
            let name = file.description
            let net = f.network()
            let noisy = net.makePass()
            let trace = LayerMatrices(shape: net.shape)
            for step in f.steps! {
                noisy.setNoise(step.noise!)
                withObservation(step.obs) { noisy.compute(net.weights, observation: $0, noisy: true) }
                XCTAssertLessThan(scaleRelativeError(noisy.probabilityArray, step.noisy_probs!), tolerance, "\(name) t=\(step.t)")
                trace.addNoiseOuterProducts(noiseOf: noisy, inputsOf: noisy, scale: 1)
            }
            XCTAssertLessThan(worstLayerError(trace.toArrays(), f.trace!), tolerance, "\(name) trace")
            var baseline = EpisodicBaseline(gamma: 0.66, average: f.Rbar!)
            let rpe = baseline.rpe(forReturn: f.R!)
            XCTAssertEqual(rpe, f.rpe!, accuracy: 1e-15)
            net.weights.add(trace, scale: f.lr! * rpe, scaling: .paper)
            XCTAssertLessThan(worstLayerError(net.weights.toArrays(), f.weights_after!), tolerance, "\(name) weights after")
        }
    }
}
