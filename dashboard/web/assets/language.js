/* The links to the page in another language keep the reader's view: the page's query (themes, dates,
 * search, zoom, story step) with the link's language in it. The view is in the address bar (the view
 * callbacks keep it there), so the link is completed from it at the moment it is used: clicked,
 * touched, focused by the keyboard or opened in a new tab.
 */
(function () {
    function complete(event) {
        var link = event.target && event.target.closest && event.target.closest("a.language");
        if (!link) {
            return;
        }
        var query = new URLSearchParams(window.location.search);
        query.set("lang", link.getAttribute("lang"));
        link.setAttribute("href", "?" + query.toString());
    }

    ["pointerdown", "focusin", "click", "auxclick", "contextmenu"].forEach(function (name) {
        document.addEventListener(name, complete, true);
    });
})();
