/*
 * q_lua.c: the queue's Lua scripts.  Each state change is one script, so
 * it is atomic and its PUBLISH goes out with it.  Every script gets the
 * key prefix "{Q}:" as ARGV[1] and the queue list as KEYS[1] (for routing);
 * times come from the server's clock (TIME; scripts replicate by effects).
 */
#include "q_int.h"

/*
 * The key names (q_int.h) and job states (job.h) as Lua locals, so that
 * the scripts spell none of them: a misspelt local is an undefined
 * global, which Redis refuses, not a key or a state of a new name.
 */
#define NAMES \
"local K_QUEUE = P .. '" QK_S_QUEUE "'\n" \
"local K_CONSUMERS = P .. '" QK_S_CONSUMERS "'\n" \
"local K_BEATS = P .. '" QK_S_BEATS "'\n" \
"local K_DELAYED = P .. '" QK_S_DELAYED "'\n" \
"local K_DEAD = P .. '" QK_S_DEAD "'\n" \
"local K_DONE = P .. '" QK_S_DONE "'\n" \
"local K_EVENTS = P .. '" QK_S_EVENTS "'\n" \
"local function k_c(c) return P .. '" QK_S_C "' .. c end\n" \
"local function k_job(id) return P .. '" QK_S_JOB "' .. id end\n" \
"local function k_idem(k) return P .. '" QK_S_IDEM "' .. k end\n" \
"local QUEUED, ACTIVE, RETRY, DONE, DEAD = '" JOB_S_QUEUED "', '" \
    JOB_S_ACTIVE "', '" JOB_S_RETRY "', '" JOB_S_DONE "', '" JOB_S_DEAD \
    "'\n" \
"local HALT = '" Q_HOW_HALT "'\n"

#define PRELUDE \
"local P = ARGV[1]\n" \
NAMES \
"local function now_ms()\n" \
"  local t = redis.call('TIME')\n" \
"  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n" \
"end\n" \
"local function ev(id, st, d)\n" \
"  if d ~= '' then d = ' ' .. d end\n" \
"  redis.call('PUBLISH', K_EVENTS, id .. ' ' .. st .. d)\n" \
"end\n" \
"local function to_dead(jk, id, now, why)\n" \
"  redis.call('HSET', jk, 'state', DEAD, 'finished', now)\n" \
"  redis.call('HDEL', jk, 'consumer', 'due')\n" \
"  redis.call('ZADD', K_DEAD, now, id)\n" \
"  redis.call('PERSIST', jk)\n" \
"  ev(id, DEAD, why)\n" \
"end\n"

/* Due retries back to the tail of the queue. */
#define PROMOTE \
"local function promote(now)\n" \
"  local ids = redis.call('ZRANGEBYSCORE', K_DELAYED, '-inf', now,\n" \
"    'LIMIT', 0, 100)\n" \
"  for _, id in ipairs(ids) do\n" \
"    redis.call('ZREM', K_DELAYED, id)\n" \
"    local jk = k_job(id)\n" \
"    if redis.call('HGET', jk, 'state') == RETRY then\n" \
"      redis.call('HSET', jk, 'state', QUEUED)\n" \
"      redis.call('HDEL', jk, 'due')\n" \
"      redis.call('LPUSH', K_QUEUE, id)\n" \
"      ev(id, QUEUED, 'retry due')\n" \
"    end\n" \
"  end\n" \
"end\n"

/*
 * Jobs of consumers whose lease expired go back to the head of the queue
 * (their attempt was counted when they started), or to the dead set at
 * the attempt limit.  A job in the list that another run owns now is
 * stale and dropped.
 */
