-- Weight perturbation (Jabri & Flower 1992; Cauwenberghs 1993), the Lua twin of `wp`:
-- ψ ~ N(0, σ²) for every weight, held for an episode (drawn every step on immediate tasks);
-- act with W + ψ; then W += lr/σ² · δ · ψ.

local psi, perturbed, pass, sigma, every_step

local function perturb(ctx)
  psi:fill_normal(sigma)
  perturbed:set(ctx.net)
  perturbed:add(psi, 1)
end

return rule {
  name = "wp",
  summary = "weight perturbation: act with W + ψ, then lr/σ² · δ · ψ (Lua)",
  params = {
    lr = { 1e-3, min = 0, help = "learning rate η" },
    sigma = { 0.1, above = 0, help = "standard deviation σ of the weight perturbation ψ" },
    gamma = { 0.66, min = 0, max = 1, help = "reward-average rate γ" },
  },
  env = "cartpole",
  defaults = {
    cartpole = { hidden = 64, episodes = 20000 },
    acrobot = { hidden = 64, episodes = 8000 },
    reaching = { hidden = 128, episodes = 1000 },
  },

  setup = function(ctx)
    psi, perturbed, pass = ctx.net:zeros(), ctx.net:zeros(), ctx.net:pass()
    sigma, every_step = ctx.params.sigma, ctx.learns_every_step
  end,

  begin_episode = function(ctx)
    if not every_step then perturb(ctx) end
  end,

  act = function(ctx, obs)
    if every_step then perturb(ctx) end
    perturbed:forward(obs, pass)
    return pass:sample()
  end,

  learn = function(ctx, rpe)
    ctx.net:add(psi, ctx.params.lr / (sigma * sigma) * rpe)
  end,
}
