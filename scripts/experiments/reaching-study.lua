-- Claim C3 at the authors' code length: NRL and BP on Reaching1D for 16,666 trials (5·10⁶ steps, the
-- length of the authors' training script), and an η × σ grid for NRL, under the authors' seeding.
--   nrlhost compare scripts/experiments/reaching-study.lua
--   nrlhost report runs/reaching-study.sqlite --md reaching-study.md --svg reaching-figures
-- Results and what they say: docs/reproduction.md, "Reaching at the code's length".
local grid = {}
for _, lr in ipairs { 1e-3, 2e-3, 5e-3, 1e-2, 2e-2, 5e-2 } do
  for _, sigma in ipairs { 1e-4, 1e-3, 1e-2 } do
    grid[#grid + 1] = { "nrl", label = string.format("nrl η=%g σ=%g", lr, sigma), set = { lr = lr, sigma = sigma } }
  end
end

return experiment {
  name = "reaching-study",
  envs = { "reaching" },
  seeds = { 42, 101, 300, 482, 708 },
  protocols = { "authors" },
  episodes = 16666,
  groups = {
    -- The paper's settings (NRL η = 0.01, σ = 1e-3; BP η = 0.01), run for the code's length.
    { name = "length", rules = { "nrl", "bp" } },
    -- NRL's step size and noise.
    { name = "grid", rules = grid },
  },
}
