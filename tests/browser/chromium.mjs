// Headless Debian chromium under playwright-core, with tabs that really hide each other,
// and what the scenario in page.mjs records about each tab.
//
// Playwright's own launch turns on focus emulation for every page it opens, and a page
// with it never becomes hidden. So chromium is started here and attached to over CDP
// with `noDefaults`: the pages of its default context are plain tabs, and bringing one
// to the front hides the others (document.visibilityState, visibilitychange), as it
// does for a person switching tabs.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const START_MS = 15_000;
export const VIEWPORT = { width: 1000, height: 700 };

/** Starts chromium; `close()` ends it and removes its profile whatever happened. */
export async function launch(executable) {
  const profile = mkdtempSync(join(tmpdir(), "reprise-chromium-"));
  const child = spawn(
    executable,
    [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--no-default-browser-check",
      "--remote-debugging-address=127.0.0.1",
      "--remote-debugging-port=0",
      `--user-data-dir=${profile}`,
      "about:blank",
    ],
    // Its own process group, so that closing it ends its helper processes too.
    { stdio: ["ignore", "ignore", "pipe"], detached: true },
  );
  let stderr = "";
  const endpoint = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`chromium did not start within ${START_MS} ms:\n${stderr}`)), START_MS);
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
      const found = stderr.match(/DevTools listening on (ws:\/\/\S+)/);
      if (found) {
        clearTimeout(timer);
        resolve(found[1]);
      }
    });
    child.on("error", (err) => reject(new Error(`cannot run ${executable}: ${err.message}`)));
    child.on("exit", (code) => reject(new Error(`chromium exited (${code}) before it listened:\n${stderr}`)));
  });
  const browser = await chromium.connectOverCDP(endpoint, { noDefaults: true });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const close = async () => {
    await Promise.race([browser.close().catch(() => {}), new Promise((r) => setTimeout(r, 3_000))]);
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      // The group has ended already.
    }
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
    rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  };
  return { context: browser.contexts()[0], close };
}

/**
 * Records, in every document of the context: each visibilityState the page went
 * through and each percent it displayed. They live in `window`, so a reload restarts them.
 */
export async function instrument(context) {
  await context.addInitScript(() => {
    window.__visibility = [];
    window.__percents = [];
    document.addEventListener("visibilitychange", () => window.__visibility.push(document.visibilityState));
    new MutationObserver(() => {
      const shown = document.getElementById("percent")?.textContent;
      const percents = window.__percents;
      if (shown && shown !== percents[percents.length - 1]) percents.push(shown);
    }).observe(document, { subtree: true, childList: true, characterData: true });
  });
}

/** Every Socket.IO event the tab sends and receives, decoded, in order, with the
 * number of the tab's websocket it went over (1, 2, …). */
export function recordFrames(page, tab, log) {
  let opened = 0;
  page.on("websocket", (ws) => {
    const connection = (opened += 1);
    const decode = (direction) => (frame) => {
      const text = typeof frame.payload === "string" ? frame.payload : "";
      const event = text.match(/^42\d*(\[.*)$/s);
      if (!event) return;
      const [name, data] = JSON.parse(event[1]);
      log.push({ tab, connection, direction, name, data });
    };
    ws.on("framesent", decode("sent"));
    ws.on("framereceived", decode("received"));
  });
}

/** What the tab shows and keeps, read from its document. */
export function readTab(page) {
  return page.evaluate(() => {
    const text = (id) => document.getElementById(id).textContent;
    const shown = (id) => !document.getElementById(id).hidden;
    return {
      visibility: document.visibilityState,
      seen_visibility: window.__visibility,
      percents: window.__percents,
      connection: text("connection"),
      percent: parseInt(text("percent"), 10),
      status: text("status"),
      notice: shown("notice") ? text("notice") : "",
      error: shown("error") ? text("error") : "",
      warning: shown("warning") ? text("warning") : "",
      session_id: sessionStorage.getItem("reprise.session_id"),
      last_seq: Number(sessionStorage.getItem("reprise.last_seq")),
    };
  });
}
