-- NRL with noisy passes only (docs/spec/rules.md §5), the Lua twin of `nrl-noisy`: the clean pass is replaced by
-- the average π̄ of K noisy passes (of probabilities); the action comes from π̄; one more noisy pass
-- gives ξ, x̃ and dp = log π̃(a) − log π̄(a); the rest is delayed-form NRL.

local passes, noisy, average, count, trace, sigma, K
local noise, delayed, applied   -- option tables, made once in setup

return rule {
  name = "nrl-noisy",
  summary = "NRL with the clean pass replaced by the mean of K noisy passes (Lua)",
  params = {
    lr = { 5e-2, min = 0, help = "learning rate η" },
    sigma = { 1e-3, above = 0, help = "standard deviation σ of the node noise" },
    gamma = { 0.66, min = 0, max = 1, help = "reward-average rate γ" },
    scaling = { "paper", choices = { "paper", "fan_out", "unbiased" }, help = "layer step factor" },
    passes = { 2, min = 2, max = 1000, help = "K, the number of noisy passes averaged" },
  },
  learns = "episode",
  env = "acrobot",
  defaults = {  -- the paper's Table 2 (NRL's values)
    cartpole = { lr = 5e-2, sigma = 1e-3, hidden = 64, episodes = 20000 },
    acrobot = { lr = 5e-2, sigma = 1e-3, hidden = 64, episodes = 8000 },
  },

  setup = function(ctx)
    if ctx.env.reward ~= "delayed" then
      error("nrl-noisy is defined for delayed-reward tasks (cartpole, acrobot), not " .. ctx.env.name)
    end
    K, sigma = ctx.params.passes, ctx.params.sigma
    passes = {}
    for k = 1, K do passes[k] = ctx.net:pass() end
    noisy, trace = ctx.net:pass(), ctx.net:zeros()
    average = nrl.vector(ctx.env.actions)
    count = nrl.vector(ctx.env.actions, K)  -- K in every element: divide by it, as the native rule does
    noise, delayed, applied = { sigma = sigma }, { norm = "network" }, { scaling = ctx.params.scaling }
  end,

  act = function(ctx, obs)
    average:zero()
    for k = 1, K do
      ctx.net:forward(obs, passes[k], noise)
      average:add(passes[k]:probs())
    end
    average:div(count)
    ctx.net:forward(obs, noisy, noise)
    local a = average:sample()
    local dp = noisy:logp(a) - math.log(average[a])
    trace:add_noise_outer(noisy, dp, delayed)
    return a
  end,

  learn = function(ctx, rpe)
    ctx.net:add(trace, ctx.params.lr * rpe, applied)
    trace:zero()
  end,
}
