// The browser client in headless chromium, as a person uses it (driven by
// tests/api/browser.rs):
//
//   node page.mjs URL VIDEO OTHER_VIDEO SCREENSHOT
//
// Tab A picks VIDEO from the list and starts it. Mid-run, tab B comes to the front
// (A is hidden and must close its socket) and starts the same video, which the server
// dedups into A's session. A comes back and must rejoin with its last_seq, then is
// reloaded and must rejoin again; it follows the run to the end. Tab C then sees a
// refused path, starts and cancels OTHER_VIDEO, and shows /readyz's warning. Prints
// one JSON line of findings; exits 1 when a step does not happen in time.
import { existsSync } from "node:fs";
import { VIEWPORT, instrument, launch, readTab, recordFrames } from "./chromium.mjs";

const [url, video, other, screenshot] = process.argv.slice(2);
const CHROMIUM = process.env.REPRISE_CHROMIUM ?? "/usr/bin/chromium";
const OVERALL_MS = 75_000;
const STEP_MS = 15_000;
const HIDDEN_FOR_MS = 1_500;
const WARNING = "ffmpeg is not installed: running the simulated processor";
const frames = [];
let browser = null;

async function fail(message) {
  console.error(`browser test: ${message}`);
  await browser?.close();
  process.exit(1);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `predicate(tab)` holds for the tab's state, polling; bounded by STEP_MS. */
async function until(page, what, predicate) {
  const deadline = Date.now() + STEP_MS;
  let state;
  while (Date.now() < deadline) {
    state = await readTab(page);
    if (predicate(state)) return state;
    await sleep(50);
  }
  return fail(`${what}: not within ${STEP_MS} ms; the tab shows ${JSON.stringify(state)}`);
}

/** The value of a gauge or counter in /metrics. */
async function metric(name) {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(" ")[1]) : null;
}

async function untilMetric(name, value) {
  for (let i = 0; i < 100; i += 1) {
    if ((await metric(name)) === value) return value;
    await sleep(50);
  }
  return metric(name);
}

const resumedAt = (state) => Number(state.notice.match(/^Resumed at (\d+)%/)?.[1] ?? NaN);
const sent = (tab, name) => frames.filter((f) => f.tab === tab && f.direction === "sent" && f.name === name);

async function openTab(context, name) {
  const page = await context.newPage();
  recordFrames(page, name, frames);
  await page.setViewportSize(VIEWPORT);
  await page.goto(url);
  await page.bringToFront();
  return page;
}

