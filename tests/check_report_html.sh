#!/bin/sh
# tests/check_report_html.sh - results/report.html in a real browser
# (ctest "report_html").
#
# Runs two small suites (one with a hostile title, sentence and claim
# words, one traced for the timeline) into a temporary folder, then opens
# the report.html they wrote in headless Chromium: the page must hold the
# lessons and every suite's section, every image must decode with a
# non-zero size, the hostile strings must show as text (no script but the
# check's own), and a screenshot is written to
# $DF_BUILD_DIR/report-html.png. The check is a small script added to a
# copy of the page; it writes its verdict into a DOM attribute, which
# --dump-dom prints. Needs chromium (Debian's; `./run.sh test` installs it).
set -u
build=${DF_BUILD_DIR:?DF_BUILD_DIR is not set (run from ctest)}
duckfeed=$build/duckfeed
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
    echo "report_html: chromium is not installed (apt-get install" \
        "chromium; ./run.sh test installs it)" >&2
    exit 1
fi
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/suites" "$tmp/results" "$tmp/plots" "$tmp/profile"

hostile='<script>window.pwned=1</script><img src=x onerror=window.pwned=2>'
cat >"$tmp/suites/hostile.json" <<JSON
{
  "name": "hostile",
  "version": 1,
  "order": 0,
  "default": false,
  "title": "Title $hostile",
  "sentence": "Sentence \`$hostile\` **bold**",
  "runs": [
    {"label": "process",
     "argv": ["--model", "process", "--workers", "1,2", "--workload", "cpu:us=500",
              "--concurrency", "2", "--duration", "0.2s", "--warmup", "0.05s",
              "--repeat", "1"]},
    {"label": "coroutine",
     "argv": ["--model", "coroutine", "--workers", "1", "--workload", "sleep:ms=2",
              "--concurrency", "4", "--duration", "0.2s", "--warmup", "0.05s",
              "--repeat", "1"]}
  ],
  "claims": [
    {"metric": "throughput_rps", "metric_is": "words $hostile",
     "a": {"model": "process", "workers": 2}, "a_is": "a $hostile",
     "b": {"model": "process", "workers": 1}, "b_is": "b",
     "expect": {"min": 1.2}},
    {"metric": "throughput_rps", "a": {"model": "thread"}, "b": 100}
  ]
}
JSON
cp harness/suite/suites/timeline.json "$tmp/suites/"

"$duckfeed" suite hostile timeline --quick --suites-dir "$tmp/suites" \
    --results-dir "$tmp/results" --plots-dir "$tmp/plots" >"$tmp/suite.log" 2>&1
rc=$?
if [ ! -s "$tmp/results/report.html" ]; then
    cat "$tmp/suite.log" >&2
    echo "report_html: duckfeed suite (exit $rc) wrote no report.html" >&2
    exit 1
fi
if grep -q '<script>window.pwned' "$tmp/results/report.html"; then
    echo "report_html: a hostile string reached the page unescaped" >&2
    exit 1
fi

# The check: sections, images decoded, no script but this one, the hostile
# title shown as text. Runs at load, when data: images have decoded.
sed 's|</body>|<script>\
window.addEventListener("load", function () {\
  var want = ["lessons", "suite-hostile", "suite-timeline"], bad = [];\
  want.forEach(function (id) { if (!document.getElementById(id)) bad.push("no #" + id); });\
  var imgs = document.images, n = 0;\
  for (var i = 0; i < imgs.length; i++) {\
    if (imgs[i].complete \&\& imgs[i].naturalWidth > 0 \&\& imgs[i].naturalHeight > 0) n++;\
    else bad.push("image " + imgs[i].alt + " did not decode");\
  }\
  if (n < 3) bad.push("only " + n + " images");\
  if (document.scripts.length !== 1) bad.push(document.scripts.length + " scripts");\
  if (window.pwned) bad.push("hostile script ran");\
  if (document.querySelector("#suite-hostile h2").textContent.indexOf("<script>") < 0) bad.push("hostile title not shown as text");\
  if (document.querySelectorAll("section.suite table tbody tr").length < 4) bad.push("points missing");\
  document.body.setAttribute("data-check", bad.length ? bad.join("; ") : "ok " + n + " images");\
});\
</script></body>|' "$tmp/results/report.html" >"$tmp/check.html"

flags="--headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
--disable-background-networking --disable-component-update --disable-sync \
--disable-dev-shm-usage --hide-scrollbars"
# shellcheck disable=SC2086
timeout 60 "$browser" $flags --user-data-dir="$tmp/profile" \
    --virtual-time-budget=5000 --dump-dom "file://$tmp/check.html" \
    >"$tmp/dom.html" 2>"$tmp/chromium.log"
verdict=$(sed -n 's/.*data-check="\([^"]*\)".*/\1/p' "$tmp/dom.html" | head -1)
case "$verdict" in
ok*) echo "report_html: $verdict" ;;
*)
    tail -5 "$tmp/chromium.log" >&2
    echo "report_html: browser check failed: ${verdict:-no verdict (page did not load?)}" >&2
    exit 1
    ;;
esac
# shellcheck disable=SC2086
timeout 60 "$browser" $flags --user-data-dir="$tmp/profile" \
    --window-size=1280,2400 --screenshot="$build/report-html.png" \
    "file://$tmp/results/report.html" >/dev/null 2>>"$tmp/chromium.log"
if [ ! -s "$build/report-html.png" ]; then
    tail -5 "$tmp/chromium.log" >&2
    echo "report_html: no screenshot written" >&2
    exit 1
fi
echo "report_html: screenshot $build/report-html.png"
