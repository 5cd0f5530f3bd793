-- Node perturbation with a per-action running baseline.
--
-- The builtin `np` compares each reward with one running average r̄ of all rewards. On a task
-- whose actions earn different typical rewards, that baseline is biased for every action; here
-- each action a keeps its own average b_a and the rule computes its own δ (baseline = false: the
-- trainer hands `learn` the raw reward r):
--   act:    noisy pass ã_l = W_l x̃_{l−1} + ξ_l,  a ~ π̃
--   learn:  δ = r − b_a   (0 on the first reward of action a),   b_a ← b_a + γ (r − b_a)
--           W += η/σ² · δ · ξ ⊗ x̃
-- Immediate-reward tasks (Reaching, scripts/envs/bandit.lua).
--   nrlhost run scripts/research/np_action_baseline.lua --seed 1

local noisy, options, action, baselines, seen

return rule {
  name = "np_action_baseline",
  summary = "node perturbation with a running baseline per action",
  params = {
    lr = { 1e-3, min = 0, help = "learning rate η" },
    sigma = { 3e-2, above = 0, help = "standard deviation σ of the node noise" },
    gamma = { 0.66, min = 0, max = 1, help = "rate of each action's reward average" },
  },
  env = "reaching",
  learns = "step",
  baseline = false,
  defaults = {
    reaching = { hidden = 128, episodes = 1000 },
  },

  setup = function(ctx)
    noisy = ctx.net:pass()
    options = { sigma = ctx.params.sigma }
    baselines, seen = nrl.vector(ctx.env.actions), {}
  end,

  act = function(ctx, obs)
    ctx.net:forward(obs, noisy, options)
    action = noisy:sample()
    return action
  end,

  learn = function(ctx, reward)
    local p = ctx.params
    local delta = 0
    if seen[action] then
      delta = reward - baselines[action]
      baselines[action] = baselines[action] + p.gamma * delta
    else
      seen[action] = true
      baselines[action] = reward
    end
    ctx.net:add_noise_outer(noisy, p.lr / (p.sigma * p.sigma) * delta)
  end,
}
