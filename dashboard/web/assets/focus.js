/* Where the keyboard's focus goes when a panel opens at its command or what held it goes away.
 *
 * An event opened from the keyboard (Enter on a table row) moves the focus into its details card;
 * Escape or the card's × closes it and gives the focus back to the row. Starting a story hides its
 * button, and ending it hides the story's: the focus moves to Next, and back to "Tell as a story".
 * Without this the focus fell to the page's body, and a keyboard user started again from the top.
 */
(function () {
    var KEYED_MS = 8000; // a card opened this long after Enter or Space was opened by the keyboard
    var keyed = {at: 0, target: null};
    var opener = null; // the table cell the card was opened from: {row, col}
    var last = null; // the element that last had the focus

    function visible(element) {
        return Boolean(element && element.isConnected && !element.disabled && element.getClientRects().length);
    }

    function lost() {
        var active = document.activeElement;
        return !active || active === document.body || !visible(active);
    }

    function focus(element) {
        if (visible(element)) {
            element.focus({preventScroll: element.closest(".details-card") !== null});
            return true;
        }
        return false;
    }

    function openerCell() {
        if (!opener) {
            return null;
        }
        return document.querySelector(
            '#table .ag-row[row-index="' + opener.row + '"] .ag-cell[col-id="' + opener.col + '"]'
        );
    }

    function byKeyboard() {
        return Date.now() - keyed.at <= KEYED_MS;
    }

    function cardOpened(card) {
        var from = keyed.target;
        if (!byKeyboard() || !from || !from.closest || !from.closest("#table .ag-row")) {
            return;
        }
        var cell = from.closest(".ag-cell");
        var row = from.closest(".ag-row");
        opener = cell && row ? {row: row.getAttribute("row-index"), col: cell.getAttribute("col-id")} : null;
        keyed.at = 0;
        card.setAttribute("tabindex", "-1");
        card.focus({preventScroll: true});
    }

    function cardClosed() {
        // closed from the keyboard (Escape, or Enter on ×) after it was opened from a row: back to the
        // row; closed by a pointer, the focus stays where the reader's pointer left it
        if (opener && byKeyboard() && last && last.closest && last.closest("#details-card") && lost()) {
            focus(openerCell()) || focus(document.querySelector("#table .ag-header-cell"));
        }
        opener = null;
    }

    function storyChanged(bar) {
        if (!last || !last.closest || !last.closest("#story-bar") || !lost()) {
            return;
        }
        if (bar.classList.contains("telling")) {
            focus(document.getElementById("story-next")) || focus(document.getElementById("story-close"));
        } else {
            focus(document.getElementById("story-start"));
        }
    }

    document.addEventListener(
        "keydown",
        function (event) {
            if (event.key === "Enter" || event.key === " " || event.key === "Escape") {
                keyed = {at: Date.now(), target: event.target};
            }
            var card = document.getElementById("details-card");
            if (event.key === "Escape" && card && !card.hidden && card.contains(document.activeElement)) {
                event.preventDefault();
                document.getElementById("details-close").click();
            }
        },
        true
    );
    document.addEventListener(
        "pointerdown",
        function () {
            keyed.at = 0; // what opens next was opened by the pointer
        },
        true
    );
    document.addEventListener("focusin", function (event) {
        last = event.target;
        // AG Grid moves the focus into its pager itself, without scrolling to it: bring it on screen
        var target = event.target;
        if (target && target.closest && target.closest("#table") && target.getBoundingClientRect) {
            var box = target.getBoundingClientRect();
            if (box.height && (box.top < 0 || box.bottom > window.innerHeight)) {
                target.scrollIntoView({block: "nearest"});
            }
        }
    });

    var pending = false;
    new MutationObserver(function (changes) {
        changes.forEach(function (change) {
            var target = change.target;
            if (target.id === "details-card" && change.attributeName === "hidden" && !target.hidden) {
                cardOpened(target);
            } else if (change.type === "childList" && target.closest && target.closest("#details")) {
                // another event's details in a card already open (Enter on another row)
                var card = document.getElementById("details-card");
                if (card && !card.hidden && !card.contains(document.activeElement)) {
                    cardOpened(card);
                }
            }
        });
        if (pending) {
            return;
        }
        pending = true;
        requestAnimationFrame(function () {
            pending = false;
            var card = document.getElementById("details-card");
            var bar = document.getElementById("story-bar");
            if (card && card.hidden) {
                cardClosed();
            }
            if (bar) {
                storyChanged(bar);
            }
        });
    }).observe(document.documentElement, {
        subtree: true,
        childList: true,
        attributes: true,
        attributeFilter: ["hidden", "class", "disabled"],
    });
})();
