'use strict';
// Benchmark peer: the Reprise Socket.IO contract (shared/PROTOCOL.md) written the way a
// Node team would, with socket.io 4.8 + @socket.io/redis-adapter + ioredis. One process
// per instance; instances share state through one Redis:
//   <prefix>:lock:<video>    SET NX PX lease, value = session id (renewed by the owner)
//   <prefix>:video:<video>   id of the video's latest session
//   <prefix>:session:<id>    hash: session_id, video_path, status, progress, seq, result
//   <prefix>:events:<id>     stream of events, entry id "<seq>-0", MAXLEN ~ RETAIN
// Events go to the room <id> on every instance through the Redis adapter.
const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const { Server } = require('socket.io');
const { createAdapter } = require('@socket.io/redis-adapter');
const Redis = require('ioredis');

const env = (name, dflt) => process.env[name] ?? dflt;
const int = (name, dflt) => {
  const n = Number.parseInt(env(name, ''), 10);
  return Number.isFinite(n) && n >= 0 ? n : dflt;
};
const LISTEN = env('REPRISE_LISTEN', '127.0.0.1:8080');
const REDIS_URL = env('REPRISE_REDIS_URL', 'redis://127.0.0.1:6379');
const MEDIA_ROOT = fs.realpathSync(path.resolve(env('REPRISE_MEDIA_ROOT', './media')));
const STEPS = Math.max(1, int('REPRISE_SIMULATED_STEPS', 100));
const STEP_MS = int('REPRISE_SIMULATED_STEP_MS', 50);
const LEASE_TTL_MS = Math.max(100, int('REPRISE_LEASE_TTL_MS', 10000));
const RETAIN = Math.max(1, int('REPRISE_RETAIN_EVENTS', 1000));
const MAX_PAYLOAD = int('REPRISE_MAX_PAYLOAD_BYTES', 65536);
const PREFIX = env('REPRISE_REDIS_PREFIX', 'peer');
const FINISHED_TTL_MS = 3600 * 1000; // keep finished sessions an hour
const TERMINAL = new Set(['complete', 'failed', 'cancelled']);

const k = {
  lock: (video) => `${PREFIX}:lock:${video}`,
  video: (video) => `${PREFIX}:video:${video}`,
  session: (id) => `${PREFIX}:session:${id}`,
  events: (id) => `${PREFIX}:events:${id}`,
};

// --- Redis -------------------------------------------------------------------------
const redis = new Redis(REDIS_URL, { enableAutoPipelining: true });
const sub = redis.duplicate();

// Appends one event: HINCRBY seq, update status/progress, XADD "<seq>-0" with the full
// JSON payload. Refuses (returns 0) once the session is terminal, so a run that was
// cancelled elsewhere stops writing; a terminal event also drops the lease.
// KEYS: session, events, lock. ARGV: name, status, progress, json tail (payload without
// its leading "{"), maxlen, terminal?, result json, finished ttl.
redis.defineCommand('appendEvent', {
  numberOfKeys: 3,
  lua: `
local st = redis.call('HGET', KEYS[1], 'status')
if not st then return -1 end
if st == 'complete' or st == 'failed' or st == 'cancelled' then return 0 end
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
redis.call('HSET', KEYS[1], 'status', ARGV[2], 'progress', ARGV[3])
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[5], seq .. '-0',
  'e', ARGV[1], 'd', '{"seq":' .. seq .. ',' .. ARGV[4])
if ARGV[6] == '1' then
  if ARGV[7] ~= '' then redis.call('HSET', KEYS[1], 'result', ARGV[7]) end
  if redis.call('GET', KEYS[3]) == redis.call('HGET', KEYS[1], 'session_id') then
    redis.call('DEL', KEYS[3])
  end
  redis.call('PEXPIRE', KEYS[1], ARGV[8])
  redis.call('PEXPIRE', KEYS[2], ARGV[8])
end
return seq`,
});

