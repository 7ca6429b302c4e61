"""The page: controls on the left, the timeline and the event details on the right (or, embedded
in another site's page, the timeline alone).

Only structure lives here; every value comes from callbacks, so a shared link
(the URL query) restores the same view.
"""

from __future__ import annotations

from typing import Any

import dash_ag_grid as dag
from babel.dates import get_day_names, get_month_names
from dash import dcc, html

from ..core.columns import MAPPED
from ..core.i18n import DEFAULT_LANGUAGE, LANGUAGES, N_, Translator, translator
from ..core.model import Timeline
from ..core.topics import lane_groups
from ..render.figure import OVERVIEW_HEIGHT, figure_title, lane_style, theme_label

GRAPH_CONFIG: dcc.Graph.Config = {
    "displaylogo": False,
    "responsive": True,
    "modeBarButtonsToRemove": ["select2d", "lasso2d", "toImage"],
    "scrollZoom": False,
}


PLOTLY_STRINGS = (
    N_("Zoom"),
    N_("Pan"),
    N_("Zoom in"),
    N_("Zoom out"),
    N_("Autoscale"),
    N_("Reset axes"),
    N_("Double-click to zoom back out"),
)
"""plotly.js's own interface text in the chart's mode bar (its English is the key of a plotly locale)."""


def graph_config(lang: str) -> dcc.Graph.Config:
    """The chart's configuration in ``lang``: plotly's mode bar and date tick labels in that language
    (a plotly locale given in the configuration: month and day names from Babel's locale data)."""
    if lang == DEFAULT_LANGUAGE:
        return GRAPH_CONFIG
    t = translator(lang)
    months = [get_month_names("wide", locale=lang)[m] for m in range(1, 13)]
    short_months = [get_month_names("abbreviated", locale=lang)[m] for m in range(1, 13)]
    sunday_first = [6, 0, 1, 2, 3, 4, 5]  # Babel counts from Monday, plotly from Sunday
    days = [get_day_names("wide", locale=lang)[d] for d in sunday_first]
    short_days = [get_day_names("abbreviated", locale=lang)[d] for d in sunday_first]
    locale = {
        "dictionary": {s: t(s) for s in PLOTLY_STRINGS},
        "format": {
            "days": days,
            "shortDays": short_days,
            "months": months,
            "shortMonths": short_months,
            "date": t("%Y-%m-%d"),
            "year": t("%Y"),
            "month": t("%b %Y"),
            "dayMonth": t("%b %-d"),
            "dayMonthYear": t("%b %-d, %Y"),
        },
    }
    return {**GRAPH_CONFIG, "locale": lang, "locales": {lang: locale}}


def aria(**attributes: str) -> dict[str, Any]:
    """ARIA attributes for a component's keyword arguments: aria(live="polite") is aria-live="polite"."""
    return {f"aria-{name}": value for name, value in attributes.items()}


def data(**attributes: str) -> dict[str, Any]:
    """Data attributes for a component's keyword arguments, read by the page's scripts:
    data(progress="...") is data-progress="..."."""
    return {f"data-{name}": value for name, value in attributes.items()}


TOPIC_HEAD = "topic:"
"""The value of a topic's heading among the theme checkboxes (disabled: it is never ticked)."""


def theme_options(
    timeline: Timeline, counts: dict[str, int] | None = None, lang: str = DEFAULT_LANGUAGE
) -> list[dict[str, Any]]:
    """Checklist entries 'Security (12)': the count is how many events match the other filters. A
    timeline of several files lists each topic's lanes under its name."""
    heads = {first: topic for topic, first, _ in lane_groups(timeline, timeline.themes)}
    opts: list[dict[str, Any]] = []
    for i, t in enumerate(timeline.themes):
        if i in heads:
            heading = html.Span(theme_label(heads[i]), className="topic-head")
            opts.append({"label": heading, "value": TOPIC_HEAD + heads[i], "disabled": True})
        text = theme_label(t, lang) if counts is None else f"{theme_label(t, lang)} ({counts.get(t, 0):,})"
        swatch = html.Span(className="swatch", style={"background": lane_style(i)[0]})
        opts.append({"label": html.Span([swatch, text]), "value": t})
    return opts


