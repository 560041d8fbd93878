// The browser client: pick a video, start it, follow its progress, and resume where
// this tab left off after a dropped connection, a hidden tab or a reload.
import { SocketIo } from "./sio.js";
import { TOKEN, bytes, loadVideos, showReadiness } from "./catalog.js";

const $ = (id) => document.getElementById(id);
const KEYS = {
  id: "reprise.session_id",
  seq: "reprise.last_seq",
  video: "reprise.video_path",
  progress: "reprise.progress",
  result: "reprise.result",
};
/** Replies to a start that name the session it joined or made. */
const START_REPLIES = new Set(["processing_started", "resume_session", "processing_complete"]);
/** Replies that restate the session as of their `seq` instead of adding an event. */
const SNAPSHOTS = new Set(["resume_session", "processing_complete"]);
const RUNNING = new Set(["queued", "processing"]);

const session = {
  id: sessionStorage.getItem(KEYS.id),
  lastSeq: Number(sessionStorage.getItem(KEYS.seq) ?? 0),
  video: sessionStorage.getItem(KEYS.video) ?? "",
  progress: Number(sessionStorage.getItem(KEYS.progress) ?? 0),
  status: "",
};
/** The path of a `start_processing` not answered yet. */
let starting = null;

const scheme = location.protocol === "https:" ? "wss" : "ws";
const socket = new SocketIo(`${scheme}://${location.host}/socket.io/?EIO=4&transport=websocket`, {
  state: showConnection,
  connect: rejoin,
  event: onEvent,
  auth: TOKEN ? { token: TOKEN } : null,
});

/** On every (re)connection: resend an unanswered start, or rejoin where this tab was. */
function rejoin() {
  if (starting) {
    socket.emit("start_processing", { video_path: starting });
  } else if (session.id) {
    socket.emit("join_session", { session_id: session.id, last_seq: session.lastSeq });
  }
}

/** Starts (or, when it runs already, joins) a video, and stops following the last one. */
function start(path) {
  if (session.id) socket.emit("leave_session", { session_id: session.id });
  forget();
  starting = path;
  socket.emit("start_processing", { video_path: path });
  render();
}

function forget() {
  for (const key of Object.values(KEYS)) sessionStorage.removeItem(key);
  Object.assign(session, { id: null, lastSeq: 0, video: "", progress: 0, status: "" });
  showNotice("");
  showError("");
  showOutputs(null);
  $("stage").textContent = "";
  $("eta").textContent = "";
}

function onEvent(name, data) {
  if (name === "processing_error" && data.seq === undefined) return refused(data);
  if (data.session_id !== session.id) {
    if (!starting || !START_REPLIES.has(name)) return;
    adopt(data);
  }
  const known = SNAPSHOTS.has(name) ? data.seq < session.lastSeq : data.seq <= session.lastSeq;
  if (known) return;
  session.lastSeq = data.seq;
  session.status = data.status;
  session.progress = Math.max(session.progress, data.progress ?? 0);
  sessionStorage.setItem(KEYS.seq, String(session.lastSeq));
  sessionStorage.setItem(KEYS.progress, String(session.progress));
  apply(name, data);
  render();
}

/** Follows the session that answered this tab's start. */
function adopt(data) {
  starting = null;
  Object.assign(session, { id: data.session_id, video: data.video_path });
  sessionStorage.setItem(KEYS.id, session.id);
  sessionStorage.setItem(KEYS.video, session.video);
}

function apply(name, data) {
  switch (name) {
    case "resume_session":
      showNotice(`Resumed at ${Math.floor(data.progress)}%` +
        (data.gap ? " (some updates were too old to replay)" : ""));
      if (data.status === "complete") showOutputs(JSON.parse(sessionStorage.getItem(KEYS.result)));
      break;
    case "progress":
      $("stage").textContent = data.stage ?? "";
      $("eta").textContent = data.eta_s === undefined ? "" : `${duration(data.eta_s)} left`;
      break;
    case "processing_complete":
      sessionStorage.setItem(KEYS.result, JSON.stringify(data.result ?? {}));
      showOutputs(data.result);
      break;
    case "processing_error":
      showError(`${data.code}: ${data.message}`);
      break;
    case "processing_cancelled":
      showNotice("Cancelled");
      break;
  }
  if (!RUNNING.has(data.status)) {
    $("stage").textContent = "";
    $("eta").textContent = "";
  }
}

/** A request the server refused: nothing changed on its side. */
function refused(data) {
  starting = null;
  if (data.code === "unknown_session") {
    forget();
    showError("The session this tab followed is gone; start the video again.");
  } else {
    showError(`${data.code}: ${data.message}`);
  }
  render();
}

function render() {
  const percent = Math.floor(session.progress);
  $("job").hidden = !session.id && !starting;
  $("job-video").textContent = starting ?? session.video;
  $("bar").value = session.progress;
  $("percent").textContent = `${percent}%`;
  const status = starting ? "starting" : session.status || "resuming";
  $("status").textContent = status;
  $("status").dataset.status = status;
  $("cancel").disabled = !(session.id && RUNNING.has(session.status));
  document.title = session.id ? `${percent}% · Reprise` : "Reprise";
}

function showConnection(state) {
  $("connection").textContent = state;
  $("connection").dataset.state = state;
}

function showNotice(text) {
  $("notice").textContent = text;
  $("notice").hidden = !text;
}

function showError(text) {
  $("error").textContent = text;
  $("error").hidden = !text;
}

function showOutputs(result) {
  const list = $("outputs");
  list.replaceChildren();
  for (const output of result?.outputs ?? []) {
    const link = document.createElement("a");
    const query = TOKEN ? `?token=${encodeURIComponent(TOKEN)}` : "";
    link.href = "/outputs/" + output.path.split("/").map(encodeURIComponent).join("/") + query;
    link.textContent = output.path.split("/").pop();
    const item = document.createElement("li");
    const height = output.height ? ` ${output.height}p` : "";
    item.append(link, ` (${output.kind}${height}, ${bytes(output.bytes)})`);
    if (output.kind === "poster") {
      const image = Object.assign(document.createElement("img"), { src: link.href, alt: "" });
      item.append(image);
    }
    list.append(item);
  }
  list.hidden = !list.children.length;
}

function duration(seconds) {
  const s = Math.max(0, Math.round(seconds));
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

// A hidden page closes its socket; a visible one reconnects and rejoins with last_seq.
// Phones freeze hidden pages and their sockets die anyway, so doing the same on every
// device leaves one path to get right (rejoin and replay what was missed) instead of a
// second, rarely taken one. The run goes on meanwhile (leaving is not cancelling), and
// the server holds no watcher for a tab that nobody looks at.
function connectIfVisible() {
  if (document.visibilityState === "visible" && navigator.onLine !== false) socket.open();
}

document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "hidden") socket.close();
  else connectIfVisible();
});
window.addEventListener("offline", () => socket.close());
window.addEventListener("online", connectIfVisible);

$("start-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const path = $("video-path").value.trim();
  if (path) start(path);
});
$("videos").addEventListener("change", () => ($("video-path").value = $("videos").value));
$("cancel").addEventListener("click", () => {
  if (session.id) socket.emit("cancel_processing", { session_id: session.id });
});

render();
if (document.visibilityState === "visible") socket.open();
else showConnection("offline");
showReadiness($("warning"));
loadVideos($("videos"), $("videos-note"), $("more"));
