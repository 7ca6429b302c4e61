/* The arrow keys step through a story: ← presses Previous and → presses Next while a story is told,
 * unless the reader is typing or moving in a control that uses the arrows itself (text boxes, lists,
 * the table, the chart's own keys). The buttons do the work, so keys and clicks are one path.
 */
(function () {
    var OWN_ARROWS = "input, textarea, select, [contenteditable], [role=listbox], [role=grid], .ag-root-wrapper";

    document.addEventListener("keydown", function (event) {
        if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") {
            return;
        }
        if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey || event.defaultPrevented) {
            return;
        }
        var bar = document.getElementById("story-bar");
        if (!bar || !bar.classList.contains("telling")) {
            return;
        }
        var target = event.target;
        if (target && target.closest && target.closest(OWN_ARROWS)) {
            return;
        }
        var button = document.getElementById(event.key === "ArrowLeft" ? "story-prev" : "story-next");
        if (button && !button.disabled) {
            event.preventDefault();
            button.click();
        }
    });
})();