#define REAP \
"local function reap(now, maxatt, lim)\n" \
"  local n = 0\n" \
"  local cs = redis.call('ZRANGEBYSCORE', K_CONSUMERS, '-inf', now,\n" \
"    'LIMIT', 0, lim)\n" \
"  for _, c in ipairs(cs) do\n" \
"    local cl = k_c(c)\n" \
"    for _, id in ipairs(redis.call('LRANGE', cl, 0, -1)) do\n" \
"      local jk = k_job(id)\n" \
"      local st = redis.call('HGET', jk, 'state')\n" \
"      if st == ACTIVE and redis.call('HGET', jk, 'consumer') == c then\n" \
"        local a = tonumber(redis.call('HGET', jk, 'attempts') or '0')\n" \
"        local why = 'worker lost: lease of ' .. c .. ' expired'\n" \
"        redis.call('HSET', jk, 'error', why, 'finished', now)\n" \
"        redis.call('HDEL', jk, 'consumer', 'exit', 'signal', 'stderr')\n" \
"        if a >= maxatt then\n" \
"          why = why .. ' (attempt limit ' .. maxatt .. ' reached)'\n" \
"          redis.call('HSET', jk, 'error', why)\n" \
"          to_dead(jk, id, now, why)\n" \
"        else\n" \
"          redis.call('HSET', jk, 'state', QUEUED)\n" \
"          redis.call('RPUSH', K_QUEUE, id)\n" \
"          ev(id, QUEUED, why)\n" \
"        end\n" \
"        n = n + 1\n" \
"      elseif st == QUEUED then\n" \
"        redis.call('RPUSH', K_QUEUE, id)\n" \
"        n = n + 1\n" \
"      end\n" \
"    end\n" \
"    redis.call('DEL', cl)\n" \
"    redis.call('ZREM', K_CONSUMERS, c)\n" \
"    redis.call('HDEL', K_BEATS, c)\n" \
"  end\n" \
"  return n\n" \
"end\n"

/* ARGV: P, id, idem key or '', idem ttl ms, name, value, ... */
static const char *const push_lua[] = {
PRELUDE
"local id, idem, ttl = ARGV[2], ARGV[3], ARGV[4]\n"
"local now = now_ms()\n"
"if idem ~= '' then\n"
"  local old = redis.call('GET', k_idem(idem))\n"
"  if old and redis.call('EXISTS', k_job(old)) == 1 then\n"
"    if old == id then return {id, 0} end\n"
"    return {old, 1}\n"
"  end\n"
"end\n"
"local jk = k_job(id)\n"
"if redis.call('EXISTS', jk) == 1 then return {id, 2} end\n"
"redis.call('HSET', jk, 'state', QUEUED, 'attempts', 0, 'queued', now,\n"
"  'created', now)\n"
"if #ARGV >= 6 then redis.call('HSET', jk, unpack(ARGV, 5, #ARGV)) end\n"
"if idem ~= '' then\n"
"  redis.call('SET', k_idem(idem), id, 'PX', ttl)\n"
"  redis.call('HSET', jk, 'idem', idem)\n"
"end\n"
"redis.call('LPUSH', K_QUEUE, id)\n"
"ev(id, QUEUED, '')\n"
"return {id, 0}\n",
	NULL
};

/*
 * start(consumer, lease ms, max attempts, id already moved by BLMOVE, '*'
 * for the head of the consumer's list (BLMOVE pipelined before), or
 * ''): {0, ms to the next due retry or -1} when the queue is empty,
 * {2, id} for an entry to skip, {1, id, run, attempt, record}.
 */
#define START \
"local function start(C, lease, maxatt, moved)\n" \
"local now = now_ms()\n" \
"local cl = k_c(C)\n" \
/* '*': what a BLMOVE sent just before put at the head of the list; \
 * anything else there is stale and goes back below. */ \
"if moved == '*' then\n" \
"  moved = redis.call('LINDEX', cl, 0) or ''\n" \
"  if moved ~= '' and\n" \
"      redis.call('HGET', k_job(moved), 'state') ~= QUEUED then\n" \
"    moved = ''\n" \
"  end\n" \
"end\n" \
"redis.call('ZADD', K_CONSUMERS, now + lease, C)\n" \
"redis.call('HSET', K_BEATS, C, now)\n" \
"promote(now)\n" \
"reap(now, maxatt, 20)\n" \
/* Between jobs this consumer holds nothing: what is left in its list
 * (a reply lost on the way) goes back. */ \
