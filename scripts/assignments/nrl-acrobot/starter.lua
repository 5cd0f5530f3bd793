-- Assignment nrl-acrobot: NRL with an eligibility trace on Acrobot — starter file.
--
-- Noise-based reward-modulated learning (García Fernández, Ahmad & van Gerven 2025). Every step:
--   1. a clean pass and a noisy pass of the same observation (node noise ξ ~ N(0, σ²));
--   2. act on the clean policy: a ~ π;
--   3. dp = log π̃(a) − log π(a), how much the noise raised the chosen action's log-probability;
--   4. accumulate the eligibility trace  e_l += dp · ξ_l / ‖ξ‖² · x̃_{l−1}ᵀ.
-- Acrobot rewards only at the end of an episode, so learn(ctx, rpe) comes once per episode:
--   5. W += lr · rpe · e, then clear the trace.
-- Exact gradients (add_gradient) are not allowed in this assignment.
--
-- Try it on the practice seeds:   nrlhost try nrl-acrobot.lua starter.lua
-- The API: docs/lua-api.md (forward and its options, sample, logp, add_noise_outer, add, zero).

local clean, noisy, trace        -- made once, in setup

return rule {
  name = "my-nrl",
  params = {
    lr = { 5e-2, min = 0, help = "learning rate η" },
    sigma = { 1e-3, above = 0, help = "standard deviation σ of the node noise" },
  },

  setup = function(ctx)
    clean, noisy, trace = ctx.net:pass(), ctx.net:pass(), ctx.net:zeros()
  end,

  act = function(ctx, obs)
    ctx.net:forward(obs, clean)  -- TODO 1: also the noisy pass (m:forward's options sigma and noisy)
    local a = clean:sample()
    -- TODO 2: dp, and the trace update of step 4 (m:add_noise_outer with the option norm = "network")
    return a
  end,

  learn = function(ctx, rpe)
    -- TODO 3: apply the trace to ctx.net (m:add) and clear it (m:zero)
  end,
}
