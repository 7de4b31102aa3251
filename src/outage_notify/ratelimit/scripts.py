"""The Lua scripts behind the shared Redis rate limiter (`outage_notify.ratelimit.limiter`).

Each bucket is one hash: `tat` (the GCRA theoretical arrival time) and `paused` (no token before
this), both in integer microseconds of Redis server time. Times are read with `TIME` inside the
script, so the clocks of the worker machines never matter, and every take is one atomic EVALSHA
round trip however many buckets and tokens it spans.

Redis's Lua formats numbers with "%.14g", which would round a 16-digit microsecond timestamp, so
timestamps are written with string.format('%.0f'). Microseconds since the epoch (~1.8e15) stay
exact in a double (integers up to 2^53 ~ 9e15).
"""

from __future__ import annotations

# KEYS: the bucket hashes. ARGV[1]: how many tokens are wanted from every bucket; for key i,
# ARGV[2i] = emission interval and ARGV[2i+1] = tolerance, both integer microseconds.
# Returns {granted, wait}: `granted` tokens were taken from every bucket; when fewer than asked,
# `wait` is the microseconds until all of them could give the next one (else 0).
#
# Token j is granted only if the single-token rule allows it after tokens 0..j-1, all at the same
# `now`, and granting stops at the first token that is not due: a take of k is exactly k
# back-to-back single takes, so it keeps the same 1-s promise.
ACQUIRE_MANY = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local count = tonumber(ARGV[1])
local intervals = {}
local tolerances = {}
local tats = {}
local pauses = {}
for i, key in ipairs(KEYS) do
  intervals[i] = tonumber(ARGV[2 * i])
  tolerances[i] = tonumber(ARGV[2 * i + 1])
  local state = redis.call('HMGET', key, 'tat', 'paused')
  local tat = tonumber(state[1]) or now
  pauses[i] = tonumber(state[2]) or 0
  -- A legitimate tat is never beyond now + interval + tolerance; more means the server clock
  -- stepped back, which must not block the bucket for the size of the step.
  tats[i] = math.min(tat, now + intervals[i] + tolerances[i])
end
local granted = 0
local wait = 0
while granted < count do
  for i = 1, #KEYS do
    wait = math.max(wait, tats[i] - tolerances[i] - now, pauses[i] - now)
  end
  if wait > 0 then
    break
  end
  for i = 1, #KEYS do
    tats[i] = math.max(tats[i], now) + intervals[i]
  end
  granted = granted + 1
end
if granted > 0 then
  for i, key in ipairs(KEYS) do
    redis.call('HSET', key, 'tat', string.format('%.0f', tats[i]))
    -- Once tat and the pause have passed, the hash says nothing a missing key does not.
    local ttl = math.max(tats[i], pauses[i]) - now
    redis.call('PEXPIRE', key, math.ceil(ttl / 1000) + 1000)
  end
end
return {granted, math.ceil(wait)}
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