def theme_checklist(
    timeline: Timeline, lang: str = DEFAULT_LANGUAGE, ticked: tuple[str, ...] | None = None
) -> dcc.Checklist:
    """The theme filter of a timeline, the ``ticked`` lanes ticked (None: every lane). Opening another
    file puts a new one in its place: Dash's renderer fails to update options whose labels are
    components when their number changes (counts, which keep the number, are updated in place)."""
    return dcc.Checklist(
        id="themes",
        options=theme_options(timeline, lang=lang),
        value=list(timeline.themes if ticked is None else ticked),
        className="theme-list",
        labelClassName="theme-item",
    )


def scale_options(t: Translator) -> list[dict[str, Any]]:
    """The x axis scales a reader can choose (core.query.SCALES), carried in the URL as scale=."""
    return [
        {"label": html.Span(t("Time"), title=t("Dates to scale")), "value": "time"},
        {"label": html.Span(t("Sequence"), title=t("Events evenly spaced in date order")), "value": "sequence"},
        {"label": html.Span(t("Log"), title=t("Years before present, on a logarithmic axis")), "value": "log"},
    ]


def column_labels(t: Translator) -> dict[str, str]:
    """The columns of ours an upload's user may choose a file's column for (core.columns.MAPPED)."""
    return {
        "date": t("Date"),
        "title": t("Title"),
        "themes": t("Themes (one lane each)"),
        "end_date": t("End date"),
        "description": t("Description"),
    }


def column_choices(t: Translator) -> html.Div:
    """Shown under an upload whose header is not understood: for each of our columns, a choice of the
    file's columns (filled in by the upload callback), and a button to open the file so."""
    labels = column_labels(t)
    return html.Div(
        id="column-map",
        className="column-map",
        hidden=True,
        children=[
            html.P(t("Or say which of the file's columns is which:")),
            *[
                html.Label(
                    className="column-choice",
                    children=[
                        labels[ours],
                        dcc.Dropdown(id=f"map-{ours}", options=[], placeholder=t("(none)"), clearable=True),
                    ],
                )
                for ours in MAPPED
            ],
            html.Button(t("Open with these columns"), id="map-open", className="button", n_clicks=0),
        ],
    )


ORDER_QUESTION = N_("The file's dates such as {date} are:")
"""What the choice of a date order asks, quoting a date of the file that needs it."""


def date_order_choice(t: Translator) -> html.Div:
    """Shown under an upload whose dates need an order (03/04/1854: March or April?): a button for
    each, opening the file again so. Its question is set with one of the file's dates."""
    return html.Div(
        id="date-order-choice",
        className="column-map",
        hidden=True,
        children=[
            html.P(id="date-order-question"),
            html.Div(
                className="row",
                children=[
                    html.Button(t("month/day/year"), id="order-mdy", className="button secondary", n_clicks=0),
                    html.Button(t("day/month/year"), id="order-dmy", className="button secondary", n_clicks=0),
                ],
            ),
        ],
    )


UPLOAD_ACCEPT = ".csv,.tsv,.txt,.json,.xlsx,.xlsm,.ods,.parquet,text/*,application/json"
"""What the file chooser offers: text (CSV, TimelineJS JSON) and workbooks. A file dragged in that is
none of these is shown refused (className_reject) as it is dragged."""

TABLE_PAGE_SIZE = 12


def upload_modes(t: Translator) -> list[dict[str, Any]]:
    """What an upload does: replace the timeline shown, or join it as a new topic."""
    return [
        {"label": t("Open instead"), "value": "open"},
        {"label": t("Add to the timeline"), "value": "add"},
    ]


def table_columns(t: Translator) -> list[dict[str, Any]]:
    return [
        # room for a period on two lines: "28 Jul 1914 –" over "11 Nov 1918"
        {"headerName": t("Date"), "field": "when", "flex": 2.4, "minWidth": 128},
        {"headerName": t("Title"), "field": "title", "flex": 4.6, "minWidth": 140, "tooltipField": "title"},
        {"headerName": t("Themes"), "field": "themes", "flex": 3, "minWidth": 120, "tooltipField": "themes"},
        {"headerName": t("Location"), "field": "location", "flex": 3, "minWidth": 120, "tooltipField": "location"},
    ]


SELECTED_ROW_CLASS = "table-selected"
"""The class of the selected event's row (coloured in style.css)."""
# Enter on a row selects its event, as a click does: the grid reports it as a click on that cell.
ENTER_SELECTS = (
    "params.event.key === 'Enter' && params.data ? setGridProps({cellClicked: {value: params.value, "
    "colId: params.column.colId, rowIndex: params.rowIndex, rowId: params.node.id, "
    "timestamp: params.event.timeStamp}}) : null"
)


