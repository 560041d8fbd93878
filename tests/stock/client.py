"""The stock python-socketio AsyncClient against a reprise server
(driven by tests/api/stock_clients.rs).

    python3 client.py URL MODE VIDEO [RESUME_URL]

MODE `websocket` uses only the websocket transport; `default` is the client's own
start: HTTP long-polling, then an upgrade to websocket. The reconnect goes to
RESUME_URL (default URL). Prints one JSON line of findings; exits 1 on any violation.
Needs the packages pinned in requirements.txt on PYTHONPATH.
"""

import asyncio
import json
import logging
import sys

import socketio

OVERALL_S = 20
WAIT_S = 5


class Violation(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Violation(message)


class EngineLog(logging.Handler):
    """The Engine.IO client's log: the only place it tells how a connection
    started and whether it upgraded. Warnings are kept for the failure message."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.lines = []
        self.warnings = []

    def emit(self, record):
        line = record.getMessage()
        self.lines.append(line)
        if record.levelno >= logging.WARNING:
            self.warnings.append(line)

    def saw(self, prefix):
        return any(line.startswith(prefix) for line in self.lines)


ENGINE_LOG = EngineLog()
_engine_logger = logging.getLogger("engineio.client")
_engine_logger.setLevel(logging.INFO)
_engine_logger.addHandler(ENGINE_LOG)


class Connection:
    """One new client (no auto-reconnect) that queues every event it gets."""

    def __init__(self, mode, trace):
        self.mode = mode
        self.sio = socketio.AsyncClient(reconnection=False)
        self.queue = asyncio.Queue()

        @self.sio.on("*")
        async def any_event(name, data=None):
            seq = data.get("seq", "-") if isinstance(data, dict) else "-"
            trace.append(f"{name}#{seq}")
            self.queue.put_nowait((name, data))

    async def connect(self, url):
        ENGINE_LOG.lines.clear()
        transports = ["websocket"] if self.mode == "websocket" else None
        try:
            await self.sio.connect(url, transports=transports, wait_timeout=WAIT_S)
        except socketio.exceptions.ConnectionError as error:
            raise Violation(f"cannot connect to {url}: {error}") from None
        # The upgrade, if any, completes inside connect().
        self.started_over = "polling" if ENGINE_LOG.saw("Polling connection accepted") else "websocket"
        self.upgraded = ENGINE_LOG.saw("WebSocket upgrade was successful")
        if self.mode == "default":
            check(self.upgraded, f"no upgrade to websocket; engine.io log: {ENGINE_LOG.lines}")
        return self

    async def next(self, what="event"):
        try:
            return await asyncio.wait_for(self.queue.get(), WAIT_S)
        except asyncio.TimeoutError:
            raise Violation(f"no {what} within {WAIT_S} s") from None

    async def request(self, event, payload, expected):
        """Asks for a reply with an ack and checks the named event and the ack agree."""
        ack = asyncio.ensure_future(self.sio.call(event, payload, timeout=WAIT_S))
        name, data = await self.next(f"reply to {event}")
        check(name == expected, f"{event} answered {name}, expected {expected}: {data}")
        try:
            ack_arg = await ack
        except socketio.exceptions.TimeoutError:
            raise Violation(f"no ack for {event} within {WAIT_S} s") from None
        check(isinstance(ack_arg, dict), f"ack of {event} is not an object: {ack_arg!r}")
        ack_payload = dict(ack_arg)
        ack_event = ack_payload.pop("event", None)
        check(ack_event == expected, f"ack of {event} names {ack_event!r}: {ack_arg}")
        check(ack_payload == data, f"ack payload {ack_payload} differs from event {data}")
        return data


async def scenario(url, mode, video, resume_url, trace):
    first = await Connection(mode, trace).connect(url)
    started = await first.request("start_processing", {"video_path": video}, "processing_started")
    session_id = started["session_id"]
    check(isinstance(session_id, str) and started["seq"] == 1, f"bad processing_started: {started}")
    last_seq, progress, events = started["seq"], started["progress"], 1
    while last_seq < 3:
        name, data = await first.next("progress")
        check(name == "progress" and data["seq"] == last_seq + 1, f"expected progress #{last_seq + 1}, got {name}: {data}")
        check(data["progress"] >= progress, f"progress went back from {progress} to {data['progress']}")
        last_seq, progress, events = data["seq"], data["progress"], events + 1
    transport = first.sio.transport()
    await first.sio.disconnect()
    left_at = last_seq
    await asyncio.sleep(0.3)

    second = await Connection(mode, trace).connect(resume_url)
    await second.sio.emit("join_session", {"session_id": session_id, "last_seq": left_at})
    name, resumed = await second.next("resume_session")
    check(name == "resume_session", f"join_session answered {name}: {resumed}")
    check(resumed["session_id"] == session_id, f"resumed another session: {resumed['session_id']}")
    check(resumed["seq"] == left_at, f"resume_session seq {resumed['seq']}, expected {left_at}")
    check(resumed["message"] == "Resuming existing session", f"resume message {resumed['message']!r}")
    progress = max(progress, resumed["progress"])
    while True:
        name, data = await second.next("event after resume")
        check(name in ("progress", "processing_complete"), f"unexpected {name}: {data}")
        check(data["session_id"] == session_id, f"{name} of another session {data['session_id']}")
        check(data["seq"] == last_seq + 1, f"{name} has seq {data['seq']}, expected {last_seq + 1} (gap or duplicate)")
        check(data["progress"] >= progress, f"progress went back from {progress} to {data['progress']}")
        last_seq, progress, events = data["seq"], data["progress"], events + 1
        if name == "processing_complete":
            break
    await asyncio.sleep(0.3)
    check(second.queue.empty(), f"events after processing_complete: {second.queue.qsize()}")

    refused = await second.request("start_processing", {"video_path": 5}, "processing_error")
    check(refused.get("code") == "bad_request", f"invalid request got code {refused.get('code')!r}")
    resume_transport = second.sio.transport()
    await second.sio.disconnect()
    return {
        "client": "python",
        "mode": mode,
        "started_over": first.started_over,
        "transport": transport,
        "upgraded": first.upgraded,
        "resume_transport": resume_transport,
        "resume_upgraded": second.upgraded,
        "events": events,
        "first_seq": started["seq"],
        "left_at": left_at,
        "last_seq": last_seq,
        "progress": progress,
        "refused": refused["code"],
    }


def main():
    args = sys.argv[1:]
    if len(args) not in (3, 4) or args[1] not in ("websocket", "default"):
        sys.exit("usage: client.py URL websocket|default VIDEO [RESUME_URL]")
    url, mode, video = args[:3]
    resume_url = args[3] if len(args) == 4 else url
    trace = []
    try:
        findings = asyncio.run(asyncio.wait_for(scenario(url, mode, video, resume_url, trace), OVERALL_S))
    except (Violation, asyncio.TimeoutError, KeyError, TypeError) as error:
        reason = str(error) or f"not done within {OVERALL_S} s"
        sys.exit(
            f"python client ({mode}): {type(error).__name__}: {reason}\n"
            f"received: {' '.join(trace)}\nengine.io warnings: {ENGINE_LOG.warnings}"
        )
    print(json.dumps(findings))


if __name__ == "__main__":
    main()
