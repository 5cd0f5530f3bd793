-- Assignment: NRL with an eligibility trace on Acrobot-v1.
-- Students get nrl-acrobot/starter.lua and a copy of this file without the `grading` seeds.
--   nrlhost try   scripts/assignments/nrl-acrobot.lua my_nrl.lua         (students: practice seeds)
--   nrlhost grade scripts/assignments/nrl-acrobot.lua submissions/*.lua --json grades.json
return assignment {
  name = "nrl-acrobot",
  title = "NRL with an eligibility trace on Acrobot",
  env = "acrobot",
  hidden = 64,
  episodes = 600,
  init_seed = 42,                     -- every run starts from the same weights (the authors' protocol)
  seeds = {
    practice = { 1, 2 },
    grading = { 8111, 8219, 8323 },   -- private: not in the students' copy
  },
  limits = { instructions = 10000000, memory_mb = 64, seconds = 30 },
  scoring = { metric = "final", baseline = -500, pass = -200, full = -100 },
  locality = "local",                 -- exact gradients (add_gradient) are forbidden
}
