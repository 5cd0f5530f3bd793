-- BP: REINFORCE with exact gradients (backpropagation) and plain SGD, the Lua twin of `bp`.
--   delayed tasks:   grad += ∇ log π(a) every step;  W += lr · δ · grad at the episode's end
--   immediate tasks: W += lr · δ · ∇ log π(a) every step

local pass, grad, last_action, every_step

return rule {
  name = "bp",
  summary = "REINFORCE with exact gradients and plain SGD (Lua)",
  params = {
    lr = { 5e-3, min = 0, help = "learning rate η" },
    gamma = { 0.66, min = 0, max = 1, help = "reward-average rate γ" },
  },
  env = "cartpole",
  defaults = {  -- the paper's Table 2
    cartpole = { lr = 5e-3, hidden = 64, episodes = 20000 },
    acrobot = { lr = 5e-3, hidden = 64, episodes = 8000 },
    reaching = { lr = 1e-2, hidden = 128, episodes = 1000 },
  },

  setup = function(ctx)
    pass, grad = ctx.net:pass(), ctx.net:zeros()
    every_step = ctx.learns_every_step
  end,

  act = function(ctx, obs)
    ctx.net:forward(obs, pass)
    local a = pass:sample()
    if not every_step then grad:add_gradient(pass, a) end
    last_action = a
    return a
  end,

  learn = function(ctx, rpe)
    local scale = ctx.params.lr * rpe
    if every_step then
      ctx.net:add_gradient(pass, last_action, scale)
    else
      ctx.net:add(grad, scale)
      grad:zero()
    end
  end,
}
