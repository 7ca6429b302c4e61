"""The page: controls on the left, the timeline and the event details on the right.

Only structure lives here; every value comes from callbacks, so a shared link
(the URL query) restores the same view.
"""

from __future__ import annotations

from dash import dash_table, dcc, html

from ..core.model import Timeline
from ..render.figure import lane_style, theme_label

GRAPH_CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "modeBarButtonsToRemove": ["select2d", "lasso2d", "toImage"],
    "scrollZoom": False,
}


def theme_options(timeline: Timeline, counts: dict[str, int] | None = None) -> list[dict]:
    """Checklist entries 'Security (12)': the count is how many events match the other filters."""
    opts = []
    for i, t in enumerate(timeline.themes):
        text = theme_label(t) if counts is None else f"{theme_label(t)} ({counts.get(t, 0):,})"
        swatch = html.Span(className="swatch", style={"background": lane_style(i)[0]})
        opts.append({"label": html.Span([swatch, text]), "value": t})
    return opts


TABLE_COLUMNS = [
    {"name": "Date", "id": "when"},
    {"name": "Title", "id": "title"},
    {"name": "Themes", "id": "themes"},
    {"name": "Location", "id": "location"},
]
TABLE_PAGE_SIZE = 12


def build_layout(timeline: Timeline, title: str, max_upload_mb: int) -> html.Div:
    return html.Div(
        className="page",
        children=[
            dcc.Location(id="url", refresh=False),
            dcc.Store(id="view"),
            dcc.Store(id="layout-width"),
            dcc.Store(id="dataset", data=None),  # key of the user's upload; None: the served file
            dcc.Store(id="selected", data=None),  # row of the selected event
            dcc.Store(id="upload-ok", data=None),  # an upload within the size limit, on its way to the server
            html.Header(
                className="top",
                children=[
                    html.H1(title, id="page-title"),
                    html.P(id="match-count", className="count", role="status", **{"aria-live": "polite"}),
                ],
            ),
            html.Div(
                className="body",
                children=[
                    html.Aside(
                        className="controls",
                        children=[
                            html.Label("Search", htmlFor="search"),
                            dcc.Input(
                                id="search",
                                type="search",
                                debounce=0.4,
                                value="",
                                placeholder="Search events",
                                className="text-input",
                            ),
                            html.Div(
                                className="dates",
                                children=[
                                    html.Div(
                                        [
                                            html.Label("From", htmlFor="date-from"),
                                            dcc.Input(
                                                id="date-from",
                                                type="text",
                                                debounce=True,
                                                value="",
                                                placeholder="e.g. 1945",
                                                className="text-input",
                                            ),
                                        ]
                                    ),
                                    html.Div(
                                        [
                                            html.Label("To", htmlFor="date-to"),
                                            dcc.Input(
                                                id="date-to",
                                                type="text",
                                                debounce=True,
                                                value="",
                                                placeholder="e.g. 2000-06",
                                                className="text-input",
                                            ),
                                        ]
                                    ),
                                ],
                            ),
                            html.P("Dates: 1951, 2015-04 or 2015-04-29; -490 is 490 BCE.", className="hint"),
                            html.P(id="filter-error", className="error", role="alert"),
                            html.Div(
                                className="themes-head",
                                children=[
                                    html.Span("Themes", className="label"),
                                    html.Button("All", id="themes-all", className="link-button", n_clicks=0),
                                    html.Button("None", id="themes-none", className="link-button", n_clicks=0),
                                ],
                            ),
                            dcc.Checklist(
                                id="themes",
                                options=theme_options(timeline),
                                value=list(timeline.themes),
                                className="theme-list",
                                labelClassName="theme-item",
                            ),
                            html.Button("Reset zoom", id="reset-zoom", className="button secondary", n_clicks=0),
                            html.Div(
                                className="downloads",
                                children=[
                                    html.Span("Export the current view", className="label"),
                                    html.Button("Download PNG", id="download-png", className="button", n_clicks=0),
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
                                                title="The filtered events, in this app's CSV format",
                                            ),
                                            html.Button(
                                                "HTML",
                                                id="download-html",
                                                className="button secondary",
                                                n_clicks=0,
                                                title="An interactive page that works offline",
                                            ),
                                        ],
                                    ),
                                    dcc.Loading(html.Div(id="download-status", className="hint"), type="dot"),
                                    dcc.Download(id="download"),
                                ],
                            ),
                            html.Div(
                                className="upload-box",
                                children=[
                                    html.Span("Open your own file", className="label"),
                                    dcc.Upload(
                                        id="upload",
                                        className="upload",
                                        multiple=False,
                                        children=html.Div(
                                            [
                                                "Drop a CSV or TimelineJS file here, or ",
                                                html.Span("choose one", className="link"),
                                            ]
                                        ),
                                    ),
                                    html.P(
                                        f"Up to {max_upload_mb:,} MB. It stays in your browser session; "
                                        "others see the served file.",
                                        className="hint",
                                    ),
                                    dcc.Loading(html.Div(id="upload-status", role="alert"), type="dot"),
                                ],
                            ),
                        ],
                    ),
                    html.Main(
                        className="chart",
                        children=[
                            # A spinner over the chart (which stays visible) when an update takes a moment.
                            dcc.Loading(
                                dcc.Graph(id="timeline", config=GRAPH_CONFIG, className="graph"),
                                target_components={"timeline": "figure"},
                                delay_show=400,
                                show_initially=False,
                                overlay_style={"visibility": "visible", "opacity": 0.6},
                                type="circle",
                            ),
                            html.Div(
                                className="overview-box",
                                children=[
                                    html.Span("Events over the whole span: drag across it to zoom", className="hint"),
                                    dcc.Graph(
                                        id="overview",
                                        config={"displayModeBar": False, "responsive": True},
                                        className="overview",
                                    ),
                                ],
                            ),
                            html.Div(
                                className="lower",
                                children=[
                                    html.Section(
                                        className="table-box",
                                        **{"aria-label": "Events as a table"},
                                        children=[
                                            dash_table.DataTable(
                                                id="table",
                                                columns=TABLE_COLUMNS,
                                                data=[],
                                                page_action="custom",
                                                page_current=0,
                                                page_size=TABLE_PAGE_SIZE,
                                                sort_action="custom",
                                                sort_mode="single",
                                                sort_by=[],
                                                cell_selectable=True,
                                                markdown_options={"html": False},
                                                style_table={"overflowX": "auto"},
                                                style_cell={
                                                    "textAlign": "left",
                                                    "fontFamily": "Noto Sans, DejaVu Sans, sans-serif",
                                                    "fontSize": "0.85rem",
                                                    "padding": "0.3rem 0.5rem",
                                                    "whiteSpace": "normal",
                                                    "height": "auto",
                                                    "maxWidth": "28rem",
                                                },
                                                style_header={"fontWeight": "600", "backgroundColor": "#eef2f6"},
                                            ),
                                        ],
                                    ),
                                    html.Section(
                                        id="details",
                                        className="details",
                                        **{"aria-live": "polite"},
                                        children=html.P(
                                            "Click an event, a period or a table row to see its details.",
                                            className="hint",
                                        ),
                                    ),
                                ],
                            ),
                        ],
                    ),
                ],
            ),
        ],
    )