def events_table(t: Translator) -> dag.AgGrid:
    """The filtered events as a grid: each page of rows is asked of the server (AG Grid's infinite
    row model), which sorts, so a million events never travel to the browser. Cells show text only."""
    return dag.AgGrid(
        id="table",
        className="table-grid",
        rowModelType="infinite",
        columnDefs=table_columns(t),
        defaultColDef={
            "sortable": True,
            "sortingOrder": ["asc", "desc", None],
            "resizable": True,
            "suppressMovable": True,
            "filter": False,
            "wrapText": True,  # two lines a row (the grid needs one height for rows it has not loaded)
        },
        getRowId="'' + params.data.id",  # a row is named by its event's row number (as text, as the grid wants)
        rowClassRules={SELECTED_ROW_CLASS: "false"},  # the table callback marks the selected row
        eventListeners={
            "cellKeyDown": [ENTER_SELECTS],
            # a phone's table: date and title alone, in taller rows (assets/table.js)
            "gridSizeChanged": ["fitTableToWidth(params)"],
            "firstDataRendered": ["fitTableToWidth(params)"],
        },
        dashGridOptions={
            "pagination": True,
            "paginationPageSize": TABLE_PAGE_SIZE,
            "paginationPageSizeSelector": False,
            "cacheBlockSize": TABLE_PAGE_SIZE,
            "maxBlocksInCache": 20,
            "maxConcurrentDatasourceRequests": 1,  # the grid holds one pending request's answer at a time
            "infiniteInitialRowCount": 1,
            "suppressMultiSort": True,
            "domLayout": "autoHeight",
            "rowHeight": 46,
            "headerHeight": 36,
            "tooltipShowDelay": 600,
            "ensureDomOrder": True,
            # one Tab stop: Tab leaves the grid from its header or a row (the arrow keys move inside)
            "tabToNextHeader": {"function": "false"},
            "tabToNextCell": {"function": "false"},
            "enableCellTextSelection": True,
            "localeText": {
                "noRowsToShow": t("No events match the filters."),
                "page": t("Page"),
                "of": t("of"),
                "to": t("to"),
                "firstPage": t("First page"),
                "previousPage": t("Previous page"),
                "nextPage": t("Next page"),
                "lastPage": t("Last page"),
                "loadingOoo": t("Loading..."),
            },
        },
    )


def date_input(component_id: str, label: str, example: str) -> html.Div:
    """A labelled text box for a date as historians write it (applied when the user presses Enter or leaves)."""
    return html.Div(
        [
            html.Label(label, htmlFor=component_id),
            dcc.Input(
                id=component_id, type="text", debounce=True, value="", placeholder=example, className="text-input"
            ),
        ]
    )


def same_time_section(t: Translator) -> html.Section:
    """The events at the same time as the selected one (filled when one is selected), and a button
    that filters the view to its period."""
    return html.Section(
        id="same-time",
        className="details same-time",
        hidden=True,
        **aria(label=t("At the same time")),
        children=[
            html.H3(t("At the same time")),
            html.Div(id="same-time-list"),
            html.Button(t("Show this period"), id="show-period", className="button secondary", n_clicks=0),
        ],
    )


def details_card(t: Translator) -> html.Div:
    """The selected event's details, in a card shown over the page when an event is selected, so they
    are read without scrolling: beside the chart on a wide screen, a sheet at the bottom of a phone's.
    Closing it hides it; the selection stays marked in the table."""
    return html.Div(
        id="details-card",
        className="details-card",
        hidden=True,
        role="dialog",
        **aria(label=t("Event details"), modal="false"),
        children=[
            html.Button(
                "×",
                id="details-close",
                className="close-button",
                n_clicks=0,
                title=t("Close the details"),
                **aria(label=t("Close the details")),
            ),
            html.Section(
                id="details",
                className="details",
                **aria(live="polite"),
                children=html.P(t("Click an event, a period or a table row to see its details."), className="hint"),
            ),
            same_time_section(t),
        ],
    )


