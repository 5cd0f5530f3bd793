-- Instructor solution of nrl-acrobot (keep it away from students): NRL's delayed form, as in
-- scripts/nrl.lua, with the step factor of the paper.

local clean, noisy, trace, both, delayed

return rule {
  name = "nrl-solution",
  params = {
    lr = { 5e-2, min = 0, help = "learning rate η" },
    sigma = { 1e-3, above = 0, help = "standard deviation σ of the node noise" },
  },

  setup = function(ctx)
    clean, noisy, trace = ctx.net:pass(), ctx.net:pass(), ctx.net:zeros()
    both = { sigma = ctx.params.sigma, noisy = noisy }   -- forward: clean into `clean`, noisy into `noisy`
    delayed = { norm = "network" }                       -- add_noise_outer: ξ/‖ξ‖²
  end,

  act = function(ctx, obs)
    ctx.net:forward(obs, clean, both)
    local a = clean:sample()
    trace:add_noise_outer(noisy, noisy:logp(a, clean), delayed)
    return a
  end,

  learn = function(ctx, rpe)
    ctx.net:add(trace, ctx.params.lr * rpe)
    trace:zero()
  end,
}
