-- Oja-normalised RMHL: a three-factor Hebbian rule (post × pre × reward) with Oja's decay.
--
-- RMHL's Hebbian term pairs each unit's injected noise (post) with its noisy input (pre); the
-- reward prediction error δ (the third factor) decides the sign. Plain RMHL lets weights grow
-- without bound; Oja's rule (Δw_ij = y_i (x_j − y_i w_ij)) adds a decay proportional to the
-- post-synaptic power, which keeps each unit's weight vector near unit norm:
--   every step:        e += ξ ⊗ x̃,        s_l += ξ_l ⊙ ξ_l         (per layer)
--   episode's end:     W += η · δ · e  −  α · (s ⊗ 1) ⊙ W,      e ← 0, s ← 0
-- (W is fixed within an episode, so Σ_t ξ_i(t)² w_ij = s_i w_ij: the decay is exact.)
-- Not a gradient method: nothing here estimates ∇ log π. With α = 0 it is the builtin `rmhl`
-- exactly (a test checks the returns are identical).
-- Delayed-reward tasks (CartPole, Acrobot).
--   nrlhost run scripts/research/oja_rmhl.lua --seed 1

local noisy, trace, decay, power, ones, square, options
local layers

return rule {
  name = "oja_rmhl",
  summary = "reward-modulated Hebbian learning with Oja's normalising decay",
  params = {
    lr = { 1e-2, min = 0, help = "learning rate η" },
    sigma = { 1e-1, above = 0, help = "standard deviation σ of the node noise" },
    gamma = { 0.66, min = 0, max = 1, help = "reward-average rate γ" },
    alpha = { 1e-4, min = 0, help = "Oja decay rate α (0: rmhl)" },
  },
  env = "cartpole",
  learns = "episode",
  defaults = {
    cartpole = { hidden = 64, episodes = 20000 },
    acrobot = { lr = 5e-2, sigma = 1e-3, hidden = 64, episodes = 8000 },
  },

  setup = function(ctx)
    noisy, trace, decay = ctx.net:pass(), ctx.net:zeros(), ctx.net:zeros()
    options = { sigma = ctx.params.sigma }
    local n = ctx.net:sizes()
    layers = #n - 1
    power, ones, square = {}, {}, {}
    for l = 1, layers do
      power[l] = nrl.vector(n[l + 1])     -- s_l: Σ_t ξ_l²
      square[l] = nrl.vector(n[l + 1])
      ones[l] = nrl.vector(n[l], 1)
    end
  end,

  act = function(ctx, obs)
    ctx.net:forward(obs, noisy, options)
    trace:add_noise_outer(noisy)
    if ctx.params.alpha > 0 then
      for l = 1, layers do power[l]:add(square[l]:set(noisy:noise(l)):square()) end
    end
    return noisy:sample()
  end,

  learn = function(ctx, rpe)
    local p = ctx.params
    ctx.net:add(trace, p.lr * rpe)
    trace:zero()
    if p.alpha > 0 then
      decay:zero()
      for l = 1, layers do
        decay:add_outer(l, power[l], ones[l])
        power[l]:zero()
      end
      ctx.net:add(decay:mul(ctx.net), -p.alpha)    -- W −= α (s ⊗ 1) ⊙ W
    end
  end,
}
