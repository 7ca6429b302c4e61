/* How far a slow search has got, said while the page waits for the figure's answer.
 *
 * While the match count is on its way (Dash marks it data-dash-is-loading; style.css then shows
 * #working), the page asks the server a few times a second how far the search under the key in
 * #search-key has got (dashboard/web/callbacks/progress.py) and shows it in #working in place of
 * its words: "Searching… 45% of 100,000,000 events". Screen readers hear it from the polite status
 * #search-progress, at the first answer and then at every tenth of the way, not at every percent.
 * Two server processes may be searching the same words at once (each its own engine, for two of the
 * page's requests), both recording under the one key: the page shows the furthest either has got.
 * Once the answer arrives the asking stops and #working is as before.
 */
(function () {
    var EVERY_MS = 250;
    var timer = null;
    var asking = false;
    var toldTenth = -1;
    var furthest = -1;

    function address() {
        var prefix = "/";
        try {
            prefix = JSON.parse(document.getElementById("_dash-config").textContent).requests_pathname_prefix || "/";
        } catch (e) { /* Dash's default prefix */ }
        return prefix + "_timeline/progress?key=";
    }

    function parts() {
        var working = document.getElementById("working");
        if (!working) {
            return null;
        }
        return {
            working: working,
            idle: working.querySelector(".working-idle"),
            progress: working.querySelector(".working-progress"),
            status: document.getElementById("search-progress"),
        };
    }

    function words(template, done, total) {
        var percent = Math.min(100, Math.floor((100 * done) / total));
        var lang = document.documentElement.lang || undefined;
        return {
            percent: percent,
            text: template
                .replace("{percent}", String(percent))
                .replace("{total}", new Intl.NumberFormat(lang).format(total)),
        };
    }

    function show(found) {
        var p = parts();
        if (!p || !p.idle || !p.progress) {
            return;
        }
        if (!(found && found.total > 0)) { // none under way (not begun, or done and now counting)
            p.idle.hidden = false;
            p.progress.hidden = true;
            return;
        }
        if (found.done / found.total < furthest) {
            return;
        }
        furthest = found.done / found.total;
        var said = words(p.working.getAttribute("data-progress") || "{percent}%", found.done, found.total);
        if (p.progress.textContent !== said.text) {
            p.progress.textContent = said.text;
        }
        p.progress.hidden = false;
        p.idle.hidden = true;
        var tenth = Math.floor(said.percent / 10);
        if (p.status && tenth > toldTenth) {
            toldTenth = tenth;
            p.status.textContent = said.text;
        }
    }

    function reset() {
        var p = parts();
        toldTenth = -1;
        furthest = -1;
        if (!p) {
            return;
        }
        if (p.idle) {
            p.idle.hidden = false;
        }
        if (p.progress) {
            p.progress.hidden = true;
            p.progress.textContent = "";
        }
        if (p.status) {
            p.status.textContent = "";
        }
    }

    function ask() {
        var keyed = document.getElementById("search-key");
        var key = keyed ? keyed.textContent.trim() : "";
        if (!key || asking) {
            return;
        }
        asking = true;
        fetch(address() + encodeURIComponent(key), {cache: "no-store", credentials: "same-origin"})
            .then(function (response) { return response.ok ? response.json() : {}; })
            .then(function (found) {
                if (timer !== null) { // the answer may have arrived meanwhile
                    show(found);
                }
            })
            .catch(function () { /* the words stay as they are; the next poll tries again */ })
            .then(function () { asking = false; });
    }

    function watch() {
        var count = document.getElementById("match-count");
        var waiting = !!count && count.getAttribute("data-dash-is-loading") === "true";
        if (waiting && timer === null) {
            toldTenth = -1;
            furthest = -1;
            timer = setInterval(ask, EVERY_MS);
        } else if (!waiting && timer !== null) {
            clearInterval(timer);
            timer = null;
            reset();
        }
    }

    new MutationObserver(watch).observe(document.documentElement, {
        subtree: true,
        childList: true,
        attributes: true,
        attributeFilter: ["data-dash-is-loading"],
    });
})();
