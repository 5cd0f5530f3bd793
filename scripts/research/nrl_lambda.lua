-- NRL with a decaying eligibility trace (λ).
--
-- Every step:   e ← λ · e + Δ · ξ/‖ξ‖² ⊗ x̃,   Δ = log π̃(a) − log π(a)
-- At the episode's end:   W += η · δ · e,  e ← 0
-- With λ < 1 a step's credit fades with the steps that follow it, so the reward prediction error
-- of an episode is assigned mostly to its last actions — on CartPole, the ones that let the pole
-- fall. The trace spans about 1/(1 − λ) steps.
-- With λ = 1 it is NRL exactly (a test checks the returns equal the builtin's).
-- Delayed-reward tasks (CartPole, Acrobot).
--   nrlhost run scripts/research/nrl_lambda.lua --set lambda=0.99 --seed 1

local clean, noisy, trace
local pair, outer

return rule {
  name = "nrl_lambda",
  summary = "NRL with a decaying eligibility trace e ← λe + Δ ξ/‖ξ‖² ⊗ x̃",
  params = {
    lr = { 5e-2, min = 0, help = "learning rate η" },
    sigma = { 1e-3, above = 0, help = "standard deviation σ of the node noise" },
    gamma = { 0.66, min = 0, max = 1, help = "reward-average rate γ" },
    lambda = { 0.99, min = 0, max = 1, help = "trace decay λ per step (1: NRL)" },
  },
  env = "cartpole",
  learns = "episode",
  defaults = {
    cartpole = { hidden = 64, episodes = 20000 },
    acrobot = { hidden = 64, episodes = 8000 },
  },

  setup = function(ctx)
    clean, noisy, trace = ctx.net:pass(), ctx.net:pass(), ctx.net:zeros()
    pair = { noisy = noisy, sigma = ctx.params.sigma }
    outer = { norm = "network" }
  end,

  act = function(ctx, obs)
    ctx.net:forward(obs, clean, pair)
    local a = clean:sample()
    local lambda = ctx.params.lambda
    if lambda ~= 1 then trace:scale(lambda) end
    trace:add_noise_outer(noisy, noisy:logp(a, clean), outer)
    return a
  end,

  learn = function(ctx, rpe)
    ctx.net:add(trace, ctx.params.lr * rpe)
    trace:zero()
  end,
}
