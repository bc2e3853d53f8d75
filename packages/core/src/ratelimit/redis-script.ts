import { createHash } from 'node:crypto';

/**
 * The algorithms of algorithms.ts in Lua, run by Redis as one atomic script per consume: read the key, compute,
 * write, in one round trip and without interleaving with any other client. Time is Redis' own `TIME`, so the clocks
 * of the application servers neither matter nor can disagree. Every number stays an integer below 2^53, written
 * with '%.0f' (Lua's default number formatting keeps only 14 digits).
 *
 * KEYS[1] the counter; ARGV: algorithm ('g' GCRA | 'w' sliding window | 'b' back-off), cost, limit, period or
 * window or forget time (ms); for back-off also free attempts, lock time (ms) and the delays (ms).
 * Returns { allowed (0|1), remaining, resetMs, waitMs }.
 */
export const RATE_LIMIT_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local cost = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local period = tonumber(ARGV[4])
local raw = redis.call('GET', KEYS[1])
if ARGV[1] == 'g' then
  local capacity = limit * period
  local debt = 0
  if raw and #raw == 17 and string.byte(raw, 1) == 103 then
    local d, a = struct.unpack('<dd', raw, 2)
    debt = d
    local elapsed = now - a
    if elapsed > 0 then debt = math.max(0, debt - elapsed * limit) end
  end
  if cost <= limit then
    local after = debt + cost * period
    if after <= capacity then
      local ttl = math.ceil(after / limit)
      redis.call('SET', KEYS[1], 'g' .. struct.pack('<dd', after, now), 'PX', ttl)
      return { 1, math.floor((capacity - after) / period), ttl, 0 }
    end
    return { 0, math.floor((capacity - debt) / period), math.ceil(debt / limit), math.ceil((after - capacity) / limit) }
  end
  return { 0, math.floor((capacity - debt) / period), math.ceil(debt / limit), period }
end
if ARGV[1] == 'b' then
  local free, lock_ms = tonumber(ARGV[5]), tonumber(ARGV[6])
  local count, untill, at = 0, 0, now
  if raw and #raw == 25 and string.byte(raw, 1) == 98 then
    count, untill, at = struct.unpack('<ddd', raw, 2)
  end
  if now - at > period then count, untill = 0, 0 end
  if now < untill then
    return { 0, math.max(0, limit - count), untill - now + period, untill - now }
  end
  count = count + cost
  local beyond = count - free
  local delays = #ARGV - 6
  if count >= limit then
    untill = now + lock_ms
  elseif beyond >= 0 and delays > 0 then
    untill = now + tonumber(ARGV[7 + math.min(beyond, delays - 1)])
  else
    untill = 0
  end
  redis.call('SET', KEYS[1], 'b' .. struct.pack('<ddd', count, untill, now), 'PX', math.max(0, untill - now) + period)
  return { 1, math.max(0, limit - count), math.max(0, untill - now) + period, 0 }
end
local window = math.floor(now / period)
local current, previous = 0, 0
if raw and #raw == 25 and string.byte(raw, 1) == 119 then
  local w, c, p = struct.unpack('<ddd', raw, 2)
  if w >= window then
    window, current, previous = w, c, p
  elseif w == window - 1 then
    previous = c
  end
end
local elapsed = math.max(0, now - window * period)
local left = period - elapsed
local budget = limit * period
local used = previous * left + current * period
local function remaining_of(u) return math.max(0, math.floor((budget - u) / period)) end
local function reset_of(c)
  if c > 0 then return left + period elseif previous > 0 then return left else return 0 end
end
if cost <= limit and used + cost * period <= budget then
  current = current + cost
  redis.call('SET', KEYS[1], 'w' .. struct.pack('<ddd', window, current, previous), 'PX', left + period)
  return { 1, remaining_of(used + cost * period), reset_of(current), 0 }
end
local wait
if cost > limit then
  wait = period
elseif current + cost <= limit then
  if previous == 0 then wait = 0 else wait = math.max(0, left - math.floor((limit - current - cost) * period / previous)) end
else
  wait = left
  if current > 0 then wait = wait + math.max(0, period - math.floor((limit - cost) * period / current)) end
end
return { 0, remaining_of(used), reset_of(current), wait }
`;

/** SHA-1 of the script, for `EVALSHA` (the script's name in Redis' script cache, not a security function). */
export const RATE_LIMIT_SCRIPT_SHA = createHash('sha1').update(RATE_LIMIT_SCRIPT).digest('hex');
