-- The paper's experiments (García Fernández, Ahmad & van Gerven, "Noise-based reward-modulated
-- learning"), with its Table 2 settings and episode counts, under two seeding protocols:
--   "authors": the initial weights come from seed 42 in every run (as the authors' code does);
--              the run seed drives the environment, the noise and the actions
--   "per-run": the initial weights come from the run's own seed
--
--   nrlhost compare scripts/experiments/paper.lua
--   nrlhost report runs/paper.sqlite --md docs/reproduction-tables.md --svg docs/figures --html paper.html
return experiment {
  name = "paper",
  seeds = { 42, 101, 300, 482, 708 },
  protocols = { "authors", "per-run" },
  groups = {
    -- Figure 1: NRL ≈ BP ≫ RMHL on three tasks, one hidden layer (64 units; 128 on Reaching).
    { name = "fig1", rules = { "nrl", "bp", "rmhl" }, envs = { "reaching", "acrobot", "cartpole" } },
    -- Figures 2–3: deeper networks.
    { name = "depth", rules = { "nrl", "bp", "rmhl" }, envs = { "acrobot", "cartpole" }, layers = { 2, 3 } },
    -- Figure 4: the clean pass replaced by the average of K truly noisy passes.
    { name = "noisy", envs = { "acrobot" },
      rules = { { "nrl-noisy", label = "nrl-noisy K=2", set = { passes = 2 } },
                { "nrl-noisy", label = "nrl-noisy K=10", set = { passes = 10 } } } },
    -- The newer public code's n_l step factor.
    { name = "fan_out", envs = { "cartpole", "acrobot" },
      rules = { { "nrl", label = "nrl fan_out", set = { scaling = "fan_out" } } } },
  },
}
