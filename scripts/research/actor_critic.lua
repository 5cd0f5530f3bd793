-- Actor-critic NRL: the rule learns its own value baseline from raw rewards.
--
-- The trainer's baseline is one running average of the rewards, the same for every stimulus. Here a
-- linear critic V(s) = u · s predicts each observation's reward, and its error is the actor's δ
-- (baseline = false: the trainer hands `learn` the raw reward r):
--   act:    clean and noisy pass of s; a ~ π(·|s);  Δ = log π̃(a) − log π(a);  V = u · s
--   learn:  δ = r − V
--           u += β · δ · s                                     (critic: LMS on the reward)
--           W_l += η · δ · Δ · ξ_l/‖ξ_l‖² ⊗ x_{l−1}             (actor: NRL's per-step form)
-- On Reaching the reward depends on the target the observation shows, so V(s) removes the part of
-- r the action cannot change, which a single running average cannot.
-- Immediate-reward tasks (Reaching, scripts/envs/bandit.lua).
--   nrlhost run scripts/research/actor_critic.lua --seed 1

local clean, noisy, pair, outer, critic, state, value, dp

return rule {
  name = "actor_critic",
  summary = "NRL actor with a linear critic V(s) = u·s learned from raw rewards",
  params = {
    lr = { 1e-2, min = 0, help = "actor learning rate η" },
    critic_lr = { 1e-2, min = 0, help = "critic learning rate β" },
    sigma = { 1e-3, above = 0, help = "standard deviation σ of the node noise" },
  },
  env = "reaching",
  learns = "step",
  baseline = false,
  defaults = {
    reaching = { hidden = 128, episodes = 1000 },
  },

  setup = function(ctx)
    clean, noisy = ctx.net:pass(), ctx.net:pass()
    pair = { noisy = noisy, sigma = ctx.params.sigma }
    outer = { inputs = clean, norm = "layer" }
    critic, state = nrl.vector(ctx.env.observations), nrl.vector(ctx.env.observations)
  end,

  act = function(ctx, obs)
    ctx.net:forward(obs, clean, pair)
    local a = clean:sample()
    dp = noisy:logp(a, clean)
    state:set(obs)
    value = critic:dot(state)
    return a
  end,

  learn = function(ctx, reward)
    local p = ctx.params
    local delta = reward - value
    critic:add(state, p.critic_lr * delta)
    ctx.net:add_noise_outer(noisy, p.lr * delta * dp, outer)
  end,
}
