-- Assignment np-reaching: node perturbation on Reaching — starter file.
--
-- Node perturbation (Williams 1992; Fiete & Seung 2006) learns from noise it injects itself: every
-- step, act on a *noisy* forward pass (node noise ξ ~ N(0, σ²) on every layer), and when the reward
-- comes, move the weights along the noise that was used, scaled by how much better than expected the
-- reward was:
--
--     W_l += (lr / σ²) · rpe · ξ_l x̃_{l−1}ᵀ      (x̃: the noisy pass's layer inputs)
--
-- Reaching rewards every step, so learn(ctx, rpe) comes every step, right after the step.
-- Exact gradients (add_gradient) are not allowed in this assignment.
--
-- Try it on the practice seeds:   nrlhost try np-reaching.lua starter.lua
-- The API: docs/lua-api.md (forward with the option sigma, sample, add_noise_outer).

local pass                       -- made once, in setup

return rule {
  name = "my-np",
  params = {
    lr = { 3e-3, min = 0, help = "learning rate η" },
    sigma = { 0.3, above = 0, help = "standard deviation σ of the node noise" },
  },

  setup = function(ctx)
    pass = ctx.net:pass()
  end,

  act = function(ctx, obs)
    -- TODO 1: make this a noisy pass with noise level ctx.params.sigma (m:forward's option sigma).
    ctx.net:forward(obs, pass)
    return pass:sample()
  end,

  learn = function(ctx, rpe)
    -- TODO 2: the node-perturbation update above (m:add_noise_outer on ctx.net).
  end,
}
