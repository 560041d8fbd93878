// What the page asks over plain HTTP: the server's readiness and the list of videos.

const PAGE_SIZE = 50;
const TOKEN_KEY = "reprise.token";

/**
 * The access token, when the server wants one: given as `#token=...` in the page's
 * address (a fragment never reaches a server's logs), then kept for the tab.
 */
export const TOKEN = (() => {
  const given = new URLSearchParams(location.hash.slice(1)).get("token");
  if (given) {
    sessionStorage.setItem(TOKEN_KEY, given);
    history.replaceState(null, "", location.pathname + location.search);
  }
  return sessionStorage.getItem(TOKEN_KEY);
})();

/** Headers that carry the token, if there is one. */
export const AUTH_HEADERS = TOKEN ? { Authorization: `Bearer ${TOKEN}` } : {};

/** Shows `/readyz`'s warning (ffmpeg missing, say) or an unready store in `banner`. */
export async function showReadiness(banner) {
  let text = "";
  try {
    const ready = await (await fetch("/readyz")).json();
    text = ready.warning ?? (ready.status === "ready" ? "" : `The server is not ready (${ready.code ?? ready.status}).`);
  } catch {
    text = "The server did not answer its readiness check.";
  }
  banner.textContent = text;
  banner.hidden = !text;
}

/** Fills `select` from `GET /api/v1/videos`, a page at a time behind the `more` button. */
export function loadVideos(select, note, more) {
  let cursor = null;
  const next = async () => {
    more.disabled = true;
    const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (cursor) query.set("cursor", cursor);
    try {
      const response = await fetch(`/api/v1/videos?${query}`, { headers: AUTH_HEADERS });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const page = await response.json();
      for (const item of page.items ?? []) {
        select.append(new Option(`${item.path} (${bytes(item.bytes)})`, item.path));
      }
      cursor = page.next_cursor ?? null;
      note.textContent = select.options.length ? "" : "No videos in the media folder yet.";
    } catch (error) {
      note.textContent = `The video list is unavailable (${error.message}); type a path instead.`;
      cursor = null;
    }
    more.hidden = !cursor;
    more.disabled = false;
  };
  more.addEventListener("click", next);
  return next();
}

/** A byte count for people: 1.5 MB. */
export function bytes(n) {
  if (!(n >= 0)) return "? B";
  const units = ["B", "KB", "MB", "GB", "TB"];
  const power = Math.min(units.length - 1, Math.floor(Math.log10(Math.max(n, 1)) / 3));
  return `${(n / 1000 ** power).toFixed(power ? 1 : 0)} ${units[power]}`;
}
