-- The research rules beside the builtins they extend, 5 seeds each:
--   nrlhost compare scripts/research/compare.lua && nrlhost report runs/research.sqlite
-- CartPole (delayed reward): NRL and its variants, and RMHL with Oja's decay, for 10,000 episodes.
-- Reaching (immediate reward): NRL, the actor-critic, and node perturbation with and without a
-- per-action baseline (both at the same η and σ), for the paper's 1,000 trials.
return experiment {
  name = "research",
  seeds = { 1, 2, 3, 4, 5 },
  groups = {
    { name = "cartpole", envs = { "cartpole" }, episodes = 10000,
      rules = { "nrl", "nrl_lambda.lua", "antithetic_nrl.lua", "nrl_adam.lua", "rmhl", "oja_rmhl.lua" } },
    { name = "reaching", envs = { "reaching" }, episodes = 1000,
      rules = { "nrl", "actor_critic.lua",
                { "np", label = "np (η=1e-3, σ=0.03)", set = { lr = 1e-3, sigma = 3e-2 } },
                "np_action_baseline.lua" } },
  },
}