"for _, x in ipairs(redis.call('LRANGE', cl, 0, -1)) do\n" \
"  if x ~= moved then\n" \
"    redis.call('LREM', cl, 0, x)\n" \
"    local jk = k_job(x)\n" \
"    local st = redis.call('HGET', jk, 'state')\n" \
"    if st == ACTIVE and redis.call('HGET', jk, 'consumer') == C then\n" \
"      redis.call('HSET', jk, 'state', QUEUED)\n" \
"      redis.call('HDEL', jk, 'consumer')\n" \
"      st = QUEUED\n" \
"    end\n" \
"    if st == QUEUED then redis.call('RPUSH', K_QUEUE, x) end\n" \
"  end\n" \
"end\n" \
"local id = moved\n" \
"if id == '' then\n" \
"  id = redis.call('LMOVE', K_QUEUE, cl, 'RIGHT', 'LEFT')\n" \
"  if not id then\n" \
"    local nx = redis.call('ZRANGE', K_DELAYED, 0, 0, 'WITHSCORES')\n" \
"    if nx[2] then return {0, tonumber(nx[2]) - now} end\n" \
"    return {0, -1}\n" \
"  end\n" \
"end\n" \
/* Reaped between BLMOVE and here: the reaper put it back already. */ \
"if moved ~= '' and not redis.call('LPOS', cl, moved) then\n" \
"  return {2, moved}\n" \
"end\n" \
"local jk = k_job(id)\n" \
"if redis.call('HGET', jk, 'state') ~= QUEUED then\n" \
"  redis.call('LREM', cl, 0, id)\n" \
"  return {2, id}\n" \
"end\n" \
"local run = redis.call('HINCRBY', jk, 'run', 1)\n" \
"local att = redis.call('HINCRBY', jk, 'attempts', 1)\n" \
"redis.call('HSET', jk, 'state', ACTIVE, 'consumer', C, 'started', now)\n" \
"ev(id, ACTIVE, 'attempt ' .. att .. ' on ' .. C)\n" \
"return {1, id, run, att, redis.call('HGETALL', jk)}\n" \
"end\n"

/* ARGV: P, consumer, lease ms, max attempts, moved id or ''. */
static const char *const start_lua[] = {
PRELUDE,
	PROMOTE REAP,
	START
"return start(ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5])\n",
	NULL
};

/* ARGV: P, consumer, lease ms.  1: renewed, 0: this consumer was reaped. */
static const char *const beat_lua[] = {
PRELUDE
"local C, lease = ARGV[2], tonumber(ARGV[3])\n"
"if not redis.call('ZSCORE', K_CONSUMERS, C) then return 0 end\n"
"local now = now_ms()\n"
"redis.call('ZADD', K_CONSUMERS, now + lease, C)\n"
"redis.call('HSET', K_BEATS, C, now)\n"
"return 1\n",
	NULL
};

/*
 * settle(consumer, id, run, how (done, retry, dead, halt), max attempts,
 * delay ms, retention ms, index in ARGV of the name, value pairs):
 * {1, final state} when applied, {0} when fenced off.
 */
