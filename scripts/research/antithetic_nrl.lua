-- Antithetic NRL: NRL with a pair of mirrored noisy passes per step.
--
-- Each step draws one node-noise vector ξ ~ N(0, σ²I) (all N units) and runs three passes of the
-- observation: clean, noisy with +ξ and noisy with −ξ. The action comes from the clean policy π.
--   Δ⁺ = log π⁺(a) − log π(a),   Δ⁻ = log π⁻(a) − log π(a)
--   e  += ½ [ Δ⁺ · ξ/‖ξ‖² ⊗ x̃⁺  +  Δ⁻ · (−ξ)/‖ξ‖² ⊗ x̃⁻ ]          (every step)
--   W  += η · δ · e,  e ← 0                                        (at the episode's end)
-- The mirrored pair cancels the even-order terms of Δ's Taylor expansion, so the update is a
-- lower-variance estimate of the same gradient NRL follows.
-- With mode = "single" it is NRL exactly: one +ξ pass and e += Δ⁺ ξ/‖ξ‖² ⊗ x̃⁺ — the same draws
-- and the same arithmetic as the builtin `nrl` (a test checks the returns are identical).
-- Delayed-reward tasks only (CartPole, Acrobot).
--   nrlhost run scripts/research/antithetic_nrl.lua --seed 1

local clean, plus, minus, xi, trace
local options_plus, options_minus, outer

return rule {
  name = "antithetic_nrl",
  summary = "NRL with an antithetic (±ξ) pair of noisy passes",
  params = {
    lr = { 5e-2, min = 0, help = "learning rate η" },
    sigma = { 1e-3, above = 0, help = "standard deviation σ of the node noise" },
    gamma = { 0.66, min = 0, max = 1, help = "reward-average rate γ" },
    mode = { "antithetic", choices = { "antithetic", "single" }, help = "a ±ξ pair, or one +ξ pass (= nrl)" },
  },
  env = "cartpole",
  learns = "episode",
  defaults = {
    cartpole = { hidden = 64, episodes = 20000 },
    acrobot = { hidden = 64, episodes = 8000 },
  },

  setup = function(ctx)
    clean, plus, minus, trace = ctx.net:pass(), ctx.net:pass(), ctx.net:pass(), ctx.net:zeros()
    local n = ctx.net:sizes()
    local units = 0
    for l = 2, #n do units = units + n[l] end
    xi = nrl.vector(units)
    options_plus = { noise = xi, clean = clean }
    options_minus = { noise = xi, clean = clean }
    outer = { norm = "network" }
  end,

  act = function(ctx, obs)
    local net = ctx.net
    net:forward(obs, clean)
    xi:fill_normal(ctx.params.sigma)
    net:forward(obs, plus, options_plus)
    local a = clean:sample()
    if ctx.params.mode == "single" then
      trace:add_noise_outer(plus, plus:logp(a, clean), outer)
      return a
    end
    xi:scale(-1)
    net:forward(obs, minus, options_minus)
    trace:add_noise_outer(plus, 0.5 * plus:logp(a, clean), outer)
    trace:add_noise_outer(minus, 0.5 * minus:logp(a, clean), outer)
    return a
  end,

  learn = function(ctx, rpe)
    ctx.net:add(trace, ctx.params.lr * rpe)
    trace:zero()
  end,
}
