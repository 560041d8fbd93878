"""Benchmark peer: the Flask-SocketIO design of the app Reprise replaces.

Sessions live in an in-memory dict keyed by video path, one dict per instance; rooms per
session; emits go through Redis (`message_queue`) so that several instances can reach
each other's clients. Nothing stops two instances from running the same video at once,
and a watcher that comes back gets the current progress but none of the events it
missed: both flaws are the original's, kept on purpose.

async_mode "threading" (a thread per connection, websockets through simple-websocket) on
Werkzeug's threaded server: Flask-SocketIO's default today. REPRISE_LEASE_TTL_MS and
REPRISE_RETAIN_EVENTS are read for parity but unused: the original had no lease and no
event log.
"""

import logging
import os
import secrets
import threading
import time

from flask import Flask, jsonify
from flask_socketio import SocketIO, emit, join_room, leave_room, rooms
from werkzeug.serving import make_server


def env_int(name, default):
    try:
        value = int(os.environ.get(name, ""))
        return value if value >= 0 else default
    except ValueError:
        return default


LISTEN = os.environ.get("REPRISE_LISTEN", "127.0.0.1:8080")
REDIS_URL = os.environ.get("REPRISE_REDIS_URL", "redis://127.0.0.1:6379")
MEDIA_ROOT = os.path.realpath(os.environ.get("REPRISE_MEDIA_ROOT", "./media"))
STEPS = max(1, env_int("REPRISE_SIMULATED_STEPS", 100))
STEP_MS = env_int("REPRISE_SIMULATED_STEP_MS", 50)
LEASE_TTL_MS = env_int("REPRISE_LEASE_TTL_MS", 10000)  # unused, see above
RETAIN_EVENTS = env_int("REPRISE_RETAIN_EVENTS", 1000)  # unused, see above
MAX_PAYLOAD = env_int("REPRISE_MAX_PAYLOAD_BYTES", 65536)
PREFIX = os.environ.get("REPRISE_REDIS_PREFIX", "peer")

app = Flask(__name__)
socketio = SocketIO(
    app,
    async_mode="threading",
    message_queue=REDIS_URL,
    channel=f"{PREFIX}-flask-socketio",
    max_http_buffer_size=MAX_PAYLOAD,
)

sessions = {}  # canonical video path -> session (this instance's only)
sessions_by_id = {}
sessions_lock = threading.Lock()


class RequestError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


def resolve_video(path):
    """The canonical path of a video relative to the media root, or RequestError."""
    if not isinstance(path, str):
        raise RequestError("bad_request", "video_path must be a string")
    if not path or "\0" in path or len(path.encode("utf-8", "surrogatepass")) > 1024:
        raise RequestError("invalid_path", "video_path is empty, too long or contains NUL")
    root = MEDIA_ROOT + os.sep
    lexical = os.path.normpath(os.path.join(MEDIA_ROOT, path))
    if not lexical.startswith(root):
        raise RequestError("invalid_path", "video_path escapes the media root")
    real = os.path.realpath(lexical)
    if not real.startswith(root):
        raise RequestError("invalid_path", "video_path escapes the media root")
    if not os.path.exists(real):
        raise RequestError("not_found", "no such video")
    if not os.path.isfile(real):
        raise RequestError("invalid_path", "video_path is not a regular file")
    return os.path.relpath(real, MEDIA_ROOT)


def snapshot(session):
    return {
        "session_id": session["id"],
        "video_path": session["video_path"],
        "seq": session["seq"],
        "status": session["status"],
        "progress": session["progress"],
        "ts": int(time.time() * 1000),
    }


def reply(name, payload):
    """The reply as the named event to the requester; the return value is the ack."""
    emit(name, payload)
    return {"event": name, **payload}


def error(code, message):
    return reply("processing_error", {"code": code, "message": message})


def publish(session, name, status, progress, **extra):
    """Numbers the event and emits it to the session's room (through Redis)."""
    with session["lock"]:
        session["seq"] += 1
        session["status"] = status
        session["progress"] = progress
        payload = {**snapshot(session), **extra}
        socketio.emit(name, payload, to=session["id"])
    return payload


def run(session):
    """The simulated processor: STEPS progress events STEP_MS apart, then complete."""
    start = time.monotonic()
    for step in range(1, STEPS + 1):
        socketio.sleep(max(0.0, start + step * STEP_MS / 1000 - time.monotonic()))
        if session["status"] != "processing":
            return
        publish(session, "progress", "processing", step * 100 / STEPS,
                stage="simulating", eta_s=(STEPS - step) * STEP_MS / 1000)
    if session["status"] == "processing":
        session["result"] = {"outputs": [], "simulated": True, "steps": STEPS}
        publish(session, "processing_complete", "complete", 100.0, result=session["result"])


@socketio.on("start_processing")
def start_processing(data=None):
    if not isinstance(data, dict) or not isinstance(data.get("force", False), bool):
        return error("bad_request", "expected {video_path, force?: bool}")
    try:
        video = resolve_video(data.get("video_path"))
    except RequestError as e:
        return error(e.code, e.message)
    with sessions_lock:
        session = sessions.get(video)
        if session and session["status"] == "processing":
            join_room(session["id"])
            return reply("resume_session", {**snapshot(session), "message": "Resuming existing session"})
        if session and session["status"] == "complete" and not data.get("force"):
            return reply("processing_complete", {**snapshot(session), "result": session["result"]})
        session = {
            "id": secrets.token_urlsafe(16), "video_path": video, "status": "processing",
            "progress": 0.0, "seq": 0, "result": None, "lock": threading.Lock(),
        }
        sessions[video] = session
        sessions_by_id[session["id"]] = session
    join_room(session["id"])
    payload = publish(session, "processing_started", "processing", 0.0)
    socketio.start_background_task(run, session)
    return {"event": "processing_started", **payload}


@socketio.on("join_session")
def join_session(data=None):
    if not isinstance(data, dict) or not isinstance(data.get("session_id"), str):
        return error("bad_request", "expected {session_id, last_seq?: int}")
    session = sessions_by_id.get(data["session_id"])
    if session is None:
        return error("unknown_session", "no such session")
    join_room(session["id"])
    return reply("resume_session", {**snapshot(session), "message": "Resuming existing session"})


@socketio.on("leave_session")
def leave_session(data=None):
    if not isinstance(data, dict) or not isinstance(data.get("session_id"), str):
        return error("bad_request", "expected {session_id}")
    leave_room(data["session_id"])
    return {"event": "leave_session", "session_id": data["session_id"]}


@socketio.on("cancel_processing")
def cancel_processing(data=None):
    if not isinstance(data, dict) or not isinstance(data.get("session_id"), str):
        return error("bad_request", "expected {session_id}")
    session = sessions_by_id.get(data["session_id"])
    if session is None:
        return error("unknown_session", "no such session")
    if session["status"] != "processing":
        return error("bad_request", f"session is already {session['status']}")
    payload = publish(session, "processing_cancelled", "cancelled", session["progress"])
    if session["id"] not in rooms():
        emit("processing_cancelled", payload)
    return {"event": "processing_cancelled", **payload}


@app.get("/healthz")
def healthz():
    return jsonify(status="ok")


def main():
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    host, _, port = LISTEN.rpartition(":")
    server = make_server(host.strip("[]"), int(port), app, threaded=True)
    print(f"listening {LISTEN.rpartition(':')[0]}:{server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