// The claim: SET lock NX PX; the winner creates the session with processing_started as
// seq 1. Returns {"created", id}, {"running", holder id} or {"complete", id}.
// KEYS: lock, video. ARGV: new id, ttl, force, session key prefix, event key prefix,
// video path, json tail of processing_started (without "{"seq":1,"), maxlen.
redis.defineCommand('claim', {
  numberOfKeys: 2,
  lua: `
local holder = redis.call('GET', KEYS[1])
if holder then return {'running', holder} end
if ARGV[3] ~= '1' then
  local last = redis.call('GET', KEYS[2])
  if last and redis.call('HGET', ARGV[4] .. last, 'status') == 'complete' then
    return {'complete', last}
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2])
redis.call('SET', KEYS[2], ARGV[1])
redis.call('HSET', ARGV[4] .. ARGV[1], 'session_id', ARGV[1], 'video_path', ARGV[6],
  'status', 'processing', 'progress', '0', 'seq', 1)
redis.call('XADD', ARGV[5] .. ARGV[1], 'MAXLEN', '~', ARGV[8], '1-0',
  'e', 'processing_started', 'd', '{"seq":1,' .. ARGV[7])
return {'created', ARGV[1]}`,
});

// Compare-and-renew of the lease. KEYS: lock. ARGV: id, ttl.
redis.defineCommand('renewLease', {
  numberOfKeys: 1,
  lua: `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0`,
});

// --- helpers -----------------------------------------------------------------------
class ReqError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

// Canonical path of a video relative to the media root, or a ReqError.
async function resolveVideo(p) {
  if (typeof p !== 'string') throw new ReqError('bad_request', 'video_path must be a string');
  if (p.length === 0 || p.includes('\0') || Buffer.byteLength(p) > 1024) {
    throw new ReqError('invalid_path', 'video_path is empty, too long or contains NUL');
  }
  const inside = (abs) => abs.startsWith(MEDIA_ROOT + path.sep);
  const abs = path.resolve(MEDIA_ROOT, p);
  if (!inside(abs)) throw new ReqError('invalid_path', 'video_path escapes the media root');
  let real;
  try {
    real = await fs.promises.realpath(abs);
  } catch (e) {
    if (e.code === 'ENOENT' || e.code === 'ENOTDIR') throw new ReqError('not_found', 'no such video');
    throw new ReqError('invalid_path', 'video_path cannot be resolved');
  }
  if (!inside(real)) throw new ReqError('invalid_path', 'video_path escapes the media root');
  const st = await fs.promises.stat(real);
  if (!st.isFile()) throw new ReqError('invalid_path', 'video_path is not a regular file');
  return path.relative(MEDIA_ROOT, real).split(path.sep).join('/');
}

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const isSeq = (v) => v === undefined || v === null || (Number.isSafeInteger(v) && v >= 0);

function snapshot(h) {
  return {
    session_id: h.session_id,
    video_path: h.video_path,
    seq: Number(h.seq),
    status: h.status,
    progress: Number(h.progress),
    ts: Date.now(),
  };
}

// The reply as the named event, and as the ack's argument if the client asked for one.
function reply(socket, ack, name, payload) {
  socket.emit(name, payload);
  if (ack) ack({ event: name, ...payload });
}

function replyError(socket, ack, err) {
  const code = err instanceof ReqError ? err.code : 'unavailable';
  if (!(err instanceof ReqError)) console.error('request failed:', err);
  reply(socket, ack, 'processing_error', { code, message: err.message });
}

// Events this instance is writing: id -> { inflight, emitted } (the last seq it emitted).
// A joiner on this instance replays only up to `emitted` while a write is in flight: the
// rest reaches it live through the room.
const local = new Map();

// Records an event in Redis (seq, stream) and emits it to the session's room on every
// instance. Returns the seq, or 0 if the session is already terminal.
async function publish(id, video, name, status, progress, extra = {}, result = null) {
  const body = { session_id: id, video_path: video, status, progress, ts: Date.now(), ...extra };
  if (result) body.result = result;
  const terminal = TERMINAL.has(status);
  const mine = local.get(id) ?? { inflight: 0, emitted: 0 };
  local.set(id, mine);
  mine.inflight++;
  try {
    const seq = await redis.appendEvent(
      k.session(id), k.events(id), k.lock(video),
      name, status, String(progress), JSON.stringify(body).slice(1), RETAIN,
      terminal ? '1' : '0', result ? JSON.stringify(result) : '', FINISHED_TTL_MS,
    );
    if (seq > 0) {
      io.to(id).emit(name, { seq, ...body });
      mine.emitted = Math.max(mine.emitted, seq);
    }
    return seq;
  } finally {
    if (--mine.inflight === 0 && !runs.has(id)) local.delete(id);
  }
}

