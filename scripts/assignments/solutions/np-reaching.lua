-- Instructor solution of np-reaching (keep it away from students). The Lua twin of `np`
-- (scripts/rules/np.lua) with its step every step, tuned for this assignment.

local noisy, sigma, noise

return rule {
  name = "np-solution",
  params = {
    lr = { 3e-3, min = 0, help = "learning rate η" },
    sigma = { 0.3, above = 0, help = "standard deviation σ of the node noise" },
  },

  setup = function(ctx)
    noisy, sigma = ctx.net:pass(), ctx.params.sigma
    noise = { sigma = sigma }
  end,

  act = function(ctx, obs)
    ctx.net:forward(obs, noisy, noise)
    return noisy:sample()
  end,

  learn = function(ctx, rpe)
    ctx.net:add_noise_outer(noisy, ctx.params.lr / (sigma * sigma) * rpe)
  end,
}