def story_bar(t: Translator, hidden: bool = False) -> html.Div:
    """The story's controls above the chart: a button that starts it; while it is told, Previous,
    where it is ("3 / 12"), Next, and a button that ends it (the class ``telling`` shows which).
    ``hidden`` for a timeline beyond memory (a story needs its events in memory)."""
    return html.Div(
        id="story-bar",
        className="story-bar",
        hidden=hidden,
        role="toolbar",
        **aria(label=t("Story")),
        children=[
            html.Button(
                t("Tell as a story"),
                id="story-start",
                className="button secondary story-start",
                n_clicks=0,
                title=t("Go through the events one at a time, in order (← and → keys)"),
            ),
            html.Button("← " + t("Previous"), id="story-prev", className="button secondary story-step", n_clicks=0),
            html.Span(id="story-progress", className="story-progress story-step", role="status"),
            html.Button(t("Next") + " →", id="story-next", className="button story-step", n_clicks=0),
            html.Button(t("End the story"), id="story-close", className="link-button story-step", n_clicks=0),
        ],
    )


def story_card(t: Translator) -> html.Section:
    """The story's step: its event (or the timeline's cover) with its date, text, media and source,
    where the details card goes (beside the chart; a sheet at the bottom of a phone's screen)."""
    return html.Section(
        id="story-card",
        className="details-card story-card",
        hidden=True,
        **aria(label=t("Story"), live="polite"),
        children=[html.Div(id="story-content", className="details")],
    )


def language_switch(lang: str) -> html.Nav:
    """Links to the page in each other language (the view's query is kept: see assets/language.js)."""
    t = translator(lang)
    return html.Nav(
        className="languages",
        **aria(label=t("Language")),
        children=[
            html.A(name, href=f"?lang={code}", id=f"lang-{code}", lang=code, className="language")
            for code, name in LANGUAGES.items()
            if code != lang
        ],
    )


def radio_group(
    component_id: str, options: list[dict[str, Any]], value: str, class_name: str, label_id: str
) -> html.Div:
    """Radio buttons in a row, announced as a group under the label ``label_id``."""
    return html.Div(
        dcc.RadioItems(
            id=component_id,
            options=options,
            value=value,
            className=class_name,
            labelClassName="scale-item",
            inline=True,
        ),
        role="radiogroup",
        **aria(labelledby=label_id),
    )


EMBED_CLASS = "embed"
"""The page root's class in embed mode: style.css then shows the chart alone (the side panel, header,
overview strip and table stay in the page, hidden, since the callbacks read and write them)."""


TABLES_POLL_MS = 3000


def tables_ready(timeline: Timeline) -> bool:
    """Whether the tables of quick clicks are all in place, their maker done (a timeline in memory
    needs none)."""
    engine = timeline.engine
    return bool(getattr(engine, "tables_done", getattr(engine, "precomputed", True)))


def tables_note(timeline: Timeline, t: Translator) -> tuple[str | None, bool]:
    """(what the page says of the tables of quick clicks, None: nothing; whether it should look again
    later): that they are being made, or that they could not be (their maker failed, the disk full...:
    the server's terminal says why)."""
    if tables_ready(timeline) or timeline.preview_of:  # a preview gets none: its page reloads instead
        return None, False
    if getattr(timeline.engine, "tables_given_up", False):
        return t("The tables that speed up clicks could not be made: answers take longer."), False
    return t("Making the tables that speed up clicks: until they are ready, answers take longer."), True