#define SETTLE \
"local function settle(C, id, run, how, maxatt, delay, ret, first)\n" \
"local jk = k_job(id)\n" \
"local cl = k_c(C)\n" \
"if redis.call('HGET', jk, 'run') ~= run then return {0} end\n" \
"if redis.call('HGET', jk, 'settled') == run then\n" \
"  return {1, redis.call('HGET', jk, 'state')}\n" \
"end\n" \
"if redis.call('HGET', jk, 'state') ~= ACTIVE or\n" \
"    redis.call('HGET', jk, 'consumer') ~= C then return {0} end\n" \
"if redis.call('LREM', cl, 0, id) == 0 then return {0} end\n" \
"local now = now_ms()\n" \
"redis.call('HSET', jk, 'settled', run)\n" \
"if how == HALT then\n" \
"  redis.call('HINCRBY', jk, 'attempts', -1)\n" \
"  redis.call('HSET', jk, 'state', QUEUED)\n" \
"  redis.call('HDEL', jk, 'consumer', 'started')\n" \
"  redis.call('RPUSH', K_QUEUE, id)\n" \
"  ev(id, QUEUED, 'handed back')\n" \
"  return {1, QUEUED}\n" \
"end\n" \
"redis.call('HDEL', jk, 'exit', 'signal', 'error', 'stderr', 'outputs',\n" \
"  'consumer', 'due', 'delay')\n" \
"if #ARGV > first then\n" \
"  redis.call('HSET', jk, unpack(ARGV, first, #ARGV))\n" \
"end\n" \
"redis.call('HSET', jk, 'finished', now)\n" \
"local err = redis.call('HGET', jk, 'error') or ''\n" \
"if how == RETRY then\n" \
"  local att = tonumber(redis.call('HGET', jk, 'attempts') or '0')\n" \
"  if att < maxatt then\n" \
"    redis.call('HSET', jk, 'state', RETRY, 'due', now + delay,\n" \
"      'delay', delay)\n" \
"    redis.call('ZADD', K_DELAYED, now + delay, id)\n" \
"    ev(id, RETRY, 'attempt ' .. att .. ', next in ' .. delay ..\n" \
"      ' ms: ' .. err)\n" \
"    return {1, RETRY}\n" \
"  end\n" \
"  err = err .. ' (attempt limit ' .. maxatt .. ' reached)'\n" \
"  redis.call('HSET', jk, 'error', err)\n" \
"  how = DEAD\n" \
"end\n" \
"if how == DEAD then\n" \
"  to_dead(jk, id, now, err)\n" \
"  return {1, DEAD}\n" \
"end\n" \
"redis.call('HSET', jk, 'state', DONE)\n" \
"redis.call('ZADD', K_DONE, now, id)\n" \
"redis.call('ZREMRANGEBYSCORE', K_DONE, '-inf', now - ret)\n" \
"redis.call('PEXPIRE', jk, ret)\n" \
"ev(id, DONE, '')\n" \
"return {1, DONE}\n" \
"end\n"

/*
 * ARGV: P, consumer, id, run, how, max attempts, delay ms, retention ms,
 * name, value, ...
 */
static const char *const settle_lua[] = {
PRELUDE SETTLE
"return settle(ARGV[2], ARGV[3], ARGV[4], ARGV[5], tonumber(ARGV[6]),\n"
"  tonumber(ARGV[7]), tonumber(ARGV[8]), 9)\n",
	NULL
};

/*
 * Settles a job and reserves the next one, in one round trip.  ARGV: P,
 * consumer, lease ms, id, run, how, max attempts, delay ms, retention ms,
 * name, value, ...  Returns {settle's reply, start's reply}.
 */
static const char *const next_lua[] = {
PRELUDE,
	PROMOTE REAP,
	SETTLE,
	START,
"local C, maxatt = ARGV[2], tonumber(ARGV[7])\n"
"local s = settle(C, ARGV[4], ARGV[5], ARGV[6], maxatt, tonumber(ARGV[8]),\n"
"  tonumber(ARGV[9]), 10)\n"
"return {s, start(C, tonumber(ARGV[3]), maxatt, '')}\n",
	NULL
};

/* ARGV: P, consumer.  Hands back what the consumer holds, forgets it. */
static const char *const stop_lua[] = {
PRELUDE
"local C = ARGV[2]\n"
"local cl = k_c(C)\n"
"local n = 0\n"
"for _, x in ipairs(redis.call('LRANGE', cl, 0, -1)) do\n"
"  local jk = k_job(x)\n"
"  local st = redis.call('HGET', jk, 'state')\n"
"  if st == ACTIVE and redis.call('HGET', jk, 'consumer') == C then\n"
"    redis.call('HINCRBY', jk, 'attempts', -1)\n"
"    redis.call('HSET', jk, 'state', QUEUED)\n"
"    redis.call('HDEL', jk, 'consumer', 'started')\n"
"    redis.call('RPUSH', K_QUEUE, x)\n"
"    ev(x, QUEUED, 'handed back')\n"
"    n = n + 1\n"
"  elseif st == QUEUED then\n"
"    redis.call('RPUSH', K_QUEUE, x)\n"
"    n = n + 1\n"
"  end\n"
"end\n"
"redis.call('DEL', cl)\n"
"redis.call('ZREM', K_CONSUMERS, C)\n"
"redis.call('HDEL', K_BEATS, C)\n"
"return n\n",
	NULL
};

