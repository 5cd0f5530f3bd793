-- Assignment: node perturbation on Reaching (NeuroGym Reaching1D).
-- Students get np-reaching/starter.lua and a copy of this file without the `grading` seeds.
--   nrlhost try   scripts/assignments/np-reaching.lua my_np.lua          (students: practice seeds)
--   nrlhost grade scripts/assignments/np-reaching.lua submissions/*.lua --json grades.json
return assignment {
  name = "np-reaching",
  title = "Node perturbation on Reaching",
  env = "reaching",
  hidden = 64,
  episodes = 300,                     -- trials of 300 steps
  seeds = {
    practice = { 1, 2 },
    grading = { 9101, 9207, 9311 },   -- private: not in the students' copy
  },
  limits = { instructions = 10000000, memory_mb = 64, seconds = 20 },
  scoring = { metric = "final", baseline = 30, pass = 100, full = 200 },   -- 30: about what a non-learning rule gets
  locality = "local",                 -- a noise-based rule: add_gradient is forbidden
}
