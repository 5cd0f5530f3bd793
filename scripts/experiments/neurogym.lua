-- Results beyond the paper (issue 12): nrl, bp, rmhl and np on NeuroGym and Gymnasium tasks that nrlhost
-- has no native version of, run in a Python worker (`make python` first, or set NRLHOST_PYTHON).
--   nrlhost check scripts/experiments/neurogym.lua
--   nrlhost compare scripts/experiments/neurogym.lua                 # 140 runs, ≈ 5 min on 2 cores
--   nrlhost report runs/neurogym.sqlite --md beyond-tables.md --svg docs/figures/beyond
-- What the tasks are and what came out: docs/beyond.md.
--
-- The builtin rules' defaults come from the paper's Table 2, which only knows cartpole, acrobot and
-- reaching; on any other environment a rule falls back to its generic default (nrl η = 5e-2, σ = 1e-3;
-- rmhl η = 5e-2, σ = 1e-3; bp η = 5e-3; np η = 1e-3, σ = 0.1). Every value is therefore set here, per group,
-- with the reason:
--
-- * NeuroGym tasks are continuing and trial-based, with a reward at (almost) every step of the size of
--   the paper's Reaching1D (+1 correct, −0.1 abort/fail): rules learn in the per-step (immediate) form,
--   as on Reaching. The only per-step setting the paper tuned is Reaching's row of Table 2, so every
--   NeuroGym task uses it: 1 × 128 hidden units, bp η = 1e-2, nrl η = 1e-2 σ = 1e-3, rmhl η = 0.1 σ = 0.1.
--   np keeps its own defaults (η = 1e-3, σ = 0.1: its step is η/σ² = 0.1), the only ones it has.
-- * Gymnasium's MountainCar-v0 and FrozenLake-v1 are episodic with the return learned at the episode's end
--   (the delayed form). δ = (R − R̄)/|R| does not depend on the reward's scale, so the paper's setting for
--   its other delayed task whose return starts at a floor, Acrobot, is used: 1 × 64, bp η = 5e-3,
--   nrl η = 5e-2 σ = 1e-3, rmhl η = 5e-2 σ = 1e-3; np its defaults.
--
-- Trial/episode counts keep the whole file at about 5 minutes on 2 cores through the worker
-- (≈ 1.5·10⁷ steps, NeuroGym's own step taking most of each): trials per task are in
-- `episodes` below, with the steps they take (measured with a random policy at the default dt = 100 ms).
local seeds = { 1, 2, 3, 4, 5 }

return experiment {
  name = "neurogym",
  seeds = seeds,
  episodes = {
    ["neurogym:PerceptualDecisionMaking-v0"] = 4000,        -- 22 steps a trial:  88k steps
    ["neurogym:GoNogo-v0"] = 3000,                          -- 12 steps a trial:  36k steps
    ["neurogym:DelayMatchSample-v0"] = 4000,                -- 24.5 steps a trial: 98k steps
    ["neurogym:ContextDecisionMaking-v0"] = 4000,           -- 19 steps a trial:  77k steps
    ["neurogym:Reaching1DWithSelfDistraction-v0"] = 1000,   -- 300 steps a trial: 300k steps (the paper's 1,000 trials)
    ["gym:MountainCar-v0"] = 500,                           -- 200 steps an episode (the TimeLimit): 100k steps
    ["gym:FrozenLake-v1"] = 3000,                           -- 8 steps (random) to 100 (the TimeLimit): ≤ 300k
  },
  groups = {
    { name = "neurogym", hidden = 128,
      -- Reaching with self-distraction in the paper's Reaching configuration (dt = 10 ms, no fixation, a
      -- 3,000 ms reach: 300-step trials), so that it compares with the paper's Reaching1D; at its default
      -- (dt = 100, 5 reach steps of 0.05 rad) the policy can hardly move the reward.
      env_params = {
        ["neurogym:Reaching1DWithSelfDistraction-v0"] = { dt = 10, timing = '{"fixation": 0, "reach": 3000}' },
      },
      envs = { "neurogym:PerceptualDecisionMaking-v0", "neurogym:GoNogo-v0", "neurogym:DelayMatchSample-v0",
               "neurogym:ContextDecisionMaking-v0", "neurogym:Reaching1DWithSelfDistraction-v0" },
      rules = {
        { "nrl", label = "nrl", set = { lr = 1e-2, sigma = 1e-3 } },
        { "bp", label = "bp", set = { lr = 1e-2 } },
        { "rmhl", label = "rmhl", set = { lr = 0.1, sigma = 0.1 } },
        { "np", label = "np", set = { lr = 1e-3, sigma = 0.1 } },
      } },
    { name = "gymnasium", hidden = 64,
      envs = { "gym:MountainCar-v0", "gym:FrozenLake-v1" },
      rules = {
        { "nrl", label = "nrl", set = { lr = 5e-2, sigma = 1e-3 } },
        { "bp", label = "bp", set = { lr = 5e-3 } },
        { "rmhl", label = "rmhl", set = { lr = 5e-2, sigma = 1e-3 } },
        { "np", label = "np", set = { lr = 1e-3, sigma = 0.1 } },
      } },
  },
}