async function main() {
  if (!url || !video || !other || !screenshot) await fail("usage: page.mjs URL VIDEO OTHER_VIDEO SCREENSHOT");
  if (!existsSync(CHROMIUM)) await fail(`no chromium at ${CHROMIUM} (apt-get install chromium, or set REPRISE_CHROMIUM)`);
  browser = await launch(CHROMIUM);
  const { context } = browser;
  context.setDefaultTimeout(STEP_MS);
  await instrument(context);
  const a = await openTab(context, "a");
  await until(a, "tab A connects", (s) => s.connection === "connected");

  const listed = await a.evaluate(async () => {
    const select = document.getElementById("videos");
    const note = document.getElementById("videos-note");
    for (let i = 0; i < 100 && !select.options.length && !note.textContent; i += 1) {
      await new Promise((r) => setTimeout(r, 50));
    }
    return { paths: [...select.options].map((o) => o.value), note: note.textContent };
  });
  const pickedFromList = listed.paths.includes(video);
  if (pickedFromList) await a.selectOption("#videos", video);
  else await a.fill("#video-path", video);
  const typed = await a.inputValue("#video-path");
  await a.click("#start");
  const started = await until(a, "tab A makes progress", (s) => s.status === "processing" && s.percent >= 20);
  const watchersBeforeHide = await metric("reprise_watchers");

  const b = await openTab(context, "b");
  const hidden = await until(a, "tab A is hidden behind tab B", (s) => s.visibility === "hidden");
  const whileHidden = await until(a, "tab A closes its socket", (s) => s.connection === "offline");
  const watchersWhileHidden = await untilMetric("reprise_watchers", 0);
  if (pickedFromList) await b.selectOption("#videos", video);
  else await b.fill("#video-path", video);
  await b.click("#start");
  const joinedInB = await until(b, "tab B joins the run", (s) => !Number.isNaN(resumedAt(s)));
  await sleep(HIDDEN_FOR_MS);

  await a.bringToFront();
  const back = await until(a, "tab A resumes", (s) => s.connection === "connected" && !Number.isNaN(resumedAt(s)));
  const caughtUp = await until(a, "tab A catches up", (s) => s.percent >= back.percent && s.last_seq > hidden.last_seq);
  await a.screenshot({ path: screenshot });

  const beforeReload = await until(a, "tab A passes 60%", (s) => s.percent >= 60);
  await a.reload();
  const reloaded = await until(a, "tab A resumes after a reload", (s) => s.connection === "connected" && !Number.isNaN(resumedAt(s)));
  const done = await until(a, "tab A sees the run complete", (s) => s.status === "complete");
  const percentsAfterReload = done.percents;

  const c = await openTab(context, "c");
  await c.fill("#video-path", "no/such/video.mp4");
  await c.click("#start");
  const refused = await until(c, "tab C shows the refusal", (s) => s.error !== "");
  await c.fill("#video-path", other);
  await c.click("#start");
  await until(c, "tab C's run starts", (s) => s.status === "processing");
  await c.click("#cancel");
  const cancelled = await until(c, "tab C shows the cancel", (s) => s.status === "cancelled");
  await c.route("**/readyz", (route) =>
    route.fulfill({ json: { status: "ready", store: "embedded", processor: "simulated", warning: WARNING } }),
  );
  await c.reload();
  const warned = await until(c, "tab C shows the readiness warning", (s) => s.warning !== "");

  const received = [];
  for (const f of frames.filter((f) => f.tab === "a" && f.direction === "received")) {
    (received[f.connection - 1] ??= []).push([f.name, f.data?.seq ?? null]);
  }
  const findings = {
    listed: listed.paths,
    list_note: listed.note,
    picked_from_list: pickedFromList,
    typed,
    warning_live: started.warning,
    seen_visibility: hidden.seen_visibility.concat(back.seen_visibility.slice(hidden.seen_visibility.length)),
    connection_while_hidden: whileHidden.connection,
    watchers_before_hide: watchersBeforeHide,
    watchers_while_hidden: watchersWhileHidden,
    session_ids: {
      started: started.session_id,
      hidden: hidden.session_id,
      back: back.session_id,
      reloaded: reloaded.session_id,
      tab_b: joinedInB.session_id,
    },
    percent_before_hide: hidden.percent,
    last_seq_before_hide: hidden.last_seq,
    tab_b_resumed_at: resumedAt(joinedInB),
    resumed_at_after_hide: resumedAt(back),
    caught_up_percent: caughtUp.percent,
    percents_before_reload: beforeReload.percents,
    percent_before_reload: beforeReload.percent,
    last_seq_before_reload: beforeReload.last_seq,
    resumed_at_after_reload: resumedAt(reloaded),
    percents_after_reload: percentsAfterReload,
    final: { status: done.status, percent: done.percent },
    a_starts: sent("a", "start_processing").map((f) => f.data),
    a_joins: sent("a", "join_session").map((f) => f.data),
    b_starts: sent("b", "start_processing").map((f) => f.data),
    a_received: received,
    refused: refused.error,
    cancelled: { status: cancelled.status, notice: cancelled.notice, session_id: cancelled.session_id },
    cancel_sent: sent("c", "cancel_processing").map((f) => f.data),
    warning_shown: warned.warning,
    warning_expected: WARNING,
  };
  await browser.close();
  console.log(JSON.stringify(findings));
  process.exit(0);
}

setTimeout(() => fail(`not done within ${OVERALL_MS} ms`), OVERALL_MS).unref();
main().catch((err) => fail(err.stack ?? String(err)));
