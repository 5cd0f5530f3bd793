-- The experiment whose results store (v010.sqlite) was written by a real nrlhost 0.1.0 build
-- (commit 33b51ef, run from this folder: nrlhost compare experiment.lua --store v010.sqlite).
-- Tests open it with the current nrlhost: migrated, reported, compared on top.
return experiment {
  name = "fixture-v010",
  rules = { "bp", "rules/nrl.lua" },
  envs = { "cartpole" },
  seeds = { 1, 2 },
  episodes = 20,
}