// --- the simulated processor ---------------------------------------------------------
const runs = new Map(); // session id -> { stopped } for the runs this instance owns
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function run(id, video) {
  const state = { stopped: false };
  runs.set(id, state);
  const renew = setInterval(() => {
    redis.renewLease(k.lock(video), id, LEASE_TTL_MS).then(
      (ok) => { if (!ok) state.stopped = true; },
      (e) => console.error('lease renewal failed:', e.message),
    );
  }, Math.max(1, Math.floor(LEASE_TTL_MS / 3)));
  try {
    const start = Date.now();
    for (let step = 1; step <= STEPS; step++) {
      await sleep(Math.max(0, start + step * STEP_MS - Date.now()));
      if (state.stopped) return;
      const progress = (step * 100) / STEPS;
      const extra = { stage: 'simulating', eta_s: ((STEPS - step) * STEP_MS) / 1000 };
      if ((await publish(id, video, 'progress', 'processing', progress, extra)) <= 0) return;
    }
    if (state.stopped) return;
    const result = { outputs: [], simulated: true, steps: STEPS };
    await publish(id, video, 'processing_complete', 'complete', 100, {}, result);
  } catch (e) {
    console.error(`run ${id} failed:`, e);
    await publish(id, video, 'processing_error', 'failed', 0, {
      code: 'processing_failed', message: String(e.message),
    }).catch(() => {});
  } finally {
    clearInterval(renew);
    runs.delete(id);
    if (!local.get(id)?.inflight) local.delete(id);
  }
}

// --- join + replay -------------------------------------------------------------------
// Joins the room first, then reads the snapshot and the missed events in one MULTI, so
// nothing falls between the read and the live stream. Live events that reach the socket
// meanwhile are noted (outgoing listener) and not replayed again: dedupe by seq.
async function joinAndReplay(socket, ack, id, lastSeq) {
  const seen = new Set();
  const spy = (event, payload) => {
    if (payload && payload.session_id === id) seen.add(payload.seq);
  };
  const wasIn = socket.rooms.has(id);
  socket.onAnyOutgoing(spy);
  socket.join(id);
  try {
    const m = redis.multi().hgetall(k.session(id));
    if (lastSeq != null) m.xrange(k.events(id), `${lastSeq + 1}-0`, '+');
    const res = await m.exec();
    socket.offAnyOutgoing(spy); // from here on, nothing awaits: the replay goes out at once
    const h = res[0][1];
    if (!h || !h.session_id) {
      if (!wasIn) socket.leave(id);
      throw new ReqError('unknown_session', 'no such session');
    }
    const snap = snapshot(h);
    const entries = lastSeq != null ? res[1][1] : [];
    const mine = local.get(id);
    const cap = mine && mine.inflight > 0 ? mine.emitted : Infinity;
    const missed = lastSeq != null && lastSeq < snap.seq;
    const gap = missed && (entries.length === 0 || Number(entries[0][0].split('-')[0]) > lastSeq + 1);
    const body = { ...snap, message: 'Resuming existing session' };
    if (gap) body.gap = true;
    reply(socket, ack, 'resume_session', body);
    if (missed && !gap) {
      for (const [, fields] of entries) {
        const ev = JSON.parse(fields[3]);
        if (ev.seq <= cap && !seen.has(ev.seq)) socket.emit(fields[1], ev);
      }
    }
  } finally {
    socket.offAnyOutgoing(spy);
  }
}

// --- handlers ------------------------------------------------------------------------
async function startProcessing(socket, ack, p) {
  if (!isObject(p) || (p.force !== undefined && typeof p.force !== 'boolean') || !isSeq(p.last_seq)) {
    throw new ReqError('bad_request', 'expected {video_path, force?: bool, last_seq?: int}');
  }
  const video = await resolveVideo(p.video_path);
  const id = crypto.randomBytes(16).toString('base64url');
  const ts = Date.now();
  const tail = JSON.stringify({ session_id: id, video_path: video, status: 'processing', progress: 0, ts }).slice(1);
  const [outcome, sid] = await redis.claim(
    k.lock(video), k.video(video),
    id, LEASE_TTL_MS, p.force ? '1' : '0', `${PREFIX}:session:`, `${PREFIX}:events:`, video, tail, RETAIN,
  );
  if (outcome === 'created') {
    socket.join(id);
    const payload = { seq: 1, session_id: id, video_path: video, status: 'processing', progress: 0, ts };
    io.to(id).emit('processing_started', payload);
    if (ack) ack({ event: 'processing_started', ...payload });
    local.set(id, { inflight: 0, emitted: 1 });
    run(id, video);
  } else if (outcome === 'complete') {
    const h = await redis.hgetall(k.session(sid));
    reply(socket, ack, 'processing_complete', { ...snapshot(h), result: JSON.parse(h.result || '{}') });
  } else {
    await joinAndReplay(socket, ack, sid, p.last_seq ?? null);
  }
}

