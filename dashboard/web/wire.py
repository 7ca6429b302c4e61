"""The JSON a page sends to run a callback: checked here on every request, and built here for
scripts that talk to a server as a page would (tests, load tests, benchmarks)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .inputs import BadInput


def callback_body(
    outputs: Sequence[tuple[str, str]],
    inputs: Sequence[tuple[str, str, object]],
    state: Sequence[tuple[str, str, object]] = (),
    changed: list[str] | None = None,
) -> dict[str, Any]:
    """``outputs``: (id, prop); ``inputs`` / ``state``: (id, prop, value); ``changed``: 'id.prop' that fired."""
    if len(outputs) == 1:
        output = f"{outputs[0][0]}.{outputs[0][1]}"
        outs: dict[str, str] | list[dict[str, str]] = {"id": outputs[0][0], "property": outputs[0][1]}
    else:
        output = ".." + "...".join(f"{i}.{p}" for i, p in outputs) + ".."
        outs = [{"id": i, "property": p} for i, p in outputs]
    return {
        "output": output,
        "outputs": outs,
        "inputs": [{"id": i, "property": p, "value": v} for i, p, v in inputs],
        "state": [{"id": i, "property": p, "value": v} for i, p, v in state],
        "changedPropIds": changed if changed is not None else [f"{inputs[0][0]}.{inputs[0][1]}"],
    }


def page_state(key: str | None = None, lang: str | None = None) -> list[tuple[str, str, object]]:
    """The state each data callback reads last, as a page sends it: which file (``dataset``: None for
    the served one) and in which language (``lang``: None for English)."""
    return [("dataset", "data", key), ("lang", "data", lang)]


def check_callback_request(body: object, callbacks: Mapping[str, Any]) -> None:
    """BadInput unless ``body`` names a server callback of ``callbacks`` (Dash's callback map) and sends
    exactly its inputs and state, in order (Dash would otherwise fail on it with a 500)."""
    if not isinstance(body, dict):
        raise BadInput("a callback request must be a JSON object")
    output = body.get("output")
    spec = callbacks.get(output) if isinstance(output, str) else None
    if spec is None or spec.get("callback") is None:  # clientside callbacks run in the browser only
        raise BadInput("no such callback")
    for part in ("inputs", "state"):
        sent = body.get(part, [])
        wanted = spec.get(part, [])
        if not isinstance(sent, list) or len(sent) != len(wanted):
            raise BadInput(f"the callback takes {len(wanted)} {part}")
        for given, dep in zip(sent, wanted):
            if not isinstance(given, dict) or (given.get("id"), given.get("property")) != (dep["id"], dep["property"]):
                raise BadInput(f"{part} must be {', '.join(d['id'] + '.' + d['property'] for d in wanted)}")
    if not isinstance(body.get("outputs"), (dict, list)):
        raise BadInput("outputs must be given")
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(c, str) for c in changed):
        raise BadInput("changedPropIds must be a list of strings")
