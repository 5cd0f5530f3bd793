-- RMHL: reward-modulated Hebbian learning with explicit node noise, the Lua twin of `rmhl`.
-- One noisy pass; the action comes from the noisy policy.
--   delayed tasks:   trace += ξ ⊗ x̃ every step;  W += lr · δ · trace at the episode's end
--   immediate tasks: W += lr · δ · ξ ⊗ x̃ every step

local noisy, trace, sigma, every_step, noise   -- noise: the forward options, made in setup

return rule {
  name = "rmhl",
  summary = "reward-modulated Hebbian learning with explicit node noise (Lua)",
  params = {
    lr = { 5e-2, min = 0, help = "learning rate η" },
    sigma = { 1e-3, above = 0, help = "standard deviation σ of the node noise" },
    gamma = { 0.66, min = 0, max = 1, help = "reward-average rate γ" },
  },
  env = "cartpole",
  defaults = {  -- the paper's Table 2
    cartpole = { lr = 1e-2, sigma = 1e-1, hidden = 64, episodes = 20000 },
    acrobot = { lr = 5e-2, sigma = 1e-3, hidden = 64, episodes = 8000 },
    reaching = { lr = 1e-1, sigma = 1e-1, hidden = 128, episodes = 1000 },
  },

  setup = function(ctx)
    noisy, trace = ctx.net:pass(), ctx.net:zeros()
    sigma, every_step = ctx.params.sigma, ctx.learns_every_step
    noise = { sigma = sigma }
  end,

  act = function(ctx, obs)
    ctx.net:forward(obs, noisy, noise)
    if not every_step then trace:add_noise_outer(noisy) end
    return noisy:sample()
  end,

  learn = function(ctx, rpe)
    local scale = ctx.params.lr * rpe
    if every_step then
      ctx.net:add_noise_outer(noisy, scale)
    else
      ctx.net:add(trace, scale)
      trace:zero()
    end
  end,
}