async function joinSession(socket, ack, p) {
  if (!isObject(p) || typeof p.session_id !== 'string' || !isSeq(p.last_seq)) {
    throw new ReqError('bad_request', 'expected {session_id, last_seq?: int}');
  }
  if (p.session_id.length === 0 || p.session_id.length > 64) throw new ReqError('unknown_session', 'no such session');
  await joinAndReplay(socket, ack, p.session_id, p.last_seq ?? null);
}

async function leaveSession(socket, ack, p) {
  if (!isObject(p) || typeof p.session_id !== 'string') throw new ReqError('bad_request', 'expected {session_id}');
  socket.leave(p.session_id);
  if (ack) ack({ event: 'leave_session', session_id: p.session_id });
}

async function cancelProcessing(socket, ack, p) {
  if (!isObject(p) || typeof p.session_id !== 'string') throw new ReqError('bad_request', 'expected {session_id}');
  const id = p.session_id;
  const h = id.length > 0 && id.length <= 64 ? await redis.hgetall(k.session(id)) : {};
  if (!h.session_id) throw new ReqError('unknown_session', 'no such session');
  if (TERMINAL.has(h.status)) throw new ReqError('bad_request', `session is already ${h.status}`);
  const run = runs.get(id);
  if (run) run.stopped = true;
  const seq = await publish(id, h.video_path, 'processing_cancelled', 'cancelled', Number(h.progress));
  if (seq <= 0) throw new ReqError('bad_request', 'session is already finished');
  const payload = { ...snapshot(h), seq, status: 'cancelled' };
  if (!socket.rooms.has(id)) socket.emit('processing_cancelled', payload);
  if (ack) ack({ event: 'processing_cancelled', ...payload });
}

const handlers = {
  start_processing: startProcessing,
  join_session: joinSession,
  leave_session: leaveSession,
  cancel_processing: cancelProcessing,
};

// --- servers -------------------------------------------------------------------------
const httpServer = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/healthz') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"status":"ok"}');
    return;
  }
  res.writeHead(404, { 'content-type': 'application/json' }); // socket.io takes /socket.io/
  res.end('{"code":"not_found","message":"no such route"}');
});

const io = new Server(httpServer, {
  serveClient: false,
  maxHttpBufferSize: MAX_PAYLOAD,
  adapter: createAdapter(redis, sub, { key: `${PREFIX}-socket.io` }),
});

io.on('connection', (socket) => {
  socket.onAny((event, ...args) => {
    if (handlers[event]) return;
    const ack = typeof args[args.length - 1] === 'function' ? args.pop() : null;
    replyError(socket, ack, new ReqError('bad_request', `unknown event ${String(event).slice(0, 64)}`));
  });
  for (const [event, handler] of Object.entries(handlers)) {
    socket.on(event, (...args) => {
      const ack = typeof args[args.length - 1] === 'function' ? args.pop() : null;
      handler(socket, ack, args[0]).catch((err) => replyError(socket, ack, err));
    });
  }
});

const lastColon = LISTEN.lastIndexOf(':');
const host = LISTEN.slice(0, lastColon).replace(/^\[|\]$/g, '');
const port = Number(LISTEN.slice(lastColon + 1));
Promise.all([redis.ping(), sub.ping()]).then(() => {
  httpServer.listen({ host, port, backlog: 4096 }, () => {
    const a = httpServer.address();
    console.log(`listening ${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`);
  });
}, (e) => {
  console.error('cannot reach Redis:', e.message);
  process.exit(1);
});

// SIGTERM/SIGINT: stop the runs (their leases expire), close sockets and Redis, exit 0.
function shutdown() {
  for (const r of runs.values()) r.stopped = true;
  io.close();
  redis.quit().catch(() => {});
  sub.quit().catch(() => {});
  setTimeout(() => process.exit(0), 200).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