/* ARGV: P, max attempts.  Returns the jobs recovered. */
static const char *const reap_lua[] = {
PRELUDE PROMOTE REAP
"local now = now_ms()\n"
"promote(now)\n"
"return reap(now, tonumber(ARGV[2]), 10000)\n",
	NULL
};

/* ARGV: P, id.  1 requeued, 0 not dead or done, -1 no such job. */
static const char *const requeue_lua[] = {
PRELUDE
"local id = ARGV[2]\n"
"local jk = k_job(id)\n"
"local st = redis.call('HGET', jk, 'state')\n"
"if not st then return -1 end\n"
"if st ~= DEAD and st ~= DONE then return 0 end\n"
"local now = now_ms()\n"
"redis.call('ZREM', K_DEAD, id)\n"
"redis.call('ZREM', K_DONE, id)\n"
"redis.call('PERSIST', jk)\n"
"redis.call('HSET', jk, 'state', QUEUED, 'attempts', 0, 'queued', now)\n"
"redis.call('HDEL', jk, 'finished', 'due', 'delay', 'consumer',\n"
"  'started')\n"
"redis.call('LPUSH', K_QUEUE, id)\n"
"ev(id, QUEUED, 'requeued')\n"
"return 1\n",
	NULL
};

/* ARGV: P.  Deletes up to 500 dead jobs; returns how many. */
static const char *const purge_lua[] = {
PRELUDE
"local ids = redis.call('ZRANGE', K_DEAD, 0, 499)\n"
"for _, id in ipairs(ids) do\n"
"  local jk = k_job(id)\n"
"  local idem = redis.call('HGET', jk, 'idem')\n"
"  if idem then redis.call('DEL', k_idem(idem)) end\n"
"  redis.call('DEL', jk)\n"
"  redis.call('ZREM', K_DEAD, id)\n"
"end\n"
"return #ids\n",
	NULL
};

/*
 * ARGV: P, retention ms.  {queued, delayed, dead, done, consumers,
 * active, done in the last minute, now}.
 */
static const char *const stats_lua[] = {
PRELUDE
"local now = now_ms()\n"
"local active = 0\n"
"for _, c in ipairs(redis.call('ZRANGE', K_CONSUMERS, 0, -1)) do\n"
"  active = active + redis.call('LLEN', k_c(c))\n"
"end\n"
"return {redis.call('LLEN', K_QUEUE),\n"
"  redis.call('ZCARD', K_DELAYED), redis.call('ZCARD', K_DEAD),\n"
"  redis.call('ZCOUNT', K_DONE, now - tonumber(ARGV[2]), '+inf'),\n"
"  redis.call('ZCARD', K_CONSUMERS), active,\n"
"  redis.call('ZCOUNT', K_DONE, now - 60000, '+inf'), now}\n",
	NULL
};

/* ARGV: P.  {name, last beat, deadline, jobs held, ...}, now last. */
static const char *const consumers_lua[] = {
PRELUDE
"local out = {}\n"
"local cs = redis.call('ZRANGE', K_CONSUMERS, 0, -1, 'WITHSCORES')\n"
"for i = 1, #cs, 2 do\n"
"  local c = cs[i]\n"
"  out[#out + 1] = c\n"
"  out[#out + 1] = tonumber(redis.call('HGET', K_BEATS, c) or '0')\n"
"  out[#out + 1] = tonumber(cs[i + 1])\n"
"  out[#out + 1] = redis.call('LLEN', k_c(c))\n"
"end\n"
"out[#out + 1] = now_ms()\n"
"return out\n",
	NULL
};

const char *const *const q_scripts[Q_NSCRIPTS] = {
	[QS_PUSH] = push_lua,
	[QS_START] = start_lua,
	[QS_BEAT] = beat_lua,
	[QS_SETTLE] = settle_lua,
	[QS_STOP] = stop_lua,
	[QS_REAP] = reap_lua,
	[QS_REQUEUE] = requeue_lua,
	[QS_PURGE] = purge_lua,
	[QS_STATS] = stats_lua,
	[QS_CONSUMERS] = consumers_lua,
	[QS_NEXT] = next_lua,
};
