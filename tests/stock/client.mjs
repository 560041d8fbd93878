// The stock `socket.io-client` against a reprise server (driven by tests/api/stock_clients.rs).
//
//   node client.mjs URL MODE VIDEO [RESUME_URL]
//
// MODE `websocket` uses only the websocket transport; `default` is the client's own
// start: HTTP long-polling, then an upgrade to websocket. The reconnect goes to
// RESUME_URL (default URL). Prints one JSON line of findings; exits 1 on any violation.
// Resolves `socket.io-client` from beside this file: the tests copy it next to an
// `npm ci` of package.json + package-lock.json.
import { isDeepStrictEqual } from "node:util";
import { io } from "socket.io-client";

const [url, mode, video, resumeUrl = url] = process.argv.slice(2);
const OVERALL_MS = 20_000;
const WAIT_MS = 5_000;
const trace = [];

function fail(message) {
  console.error(`node client (${mode}): ${message}\nreceived: ${trace.join(" ")}`);
  process.exit(1);
}

function check(condition, message) {
  if (!condition) fail(message);
}

function within(ms, promise, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Connects a new socket (own manager, no auto-reconnect) and queues every event it gets. */
async function connect(target) {
  const transports = mode === "websocket" ? ["websocket"] : ["polling", "websocket"];
  const socket = io(target, { forceNew: true, reconnection: false, transports, timeout: WAIT_MS });
  const queue = [];
  const waiters = [];
  socket.onAny((name, data) => {
    trace.push(`${name}#${data?.seq ?? "-"}`);
    const waiter = waiters.shift();
    if (waiter) waiter({ name, data });
    else queue.push({ name, data });
  });
  const next = (what = "event") =>
    within(WAIT_MS, queue.length ? Promise.resolve(queue.shift()) : new Promise((r) => waiters.push(r)), what);
  // The manager opens its engine at once: this is the first transport, before any upgrade.
  const engine = socket.io.engine;
  const startedOver = engine.transport.name;
  let upgradeError = null;
  engine.on("upgradeError", (err) => (upgradeError = err));
  const upgraded =
    startedOver === "websocket"
      ? Promise.resolve(false)
      : new Promise((resolve) => engine.once("upgrade", () => resolve(true)));
  await within(
    WAIT_MS,
    new Promise((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("connect_error", (err) => reject(new Error(`connect_error: ${err.message}`)));
    }),
    `connect to ${target}`,
  );
  const awaitUpgrade = async () => {
    if (mode !== "default") return false;
    try {
      return await within(WAIT_MS, upgraded, "upgrade to websocket");
    } catch (err) {
      fail(`${err.message} (still on ${engine.transport.name}; upgradeError: ${upgradeError?.message ?? "none"})`);
    }
  };
  return { socket, next, queue, startedOver, awaitUpgrade, transport: () => engine.transport.name };
}

/** Asks for a reply with an ack and checks the named event and the ack agree. */
async function request(conn, event, payload, expected) {
  const ack = conn.socket.timeout(WAIT_MS).emitWithAck(event, payload);
  const reply = await conn.next(`reply to ${event}`);
  check(reply.name === expected, `${event} answered ${reply.name}, expected ${expected}: ${JSON.stringify(reply.data)}`);
  let ackArg;
  try {
    ackArg = await ack;
  } catch (err) {
    fail(`no ack for ${event}: ${err.message}`);
  }
  const { event: ackEvent, ...ackPayload } = ackArg ?? {};
  check(ackEvent === expected, `ack of ${event} names ${JSON.stringify(ackEvent)}: ${JSON.stringify(ackArg)}`);
  check(
    isDeepStrictEqual(ackPayload, reply.data),
    `ack payload ${JSON.stringify(ackPayload)} differs from event ${JSON.stringify(reply.data)}`,
  );
  return reply.data;
}

async function main() {
  check(url && ["websocket", "default"].includes(mode) && video, "usage: client.mjs URL websocket|default VIDEO [RESUME_URL]");

  const first = await connect(url);
  const started = await request(first, "start_processing", { video_path: video }, "processing_started");
  const sessionId = started.session_id;
  check(typeof sessionId === "string" && started.seq === 1, `bad processing_started: ${JSON.stringify(started)}`);
  let lastSeq = started.seq;
  let progress = started.progress;
  let events = 1;
  while (lastSeq < 3) {
    const { name, data } = await first.next("progress");
    check(name === "progress" && data.seq === lastSeq + 1, `expected progress #${lastSeq + 1}, got ${name}#${data?.seq}`);
    check(data.progress >= progress, `progress went back from ${progress} to ${data.progress}`);
    [lastSeq, progress, events] = [data.seq, data.progress, events + 1];
  }
  const upgraded = await first.awaitUpgrade();
  const transport = first.transport();
  first.socket.disconnect();
  const leftAt = lastSeq;
  await sleep(300);

  const second = await connect(resumeUrl);
  second.socket.emit("join_session", { session_id: sessionId, last_seq: leftAt });
  const resumed = await second.next("resume_session");
  check(resumed.name === "resume_session", `join_session answered ${resumed.name}: ${JSON.stringify(resumed.data)}`);
  check(resumed.data.session_id === sessionId, `resumed another session: ${resumed.data.session_id}`);
  check(resumed.data.seq === leftAt, `resume_session seq ${resumed.data.seq}, expected ${leftAt}`);
  check(resumed.data.message === "Resuming existing session", `resume message ${JSON.stringify(resumed.data.message)}`);
  progress = Math.max(progress, resumed.data.progress);
  for (;;) {
    const { name, data } = await second.next("event after resume");
    check(["progress", "processing_complete"].includes(name), `unexpected ${name}: ${JSON.stringify(data)}`);
    check(data.session_id === sessionId, `${name} of another session ${data.session_id}`);
    check(data.seq === lastSeq + 1, `${name} has seq ${data.seq}, expected ${lastSeq + 1} (gap or duplicate)`);
    check(data.progress >= progress, `progress went back from ${progress} to ${data.progress}`);
    [lastSeq, progress, events] = [data.seq, data.progress, events + 1];
    if (name === "processing_complete") break;
  }
  await sleep(300);
  const resumeUpgraded = await second.awaitUpgrade();
  check(second.queue.length === 0, `events after processing_complete: ${second.queue.map((e) => e.name).join(" ")}`);

  const refused = await request(second, "start_processing", { video_path: 5 }, "processing_error");
  check(refused.code === "bad_request", `invalid request got code ${JSON.stringify(refused.code)}`);
  const resumeTransport = second.transport();
  second.socket.disconnect();

  const findings = {
    client: "node",
    mode,
    started_over: first.startedOver,
    transport,
    upgraded,
    resume_transport: resumeTransport,
    resume_upgraded: resumeUpgraded,
    events,
    first_seq: started.seq,
    left_at: leftAt,
    last_seq: lastSeq,
    progress,
    refused: refused.code,
  };
  console.log(JSON.stringify(findings));
  process.exit(0);
}

setTimeout(() => fail(`not done within ${OVERALL_MS} ms`), OVERALL_MS).unref();
main().catch((err) => fail(err.stack ?? String(err)));
