"""The Lua scripts behind the shared Redis rate limiter (`outage_notify.ratelimit`).

Each bucket is one hash: `tat` (the GCRA theoretical arrival time) and `paused` (no token before
this), both in integer microseconds of Redis server time. Times are read with `TIME` inside the
script, so the clocks of the worker machines never matter, and every acquisition is one atomic
EVALSHA round trip however many buckets it spans.

Redis's Lua formats numbers with "%.14g", which would round a 16-digit microsecond timestamp, so
timestamps are written with string.format('%.0f'). Microseconds since the epoch (~1.8e15) stay
exact in a double (integers up to 2^53 ~ 9e15).
"""

from __future__ import annotations

# KEYS: the bucket hashes. ARGV: for key i, ARGV[2i-1] = emission interval and ARGV[2i] =
# tolerance, both integer microseconds. Returns 0 when one token was taken from every bucket,
# else the microseconds until all of them could give one (nothing is taken then).
ACQUIRE_ALL = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local wait = 0
local tats = {}
local pauses = {}
for i, key in ipairs(KEYS) do
  local interval = tonumber(ARGV[2 * i - 1])
  local tolerance = tonumber(ARGV[2 * i])
  local state = redis.call('HMGET', key, 'tat', 'paused')
  local tat = tonumber(state[1]) or now
  local paused = tonumber(state[2]) or 0
  -- A legitimate tat is never beyond now + interval + tolerance; more means the server clock
  -- stepped back, which must not block the bucket for the size of the step.
  tat = math.min(tat, now + interval + tolerance)
  tats[i] = tat
  pauses[i] = paused
  wait = math.max(wait, tat - tolerance - now, paused - now)
end
if wait > 0 then
  return math.ceil(wait)
end
for i, key in ipairs(KEYS) do
  local tat = math.max(tats[i], now) + tonumber(ARGV[2 * i - 1])
  redis.call('HSET', key, 'tat', string.format('%.0f', tat))
  -- Once tat and the pause have passed, the hash says nothing a missing key does not.
  local ttl = math.max(tat, pauses[i]) - now
  redis.call('PEXPIRE', key, math.ceil(ttl / 1000) + 1000)
end
return 0
"""

# KEYS[1]: the bucket hash. ARGV[1]: pause length in integer microseconds. A pause only ever
# extends the current one: a short Retry-After must not cut short a longer one.
PAUSE = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local state = redis.call('HMGET', KEYS[1], 'tat', 'paused')
local tat = tonumber(state[1]) or 0
local paused = math.max(tonumber(state[2]) or 0, now + tonumber(ARGV[1]))
redis.call('HSET', KEYS[1], 'paused', string.format('%.0f', paused))
redis.call('PEXPIRE', KEYS[1], math.ceil((math.max(tat, paused) - now) / 1000) + 1000)
return 0
"""
