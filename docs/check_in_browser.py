"""Check the built documentation site in a real browser (headless Chromium).

Run after ``sphinx-build -W docs docs/_build/html``:

    python docs/check_in_browser.py [--site docs/_build/html] [--out docs/_build/screenshots]

It serves the site on 127.0.0.1 (a port of its own, nothing else is contacted), opens the
home page, the model, a derivation, the gallery and two of its pages in Debian's Chromium
(``apt-get install chromium``), and checks on each page, once MathJax has finished:

* every formula was typeset (each ``span.math``/``div.math`` holds MathJax output) and
  MathJax reported no error;
* no raw ``$...$``, ``\\(...\\)`` or ``\\[...\\]`` is left in the text (code excepted);
* every image loaded (``naturalWidth > 0``), and the pages that promise a figure have one;

and saves a screenshot of each page into ``--out``. Exit status 0 when every check passed,
1 when one failed (one line per page says what), 2 when Chromium or the site is missing.

How: the local server adds a small probe script to the pages it serves with ``?probe``; the
probe waits for ``MathJax.startup.promise`` and every image, then writes its findings as JSON
into the page, which ``chromium --headless --dump-dom`` prints. The browser runs with a new
profile and without background networking (the machine may have no network).
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import threading

DOCS = pathlib.Path(__file__).resolve().parent
#: (page, what it must show, where its screenshot starts): math — at least one formula;
#: image — at least one figure.
PAGES = (
    ("index.html", {"math", "image"}, ""),
    ("model.html", {"math"}, ""),
    ("derivations/spectral.html", {"math"}, "#the-derived-terms-expected-over-the-label-noise"),
    ("gallery/notebooks/checking_a_derivation.html", {"math", "image"}, ""),
    ("gallery/choose_rank_and_width.html", {"image"}, "#figures"),
    ("gallery.html", {"image"}, ""),
)
CHROMIUM_NAMES = ("chromium", "chromium-browser")
#: Flags for a browser that must not reach the network: a fresh profile, no background
#: requests, no QUIC, no component updates.
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--disable-extensions", "--hide-scrollbars",
         "--mute-audio", "--no-default-browser-check")
#: Milliseconds of virtual time the page gets to load, typeset and report.
BUDGET_MS = 20000

PROBE = r"""
<script>
window.addEventListener("load", async () => {
  const report = {mathjax: "absent", formulas: 0, typeset: 0, raw: [], images: []};
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    try { await MathJax.startup.promise; report.mathjax = "ok"; }
    catch (e) { report.mathjax = "error: " + e; }
  }
  const images = Array.from(document.images);
  await Promise.all(images.map(i => i.complete ? null :
                               new Promise(r => { i.onload = r; i.onerror = r; })));
  const math = document.querySelectorAll("span.math, div.math, .math-display, .math-inline");
  report.formulas = math.length;
  report.typeset = Array.from(math).filter(m => m.querySelector("mjx-container")).length;
  report.errors = document.querySelectorAll("mjx-merror, [data-mjx-error]").length;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const raw = /\$[^$\s][^$]*\$|\\\(|\\\[/;
  while (walker.nextNode()) {
    const node = walker.currentNode, parent = node.parentElement;
    if (!parent || parent.closest("mjx-container, code, pre, script, style, .highlight"))
      continue;
    const m = node.textContent.match(raw);
    if (m) report.raw.push(node.textContent.trim().slice(0, 80));
  }
  report.images = images.map(i => ({src: i.getAttribute("src"), width: i.naturalWidth}));
  const out = document.createElement("pre");
  out.id = "lingauss-probe";
  out.textContent = JSON.stringify(report);
  document.body.appendChild(out);
});
</script>
"""


#: For a screenshot that starts at a section: the content before it is removed (a headless
#: screenshot of a page scrolled to an anchor can come out blank).
FOCUS = """
<script>
document.addEventListener("DOMContentLoaded", () => {
  let node = document.getElementById("%s");
  while (node && node.parentElement && node.parentElement !== document.body) {
    while (node.previousSibling) node.parentElement.removeChild(node.previousSibling);
    node = node.parentElement;
  }
});
</script>
"""


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Static files; an HTML page asked for with ``?probe`` gets the probe script, with
    ``?focus=ID`` the script that starts the page at the element ``ID``."""

    def log_message(self, *args):          # quiet
        pass

    def do_GET(self):
        path, _, query = self.path.partition("?")
        script = None
        if query == "probe":
            script = PROBE
        elif query.startswith("focus=") and re.fullmatch(r"[\w-]+", query[6:]):
            script = FOCUS % query[6:]
        if script is not None and path.endswith(".html"):
            file = pathlib.Path(self.translate_path(path))
            if file.is_file():
                text = file.read_text(encoding="utf-8").replace("</body>", script + "</body>")
                body = text.encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
        super().do_GET()


def find_chromium() -> str | None:
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


def serve(site: pathlib.Path):
    """A server for ``site`` on 127.0.0.1 (a free port) in a daemon thread."""
    handler = functools.partial(_Handler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _chromium(browser: str, profile: str, *args: str, timeout: float = 90) -> str:
    proc = subprocess.run([browser, *FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=timeout)
    return proc.stdout


def check_page(browser: str, base: str, page: str, needs: set, shots: pathlib.Path,
               profile: str, anchor: str = "") -> tuple[bool, str, dict]:
    """Open one page; returns (passed, one line, the probe's report)."""
    dom = _chromium(browser, profile, f"--virtual-time-budget={BUDGET_MS}", "--dump-dom",
                    f"{base}/{page}?probe")
    found = re.search(r'<pre id="lingauss-probe">(.*?)</pre>', dom, re.S)
    if not found:
        return False, f"{page}: the probe did not report (page not loaded?)", {}
    import html

    report = json.loads(html.unescape(found.group(1)))
    shot = shots / (page.replace("/", "_").removesuffix(".html") + ".png")
    _chromium(browser, profile, f"--virtual-time-budget={BUDGET_MS}", f"--screenshot={shot}",
              "--window-size=1280,1600",
              f"{base}/{page}" + (f"?focus={anchor.lstrip('#')}" if anchor else ""))
    problems = []
    if report["mathjax"] != "ok" and (report["formulas"] or "math" in needs):
        problems.append(f"MathJax {report['mathjax']}")
    if report["typeset"] < report["formulas"]:
        problems.append(f"{report['formulas'] - report['typeset']} of {report['formulas']} "
                        f"formulas not typeset")
    if report.get("errors"):
        problems.append(f"{report['errors']} MathJax errors")
    if "math" in needs and report["formulas"] == 0:
        problems.append("no formula on a page that has formulas")
    if report["raw"]:
        problems.append(f"raw TeX left: {report['raw'][:3]}")
    broken = [i["src"] for i in report["images"] if not i["width"]]
    if broken:
        problems.append(f"images not loaded: {broken}")
    if "image" in needs and not report["images"]:
        problems.append("no figure on a page that has one")
    if not shot.is_file() or shot.stat().st_size == 0:
        problems.append("no screenshot")
    line = (f"{page}: " + ("ok" if not problems else "FAILED: " + "; ".join(problems))
            + f" ({report['typeset']} formulas typeset, {len(report['images'])} images; "
              f"screenshot {shot})")
    return not problems, line, report


def check_site(site: pathlib.Path, shots: pathlib.Path, pages=PAGES) -> list:
    """Check every page; returns ``[(passed, line, report)]``."""
    browser = find_chromium()
    if browser is None:
        raise FileNotFoundError("chromium is not installed (apt-get install chromium)")
    if not (site / "index.html").is_file():
        raise FileNotFoundError(f"no built site at {site} (sphinx-build -W docs {site})")
    shots.mkdir(parents=True, exist_ok=True)
    server = serve(site)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with tempfile.TemporaryDirectory(prefix="lingauss-chromium-") as profile:
            return [check_page(browser, base, page, needs, shots, profile, anchor)
                    for page, needs, anchor in pages]
    finally:
        server.shutdown()
        server.server_close()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=pathlib.Path, default=DOCS / "_build" / "html")
    parser.add_argument("--out", type=pathlib.Path, default=DOCS / "_build" / "screenshots")
    args = parser.parse_args(argv)
    try:
        results = check_site(args.site, args.out)
    except FileNotFoundError as exc:
        print(f"check_in_browser: {exc}", file=sys.stderr)
        return 2
    for _, line, _ in results:
        print(line)
    return 0 if all(ok for ok, _, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
