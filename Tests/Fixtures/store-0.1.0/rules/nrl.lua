-- NRL: noise-based reward-modulated learning, the Lua twin of the builtin rule `nrl`.
-- Each step: a clean pass and a noisy pass (node noise on every layer); the action comes from the
-- clean policy; dp = log π̃(a) − log π(a).
--   delayed tasks:   trace += dp · ξ/‖ξ‖² ⊗ x̃ every step;  W += lr · δ · trace at the episode's end
--   immediate tasks: W += lr · δ · dp · ξ_l/‖ξ_l‖² ⊗ x_l every step (layer's own norm, clean input)

local clean, noisy, trace      -- passes and trace, made in setup
local every_step, dp           -- per-run setting, and the last step's dp
local both, delayed, immediate, applied   -- option tables, made once in setup

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
    every_step = ctx.learns_every_step
    local p = ctx.params
    both = { sigma = p.sigma, noisy = noisy }                     -- clean into `clean`, noisy into `noisy`
    delayed = { norm = "network" }                                -- ξ/‖ξ‖², inputs of the noisy pass
    immediate = { inputs = clean, norm = "layer", scaling = p.scaling }   -- ξ_l/‖ξ_l‖², clean inputs
    applied = { scaling = p.scaling }
  end,

  act = function(ctx, obs)
    ctx.net:forward(obs, clean, both)            -- the clean and the noisy pass
    local a = clean:sample()                     -- act on the clean policy
    dp = noisy:logp(a, clean)                    -- log π̃(a) − log π(a)
    if not every_step then trace:add_noise_outer(noisy, dp, delayed) end
    return a
  end,

  learn = function(ctx, rpe)
    local p = ctx.params
    if every_step then
      ctx.net:add_noise_outer(noisy, p.lr * rpe * dp, immediate)
    else
      ctx.net:add(trace, p.lr * rpe, applied)
      trace:zero()
    end
  end,
}
