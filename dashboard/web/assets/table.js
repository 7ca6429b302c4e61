/* The events table fits its width: on a narrow one (a phone) it shows the date and the title alone,
 * in rows tall enough for their whole text (an event's themes and place are in its details, a tap
 * away); a wide one shows every column in two-line rows. The grid needs one height for every row (it
 * places rows it has not loaded yet), so the height is set here, from style.css's --table-row-height,
 * which a container query sets with the lines a cell may take: the style sheet decides, once.
 */
(function () {
    var NARROW_HIDDEN = ["themes", "location"];
    var NARROW_DATE_FLEX = 3.4; // against the title's 4.6: a period's two dates with their eras in four lines

    function fitTableToWidth(params) {
        var api = params.api;
        var grid = document.getElementById("table");
        if (!api || !grid || api.isDestroyed()) {
            return null;
        }
        var style = getComputedStyle(grid);
        var height = parseFloat(style.getPropertyValue("--table-row-height"));
        var narrow = style.getPropertyValue("--table-narrow").trim() === "1";
        if (height && api.getGridOption("rowHeight") !== height) {
            api.setGridOption("rowHeight", height);
        }
        var shown = api.getColumn(NARROW_HIDDEN[0]);
        if (shown && shown.isVisible() === narrow) {
            api.setColumnsVisible(NARROW_HIDDEN, !narrow);
            var date = api.getColumnDef("when");
            api.applyColumnState({state: [{colId: "when", flex: narrow ? NARROW_DATE_FLEX : date.flex}]});
        }
        return null;
    }

    window.dashAgGridFunctions = window.dashAgGridFunctions || {};
    window.dashAgGridFunctions.fitTableToWidth = fitTableToWidth;
})();
