-- NRL: noise-based reward-modulated learning, the Lua twin of the builtin rule `nrl`.
-- Each step: a clean pass and a noisy pass (node noise on every layer); the action comes from the
-- clean policy; dp = log π̃(a) − log π(a).
--   delayed tasks:   trace += dp · ξ/‖ξ‖² ⊗ x̃ every step;  W += lr · δ · trace at the episode's end
--   immediate tasks: W += lr · δ · dp · ξ_l/‖ξ_l‖² ⊗ x_l every step (layer's own norm, clean input)

local clean, noisy, trace      -- passes and trace, made in setup
local sigma, every_step, dp    -- per-run settings, and the last step's dp

return rule {
  name = "nrl",
  summary = "noise-based reward-modulated learning (Lua)",
  params = {
    lr = { 5e-2, min = 0, help = "learning rate η" },
    sigma = { 1e-3, above = 0, help = "standard deviation σ of the node noise" },
    gamma = { 0.66, min = 0, max = 1, help = "reward-average rate γ" },
    scaling = { "paper", choices = { "paper", "fan_out", "unbiased" }, help = "layer step factor" },
  },
  env = "cartpole",
  defaults = {  -- the paper's Table 2
    cartpole = { lr = 5e-2, sigma = 1e-3, hidden = 64, episodes = 20000 },
    acrobot = { lr = 5e-2, sigma = 1e-3, hidden = 64, episodes = 8000 },
    reaching = { lr = 1e-2, sigma = 1e-3, hidden = 128, episodes = 1000 },
  },

  setup = function(ctx)
    clean, noisy, trace = ctx.net:pass(), ctx.net:pass(), ctx.net:zeros()
    sigma, every_step = ctx.params.sigma, ctx.learns_every_step
  end,

  act = function(ctx, obs)
    ctx.net:forward(obs, clean, noisy, sigma)   -- the clean and the noisy pass
    local a = clean:sample()                     -- act on the clean policy
    dp = noisy:logp(a, clean)                    -- log π̃(a) − log π(a)
    if not every_step then trace:add_noise_outer(noisy, dp, noisy, "network") end
    return a
  end,

  learn = function(ctx, rpe)
    local p = ctx.params
    if every_step then
      ctx.net:add_noise_outer(noisy, p.lr * rpe * dp, clean, "layer", p.scaling)
    else
      ctx.net:add(trace, p.lr * rpe, p.scaling)
      trace:zero()
    end
  end,
}
