/* Accessible names and roles the Dash components leave out.
 *
 * dcc.Checklist and dcc.RadioItems (Dash 4) draw a "listbox" of "options", each wrapping a native
 * checkbox or radio button: interactive controls nested in interactive controls, and a list with no
 * name. The native inputs are accessible by themselves, so the list becomes a group named by its
 * heading and the wrappers plain labels. dcc.Upload's file input gets the upload box's words as its
 * name. React sets these attributes again when it redraws, so a watcher applies the fix each time.
 */
(function () {
    var NAMED_BY = {themes: "themes-label", scale: "scale-label"};

    function fixList(list) {
        if (list.getAttribute("role") === "listbox") {
            // radio buttons sit in a radiogroup of ours (layout.radio_group); a checklist is a group
            list.setAttribute("role", list.classList.contains("dash-radioitems") ? "presentation" : "group");
        }
        if (NAMED_BY[list.id] && list.getAttribute("role") === "group" && !list.hasAttribute("aria-labelledby")) {
            list.setAttribute("aria-labelledby", NAMED_BY[list.id]);
        }
        list.querySelectorAll("[role=option], [aria-selected]").forEach(function (option) {
            option.removeAttribute("role");
            option.removeAttribute("aria-selected");
        });
    }

    function fixUpload(box) {
        var input = box.querySelector("input[type=file]");
        var words = box.textContent.trim();
        if (input && words && input.getAttribute("aria-label") !== words) {
            input.setAttribute("aria-label", words);
        }
    }

    function sweep() {
        // checklists and radio items only: a dropdown's menu is a real listbox of options
        document.querySelectorAll(".dash-options-list.dash-checklist, .dash-options-list.dash-radioitems").forEach(fixList);
        document.querySelectorAll(".upload").forEach(fixUpload);
    }

    new MutationObserver(sweep).observe(document.documentElement, {
        subtree: true,
        childList: true,
        attributes: true,
        attributeFilter: ["role", "aria-selected"],
    });
    document.addEventListener("DOMContentLoaded", sweep);
})();
