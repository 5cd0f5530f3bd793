-- A contextual bandit: the smallest environment, and a good first one to read.
--
-- There are ARMS lamps and ARMS buttons. At the start of every episode one lamp lights up at random;
-- the agent sees the lamps (+1 for the lit one, -1 for the dark ones) and presses one button. The
-- matching button pays 1, any other pays 0, and the episode is over. A random agent earns 1/ARMS on
-- average; an agent that has learned the mapping earns 1.
--
--   nrlhost run --rule bp --env scripts/envs/bandit.lua
--   nrlhost run scripts/nrl.lua --env scripts/envs/bandit.lua
--
-- The contract (what every environment script returns): env { … } with the sizes, the reward timing,
-- and two functions, reset and step, that Gymnasium users will recognise. Actions are 1…actions.

local ARMS = 4

-- The observation when lamp `lit` is on: +1 for it, -1 for the others. (Inputs centred on zero
-- make a network learn faster than 1/0 would: every weight gets a share of each update.)
local function lamps(lit)
  local obs = {}
  for i = 1, ARMS do obs[i] = (i == lit) and 1.0 or -1.0 end
  return obs
end

return env {
  name = "bandit",
  observations = ARMS,      -- one number per lamp
  actions = ARMS,           -- one action per button
  reward = "immediate",     -- a reward every step, and rules learn every step
  max_steps = 1,            -- one press per episode
  hidden = 16,              -- run defaults: network width and episode count
  episodes = 2000,

  -- Starts an episode: light a lamp (self.rng is the run's seeded random stream) and show it.
  reset = function(self, _options)
    self.lit = self.rng:integer(ARMS)   -- 1…ARMS
    return lamps(self.lit)
  end,

  -- Presses button `action`: obs, reward, terminated, truncated.
  step = function(self, action)
    local reward = (action == self.lit) and 1.0 or 0.0
    return lamps(self.lit), reward, true, false  -- terminated: a bandit episode is a single press
  end,
}
