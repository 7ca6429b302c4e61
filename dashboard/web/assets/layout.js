/* The chart is laid out by the server for the width it has (its labels placed so that none overlap,
 * fewer lanes' names on a phone): when the window's width changes, the page sends the chart's new
 * width (the store "layout-width"), and the chart is laid out again. Once the window stops changing,
 * and only for a new width: a phone's address bar coming and going changes the height alone.
 */
(function () {
    var timer = null;
    var width = window.innerWidth;

    window.addEventListener("resize", function () {
        clearTimeout(timer);
        timer = setTimeout(function () {
            if (window.innerWidth === width) {
                return;
            }
            width = window.innerWidth;
            var chart = document.getElementById("timeline");
            var clientside = window.dash_clientside;
            if (chart && chart.offsetWidth && clientside && clientside.set_props) {
                clientside.set_props("layout-width", {data: chart.offsetWidth});
            }
        }, 250);
    });
})();

/* A new figure clears the old one's hover box. plotly keeps a hover box until the pointer moves, and
 * a tap leaves the pointer where it was: a box tapped open stayed over every figure after it (a
 * story's steps), covering their labels, its event long out of view.
 */
(function () {
    function watch() {
        var gd = document.querySelector("#timeline .js-plotly-plot");
        if (!gd || !gd.on || gd.timelineUnhovers) {
            return;
        }
        gd.timelineUnhovers = true;
        var drawn = gd.data;
        gd.on("plotly_afterplot", function () {
            if (gd.data !== drawn) {
                drawn = gd.data;
                if (window.Plotly && window.Plotly.Fx) {
                    window.Plotly.Fx.unhover(gd);
                }
            }
        });
    }

    new MutationObserver(watch).observe(document.documentElement, {childList: true, subtree: true});
})();