def build_layout(
    timeline: Timeline, title: str | None, max_upload_mb: int, lang: str = DEFAULT_LANGUAGE, embed: bool = False
) -> html.Div:
    """The page in ``lang`` (every string through the message catalogue), under ``title`` if one is
    given (``render.figure.figure_title``); with ``embed``, for an ``<iframe>`` on another site: the
    chart alone, as wide as the frame."""
    t = translator(lang)
    beyond = timeline.engine is not None  # an engine holds the events: the time scale, no story
    note, looking = tables_note(timeline, t)
    return html.Div(
        className=f"page {EMBED_CLASS}" if embed else "page",
        lang=lang,
        children=[
            dcc.Location(id="url", refresh=False),
            dcc.Store(id="lang", data=lang),
            dcc.Store(id="view"),
            dcc.Store(id="layout-width"),
            # The key of the user's upload (None: the served file), kept by the tab: a reload shows the
            # upload again (a key the server no longer has is forgotten: callbacks.upload.forget_gone).
            dcc.Store(id="dataset", data=None, storage_type="session"),
            dcc.Store(id="selected", data=None),  # row of the selected event
            dcc.Store(id="timeline-zoom"),  # the chart's relayouts that change its x axis (callbacks.view)
            dcc.Store(id="overview-zoom"),
            dcc.Store(id="upload-ok", data=None),  # an upload within the size limit, on its way to the server
            html.Header(
                className="top",
                children=[
                    html.H1(figure_title(timeline, title, lang), id="page-title"),
                    html.P(id="match-count", className="count", role="status", **aria(live="polite")),
                    # Shown while the match count is on its way (style.css): the server counts and draws, which
                    # takes seconds for a first search of millions of events. How far such a search has got
                    # replaces the words (assets/progress.js, callbacks/progress.py), and is said to screen
                    # readers in the status after it, at every tenth of the way.
                    html.P(
                        id="working",
                        className="working",
                        # i18n: {percent} and {total} (a number of events) are filled in by the page's script.
                        **data(progress=t("Searching… {percent}% of {total} events")),
                        children=[
                            html.Span(t("Searching and counting…"), className="working-idle"),
                            html.Span(className="working-progress", hidden=True, **aria(hidden="true")),
                        ],
                    ),
                    html.P(id="search-progress", className="sr-only", role="status", **aria(live="polite")),
                    # A store served before its tables of quick clicks are made (callbacks/progress.py):
                    # said until they are, looked for every few seconds.
                    html.P(note or "", id="tables-note", className="tables-note", hidden=note is None),
                    dcc.Interval(id="tables-poll", interval=TABLES_POLL_MS, disabled=not looking),
                    # A preview of a large dataset's first rows, served while the rest are validated:
                    # said, and the page reloaded once the server serves them all (callbacks/progress.py).
                    html.P(
                        t(
                            "A preview: the first {rows:,} of {total:,} rows, validated so far. "
                            "The page reloads with all of them once every row is.",
                            rows=timeline.size,
                            total=timeline.preview_of,
                        )
                        if timeline.preview_of
                        else "",
                        id="preview-note",
                        className="tables-note",
                        hidden=not timeline.preview_of,
                    ),
                    dcc.Interval(id="preview-poll", interval=TABLES_POLL_MS, disabled=not timeline.preview_of),
                    dcc.Store(id="whole-served", data=None),
                    html.Span(id="search-key", hidden=True),  # under which the search records its progress
                    # On a narrow screen the filters fold away behind this button (see style.css).
                    language_switch(lang),
                    html.Button(
                        t("Filters"),
                        id="filters-toggle",
                        className="button secondary filters-toggle",
                        n_clicks=0,
                        **aria(expanded="false", controls="controls"),
                    ),
                ],
            ),
            html.Div(
                className="body",
                children=[
                    html.Aside(
                        id="controls",
                        className="controls",
                        **aria(label=t("Filters and exports")),
                        children=[
                            html.Label(t("Search"), htmlFor="search"),
                            dcc.Input(
                                id="search",
                                type="search",
                                debounce=0.4,
                                value="",
                                placeholder=t("Search events"),
                                className="text-input",
                            ),
                            html.P(
                                t("title:word looks in titles alone, and is quicker in a large file."),
                                id="search-hint",
                                className="hint",
                            ),
                            html.Div(
                                className="dates",
                                children=[
                                    date_input("date-from", t("From"), t("e.g. 1945")),
                                    date_input("date-to", t("To"), t("e.g. 2000-06")),
                                ],
                            ),
                            html.P(t("Dates: 1951, 2015-04 or 2015-04-29; -490 is 490 BCE."), className="hint"),
                            html.P(id="filter-error", className="error", role="alert"),
                            html.Div(
                                className="themes-head",
                                children=[
                                    html.Span(t("Themes"), className="label", id="themes-label"),
                                    html.Button(t("All"), id="themes-all", className="link-button", n_clicks=0),
                                    html.Button(t("None"), id="themes-none", className="link-button", n_clicks=0),
                                ],
                            ),
                            html.Div(theme_checklist(timeline, lang), id="themes-box"),
                            html.Div(
                                [
                                    html.Span(t("Scale"), className="label", id="scale-label"),
                                    radio_group("scale", scale_options(t), "time", "scale-list", "scale-label"),
                                ],
                                hidden=beyond,  # an engine draws the time scale only
                            ),
                            html.Button(t("Reset zoom"), id="reset-zoom", className="button secondary", n_clicks=0),
                            html.Div(
                                className="downloads",
                                children=[
                                    html.Span(t("Export the current view"), className="label"),
                                    html.Button(t("Download PNG"), id="download-png", className="button", n_clicks=0),
                                    html.Div(
                                        className="row",
                                        children=[
                                            html.Button(
                                                "SVG", id="download-svg", className="button secondary", n_clicks=0
                                            ),
                                            html.Button(
                                                "PDF", id="download-pdf", className="button secondary", n_clicks=0
                                            ),
                                        ],
                                    ),
                                    html.Div(
                                        className="row",
                                        children=[
                                            html.Button(
                                                "CSV",
                                                id="download-csv",
                                                className="button secondary",
                                                n_clicks=0,
                                                title=t("The filtered events, in this app's CSV format"),
                                            ),
                                            html.Button(
                                                "HTML",
                                                id="download-html",
                                                className="button secondary",
                                                n_clicks=0,
                                                title=t("An interactive page that works offline"),
                                            ),
                                        ],
                                    ),
                                    html.Button(
                                        t("Download story (HTML)"),
                                        id="download-story",
                                        className="button secondary",
                                        hidden=beyond,
                                        n_clicks=0,
                                        title=t("The story, one event at a time, as a page that needs no server"),
                                    ),
                                    dcc.Loading(html.Div(id="download-status", className="hint"), type="dot"),
                                    dcc.Download(id="download"),
                                ],
                            ),
                            html.Div(
                                className="upload-box",
                                children=[
                                    html.Span(t("Open your own file"), className="label", id="upload-label"),
                                    dcc.Upload(
                                        id="upload",
                                        className="upload",
                                        multiple=False,
                                        accept=UPLOAD_ACCEPT,
                                        className_reject="upload upload-refused",
                                        children=html.Div(
                                            [
                                                t("Drop a CSV, spreadsheet (.xlsx, .ods) or TimelineJS file here, or "),
                                                html.Span(t("choose one"), className="link"),
                                            ]
                                        ),
                                    ),
                                    radio_group("upload-mode", upload_modes(t), "open", "upload-modes", "upload-label"),
                                    html.P(
                                        t(
                                            "Up to {mb:,} MB. It stays in your browser session; others see the "
                                            "served file. Added files are topics of their own.",
                                            mb=max_upload_mb,
                                        ),
                                        className="hint",
                                    ),
                                    dcc.Loading(html.Div(id="upload-status", role="alert"), type="dot"),
                                    column_choices(t),
                                    date_order_choice(t),
                                ],
                            ),
                        ],
                    ),
                    html.Main(
                        className="chart",
                        children=[
                            story_bar(t, hidden=beyond),
                            # The chart, named and summarised in words for screen readers (the table below
                            # is the way to read its events one by one).
                            html.Div(
                                role="figure",
                                **aria(label=t("Timeline chart"), describedby="chart-summary"),
                                children=[
                                    html.P(id="chart-summary", className="sr-only", **aria(live="polite")),
                                    # A spinner over the chart (which stays visible) when an update takes a moment.
                                    dcc.Loading(
                                        dcc.Graph(id="timeline", config=graph_config(lang), className="graph"),
                                        target_components={"timeline": "figure"},  # type: ignore[arg-type]  # dash: an empty TypedDict
                                        delay_show=400,
                                        show_initially=False,
                                        overlay_style={"visibility": "visible", "opacity": 0.6},
                                        type="circle",
                                    ),
                                ],
                            ),
                            html.Div(
                                className="overview-box",
                                children=[
                                    html.Span(
                                        t("Events over the whole span: drag across it to zoom"), className="hint"
                                    ),
                                    dcc.Graph(
                                        id="overview",
                                        config={"displayModeBar": False, "responsive": True},
                                        className="overview",
                                        style={"height": f"{OVERVIEW_HEIGHT}px"},  # as the chart's box (chart_box)
                                    ),
                                ],
                            ),
                            html.Div(
                                className="lower",
                                children=[
                                    html.Section(
                                        className="table-box",
                                        **aria(label=t("Events as a table")),
                                        children=[events_table(t)],
                                    ),
                                ],
                            ),
                        ],
                    ),
                    story_card(t),
                    details_card(t),
                ],
            ),
        ],
    )
