// A minimal Socket.IO v5 client (Engine.IO v4), websocket transport only.
//
// Hand-written instead of the stock socket.io-client so that the page is a few small
// files compiled into the binary: no third-party code in the repository, no build
// step, nothing fetched from elsewhere. The page needs only this much: connect the
// default namespace, emit and receive events, answer the server's pings, and
// reconnect with backoff. No acks, binary packets, other namespaces or long-polling.

const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 10_000;

export class SocketIo {
  /**
   * `handlers.state(name)` hears "connecting", "connected", "reconnecting" or
   * "offline"; `handlers.connect()` runs on each (re)connection of the namespace;
   * `handlers.event(name, data)` gets every event; `handlers.auth`, when set, is
   * the namespace connect payload (`{token}`).
   */
  constructor(url, handlers) {
    this.url = url;
    this.handlers = handlers;
    this.ws = null;
    this.wanted = false;
    this.connected = false;
    this.failures = 0;
    this.retry = null;
    this.watchdog = null;
    this.silenceMs = 45_000;
  }

  /** Connects, and keeps reconnecting until `close()`. */
  open() {
    this.wanted = true;
    if (!this.ws && !this.retry) this.#dial();
  }

  /** Closes on purpose: no reconnection until the next `open()`. */
  close() {
    this.wanted = false;
    clearTimeout(this.retry);
    this.retry = null;
    this.#drop();
    this.handlers.state("offline");
  }

  /** Sends an event; false when not connected (the caller decides what to do). */
  emit(name, data) {
    if (!this.connected) return false;
    this.ws.send("42" + JSON.stringify([name, data]));
    return true;
  }

  #dial() {
    this.handlers.state(this.failures === 0 ? "connecting" : "reconnecting");
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.onmessage = (message) => {
      if (typeof message.data === "string") this.#packet(message.data);
    };
    ws.onclose = () => this.#lost();
    this.#resetWatchdog();
  }

  /** One Engine.IO packet: 0 open, 1 close, 2 ping, 4 message (a Socket.IO packet). */
  #packet(text) {
    this.#resetWatchdog();
    switch (text[0]) {
      case "0": {
        const open = parse(text.slice(1));
        if (open) this.silenceMs = open.pingInterval + open.pingTimeout;
        this.ws.send(this.handlers.auth ? "40" + JSON.stringify(this.handlers.auth) : "40");
        break;
      }
      case "1":
        this.#lost();
        break;
      case "2":
        this.ws.send("3");
        break;
      case "4":
        this.#message(text.slice(1));
        break;
    }
  }

  /** One Socket.IO packet: 0 connect, 1 disconnect, 2 event (maybe with an ack id), 4 refused. */
  #message(text) {
    switch (text[0]) {
      case "0":
        this.connected = true;
        this.failures = 0;
        this.handlers.state("connected");
        this.handlers.connect();
        break;
      case "2": {
        const packet = parse(text.slice(1).replace(/^\d+/, ""));
        if (Array.isArray(packet) && typeof packet[0] === "string") {
          this.handlers.event(packet[0], packet[1] ?? {});
        }
        break;
      }
      case "1":
      case "4":
        this.#lost();
        break;
    }
  }

  /** The server has said nothing for a ping interval plus its timeout: a dead link. */
  #resetWatchdog() {
    clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => this.#lost(), this.silenceMs);
  }

  #drop() {
    clearTimeout(this.watchdog);
    this.connected = false;
    if (this.ws) {
      this.ws.onclose = null;
      this.ws.onmessage = null;
      this.ws.close();
      this.ws = null;
    }
  }

  #lost() {
    this.#drop();
    if (!this.wanted || this.retry) return;
    this.failures += 1;
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** (this.failures - 1));
    const delay = ceiling / 2 + (Math.random() * ceiling) / 2;
    this.handlers.state("reconnecting");
    this.retry = setTimeout(() => {
      this.retry = null;
      this.#dial();
    }, delay);
  }
}

function parse(json) {
  try {
    return JSON.parse(json);
  } catch {
    return null;
  }
}
