-- NRL with Adam: NRL's gradient estimate, applied by Adam (Kingma & Ba, 2015) instead of plain SGD.
--
-- Every step, NRL's eligibility:   e += Δ · ξ/‖ξ‖² ⊗ x̃,   Δ = log π̃(a) − log π(a)
-- At the episode's end, with the reward prediction error δ and the step count t (episodes):
--   g = δ · e                                   (NRL's ascent direction)
--   m ← β₁ m + (1 − β₁) g,    v ← β₂ v + (1 − β₂) g²
--   W += η · (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε)
-- Adam rescales every weight's step by its own gradient history, so rarely-updated weights of the
-- hidden layer move as fast as the busy output weights.
-- With adam = "off" it is NRL exactly: W += η δ e (a test checks the returns equal the builtin's).
-- Delayed-reward tasks (CartPole, Acrobot).
--   nrlhost run scripts/research/nrl_adam.lua --seed 1

local clean, noisy, trace, m, v, step_, denom
local pair, outer
local t = 0

return rule {
  name = "nrl_adam",
  summary = "NRL's gradient estimate applied with Adam",
  params = {
    lr = { 5e-2, min = 0, help = "learning rate η (Adam: the step size)" },
    sigma = { 1e-3, above = 0, help = "standard deviation σ of the node noise" },
    gamma = { 0.66, min = 0, max = 1, help = "reward-average rate γ" },
    adam = { "on", choices = { "on", "off" }, help = "Adam, or plain SGD (= nrl)" },
    beta1 = { 0.9, min = 0, below = 1, help = "Adam's β₁" },
    beta2 = { 0.999, min = 0, below = 1, help = "Adam's β₂" },
    eps = { 1e-8, above = 0, help = "Adam's ε" },
  },
  env = "cartpole",
  learns = "episode",
  defaults = {
    cartpole = { lr = 1e-3, hidden = 64, episodes = 20000 },
    acrobot = { lr = 1e-3, hidden = 64, episodes = 8000 },
  },

  setup = function(ctx)
    clean, noisy = ctx.net:pass(), ctx.net:pass()
    trace, m, v, step_, denom = ctx.net:zeros(), ctx.net:zeros(), ctx.net:zeros(), ctx.net:zeros(), ctx.net:zeros()
    pair = { noisy = noisy, sigma = ctx.params.sigma }
    outer = { norm = "network" }
    t = 0
  end,

  act = function(ctx, obs)
    ctx.net:forward(obs, clean, pair)
    local a = clean:sample()
    trace:add_noise_outer(noisy, noisy:logp(a, clean), outer)
    return a
  end,

  learn = function(ctx, rpe)
    local p = ctx.params
    if p.adam == "off" then
      ctx.net:add(trace, p.lr * rpe)
      trace:zero()
      return
    end
    t = t + 1
    trace:scale(rpe)                                   -- g = δ e
    m:scale(p.beta1):add(trace, 1 - p.beta1)
    v:scale(p.beta2)
    step_:set(trace):square()
    v:add(step_, 1 - p.beta2)
    denom:set(v):scale(1 / (1 - p.beta2 ^ t)):sqrt():shift(p.eps)
    step_:set(m):div(denom)
    ctx.net:add(step_, p.lr / (1 - p.beta1 ^ t))
    trace:zero()
  end,
}
