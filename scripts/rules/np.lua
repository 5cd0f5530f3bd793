-- Node perturbation (Williams 1992; Fiete & Seung 2006), the Lua twin of `np`:
-- RMHL with the step divided by σ², so that lr is on the scale of a gradient step.

local noisy, trace, sigma, every_step, noise   -- noise: the forward options, made in setup

return rule {
  name = "np",
  summary = "node perturbation: lr/σ² · δ · ξ ⊗ x̃ (Lua)",
  params = {
    lr = { 1e-3, min = 0, help = "learning rate η" },
    sigma = { 0.1, above = 0, help = "standard deviation σ of the node noise" },
    gamma = { 0.66, min = 0, max = 1, help = "reward-average rate γ" },
  },
  env = "cartpole",
  defaults = {
    cartpole = { hidden = 64, episodes = 20000 },
    acrobot = { hidden = 64, episodes = 8000 },
    reaching = { hidden = 128, episodes = 1000 },
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
    local gain = ctx.params.lr / (sigma * sigma)
    if every_step then
      ctx.net:add_noise_outer(noisy, gain * rpe)
    else
      ctx.net:add(trace, gain * rpe)
      trace:zero()
    end
  end,
}
