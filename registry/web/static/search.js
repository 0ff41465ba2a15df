// Search as you type: on the search page, typing in the search box fetches
// the results region rendered by the server (/search?…&partial=1) and puts
// it in place, so the page works the same without this script (the form
// submits) and no result is ever built from data in the browser.
(() => {
  "use strict";
  const box = document.getElementById("q");
  const region = document.getElementById("results");
  const filters = document.querySelector("form.filters");
  if (!box || !region) {
    return;
  }
  // 150 ms: fast enough to feel live, slow enough that a typist sends
  // one request per pause rather than one per key.
  const delay = 150;
  let timer = 0;
  let inflight = null;

  // query is the page's search as URL parameters: the filters' values
  // with the box's text, empty ones left out, from page 1.
  function query() {
    const params = new URLSearchParams();
    const form = filters ? new FormData(filters) : new FormData();
    form.set("q", box.value);
    for (const [k, v] of form) {
      if (typeof v === "string" && v !== "" && k !== "page") {
        params.append(k, v);
      }
    }
    return params;
  }

  async function update() {
    if (inflight) {
      inflight.abort();
    }
    const ctl = new AbortController();
    inflight = ctl;
    const params = query();
    const url = "/search?" + params.toString();
    params.set("partial", "1");
    try {
      const resp = await fetch("/search?" + params.toString(), { signal: ctl.signal, credentials: "same-origin" });
      if (!resp.ok) {
        return;
      }
      const html = await resp.text();
      // A parsed document runs no script; the fragment is our own
      // template's escaped output.
      const doc = new DOMParser().parseFromString(html, "text/html");
      const fresh = doc.getElementById("results");
      if (!fresh || ctl.signal.aborted) {
        return;
      }
      region.replaceChildren(...Array.from(fresh.childNodes, (n) => document.importNode(n, true)));
      const heading = document.querySelector("main h1");
      const freshHeading = doc.querySelector("h1");
      if (heading && freshHeading) {
        heading.textContent = freshHeading.textContent;
      }
      if (filters && filters.elements.namedItem("q")) {
        filters.elements.namedItem("q").value = box.value;
      }
      document.title = "Search: " + box.value + " · mpak";
      history.replaceState(null, "", url);
    } catch (err) {
      if (err.name !== "AbortError") {
        console.error("search as you type:", err);
      }
    } finally {
      if (inflight === ctl) {
        inflight = null;
      }
    }
  }

  box.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(update, delay);
  });
})();
