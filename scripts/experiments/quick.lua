-- A small comparison that finishes in seconds: NRL, BP and RMHL on CartPole, 3 seeds, 300 episodes.
--   nrlhost compare scripts/experiments/quick.lua && nrlhost report runs/quick.sqlite --html quick.html
return experiment {
  name = "quick",
  rules = { "nrl", "bp", "rmhl" },
  envs = { "cartpole" },
  seeds = { 1, 2, 3 },
  episodes = 300,
}
