"""The Lua scripts of the Redis bus (see `chinwag.bus.redis`): each runs atomically in
Redis and names keys it computes from the prefix, so the bus needs a single Redis."""

#: Each live node and its users: node id, then the array of its users, for every node.
#: KEYS: the node registry; ARGV: prefix.
VIEW_LUA = """
local view = {}
for _, node in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('EXISTS', ARGV[1] .. ':node:' .. node) == 1 then
    view[#view + 1] = node
    view[#view + 1] = redis.call('SMEMBERS', ARGV[1] .. ':online:' .. node)
  end
end
return view
"""

#: Registered nodes whose liveness key has expired. KEYS: the registry; ARGV: prefix.
DEAD_LUA = """
local dead = {}
for _, node in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('EXISTS', ARGV[1] .. ':node:' .. node) == 0 then
    dead[#dead + 1] = node
  end
end
return dead
"""

#: Unregister a dead node, announce offline those of its users online on no live node and
#: delete its set, atomically; only the caller whose SREM succeeds does so. KEYS: the
#: registry; ARGV: prefix, dead node id, then pairs of (user, encoded PresenceChanged).
#: Returns the number of events published, or -1 when the node is alive or already gone.
REAP_LUA = """
local prefix, dead = ARGV[1], ARGV[2]
if redis.call('EXISTS', prefix .. ':node:' .. dead) == 1 then return -1 end
if redis.call('SREM', KEYS[1], dead) == 0 then return -1 end
local alive = {}
for _, node in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('EXISTS', prefix .. ':node:' .. node) == 1 then
    alive[#alive + 1] = prefix .. ':online:' .. node
  end
end
local sent = 0
for i = 3, #ARGV, 2 do
  local elsewhere = false
  for _, set in ipairs(alive) do
    if redis.call('SISMEMBER', set, ARGV[i]) == 1 then
      elsewhere = true
      break
    end
  end
  if not elsewhere then
    redis.call('PUBLISH', prefix .. ':events', ARGV[i + 1])
    sent = sent + 1
  end
end
redis.call('DEL', prefix .. ':online:' .. dead)
return sent
"""
