// A finished run's outputs on the page (driven by tests/api/browser.rs):
//
//   node outputs.mjs URL VIDEO
//
// Starts VIDEO, waits until the page shows it complete, and reports each output link,
// what its URL answers and whether the poster's image loaded; then reloads and reports
// the links the page shows from what the tab kept. Prints one JSON line of findings.
import { VIEWPORT, launch, readTab } from "./chromium.mjs";

const [url, video] = process.argv.slice(2);
const CHROMIUM = process.env.REPRISE_CHROMIUM ?? "/usr/bin/chromium";
const OVERALL_MS = 60_000;
const COMPLETE_MS = 40_000;
let browser = null;

async function fail(message) {
  console.error(`browser test: ${message}`);
  await browser?.close();
  process.exit(1);
}

/** The output list as shown: each link's target and text, and each image's state. */
function outputs(page) {
  return page.$$eval("#outputs li", (items) =>
    items.map((item) => ({
      href: item.querySelector("a").getAttribute("href"),
      text: item.textContent,
      image_loaded: item.querySelector("img") ? item.querySelector("img").naturalWidth > 0 : null,
    })),
  );
}

async function main() {
  if (!url || !video) await fail("usage: outputs.mjs URL VIDEO");
  browser = await launch(CHROMIUM);
  const page = await browser.context.newPage();
  page.setDefaultTimeout(COMPLETE_MS);
  await page.setViewportSize(VIEWPORT);
  await page.goto(url);
  await page.fill("#video-path", video);
  await page.click("#start");
  await page.waitForFunction(() => document.getElementById("status").textContent === "complete");
  await page.waitForFunction(() => [...document.querySelectorAll("#outputs img")].every((i) => i.complete));
  const shown = await outputs(page);
  const answers = [];
  for (const { href } of shown) {
    const response = await fetch(new URL(href, url));
    answers.push({ href, status: response.status, type: response.headers.get("content-type") });
  }
  const done = await readTab(page);
  await page.reload();
  await page.waitForFunction(() => document.getElementById("notice").textContent.startsWith("Resumed at"));
  const reloaded = await outputs(page);
  await browser.close();
  console.log(JSON.stringify({ session_id: done.session_id, status: done.status, shown, answers, reloaded }));
  process.exit(0);
}

setTimeout(() => fail(`not done within ${OVERALL_MS} ms`), OVERALL_MS).unref();
main().catch((err) => fail(err.stack ?? String(err)));
