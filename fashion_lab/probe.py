"""Neighbour probes: side-by-side neighbour tables and an ipywidgets probe that survives export.

A term a model cannot resolve never scores 0. Its table cell states that the term is not in
the vocabulary, how many keys the model has and which keys look close.
"""

from __future__ import annotations

import html
import logging
import os
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from fashion_lab._checks import TermNotFoundError, check_positive_int
from fashion_lab.config import STATIC_ENV
from fashion_lab.models import EmbeddingModel, TermLookup
from fashion_lab.project import named_models

logger = logging.getLogger(__name__)

#: Set to ``"1"`` (the report runner does) to display probes as static HTML tables only.

Models = Mapping[str, EmbeddingModel] | Sequence[EmbeddingModel]


def neighbor_table(models: Models, term: str, k: int = 10) -> pd.DataFrame:
    """Return the `k` nearest neighbours of `term` in each model, side by side.

    Args:
        models: models keyed by display name, or a sequence (named by ``model.name``).
        term: the query term; it is normalised by each model's tokenizer.
        k: neighbours per model.

    Returns:
        A DataFrame indexed by rank (1..k) with columns ``"<model>"`` (neighbour) and
        ``"<model> score"`` (cosine) for each model. Where a model cannot resolve `term`, the
        first cell reads ``"'<term>' not in vocabulary of <model> (<n> keys); close: ..."`` and
        its scores are NaN. ``attrs["notes"]`` describes how each model looked the term up when
        that was not an exact key match; ``attrs["missing"]`` lists the models that lack the term.

    Example:
        >>> from gensim.models import KeyedVectors
        >>> from fashion_lab.models import WordVectorModel
        >>> wv = KeyedVectors(2)
        >>> wv.add_vectors(["bootcut", "flare", "midi"], np.array([[1, 0], [0.8, 0.6], [0, 1.0]]))
        >>> neighbor_table([WordVectorModel(wv, name="toy")], "bootcut", k=1)["toy"].tolist()
        ['flare']
    """
    named = named_models(models)
    check_positive_int("k", k)
    columns: dict[str, list] = {}
    notes: list[str] = []
    missing: list[str] = []
    for name, model in named.items():
        lookup = model.lookup(term)
        names = [""] * k
        scores = [np.nan] * k
        if lookup.found:
            found = model.neighbors(term, k)
            names[: len(found)] = found["neighbor"].tolist()
            scores[: len(found)] = found["score"].astype(float).tolist()
            if lookup.method != "exact":
                notes.append(f"{name}: {term!r} {lookup.method}: {lookup.note}")
        else:
            missing.append(name)
            names[0] = _missing_cell(name, model, lookup)
            notes.append(f"{name}: {_not_found(name, model, lookup)}")
        columns[name] = names
        columns[f"{name} score"] = scores
    table = pd.DataFrame(columns, index=pd.RangeIndex(1, k + 1, name="rank"))
    table.attrs.update(term=term, notes=notes, missing=missing)
    return table


def probe_terms(models: Models, terms: Sequence[str],
                k: int = 10) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the `k` nearest neighbours of each term in each model, carrying on past misses.

    Returns:
        ``(table, skipped)``. ``table`` is a long DataFrame with columns term, model, rank,
        neighbor, score, method (how the model looked the term up). ``skipped`` has one row
        (term, model, reason) per term a model could not resolve. Those pairs have no rows in
        ``table``, so no miss is ever scored.

    Example:
        >>> from gensim.models import KeyedVectors
        >>> from fashion_lab.models import WordVectorModel
        >>> wv = KeyedVectors(2)
        >>> wv.add_vectors(["bootcut", "flare"], np.array([[1.0, 0.0], [0.8, 0.6]]))
        >>> toy = WordVectorModel(wv, name="toy")
        >>> table, skipped = probe_terms([toy], ["flare", "jeggings"], k=1)
        >>> table["neighbor"].tolist(), skipped["term"].tolist()
        (['bootcut'], ['jeggings'])
    """
    named = named_models(models)
    check_positive_int("k", k)
    if isinstance(terms, str):
        raise TypeError(f"terms must be a list of terms; got the string {terms!r}. "
                        f"Use [{terms!r}] or neighbor_table() for one term")
    frames: list[pd.DataFrame] = []
    skipped: list[dict[str, str]] = []
    for term in terms:
        for name, model in named.items():
            lookup = model.lookup(term)
            if not lookup.found:
                skipped.append({"term": term, "model": name,
                                "reason": _not_found(name, model, lookup)})
                continue
            found = model.neighbors(term, k)
            frames.append(found.assign(term=term, model=name, rank=range(1, len(found) + 1),
                                       method=lookup.method))

    columns = ["term", "model", "rank", "neighbor", "score", "method"]
    table = pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(
        columns=columns)
    if skipped:
        logger.warning("probe: skipped %d of %d lookups: %s", len(skipped),
                       len(terms) * len(named),
                       ", ".join(f"{s['term']} ({s['model']})" for s in skipped))
    return table, pd.DataFrame(skipped, columns=["term", "model", "reason"])


def _not_found(name: str, model: EmbeddingModel, lookup: TermLookup) -> str:
    error = TermNotFoundError(lookup.term, name, model.vocab_size, lookup.suggestions)
    tried = f" ({lookup.note})" if lookup.note else ""
    return f"{error}{tried}"


def _missing_cell(name: str, model: EmbeddingModel, lookup: TermLookup) -> str:
    close = (f"close: {', '.join(lookup.suggestions)}" if lookup.suggestions
             else "no close keys; a FastText model builds vectors from subwords")
    return (f"{lookup.term!r} not in vocabulary of {name} ({model.vocab_size:,} keys); "
            f"{close}")


class NeighborProbe:
    """An ipywidgets probe: type a term, press Enter, see its neighbours in every model.

    The input is a Combobox that suggests the vocabulary shared by the models and updates its
    value on Enter or blur (not per keystroke). Each new value triggers exactly one
    :func:`neighbor_table` call and replaces the output with one table. An empty value, or the
    value already shown, triggers nothing. Displaying the probe again does not add handlers.

    Every display also carries a static HTML table of the current term. With the environment
    variable ``FASHION_LAB_STATIC=1`` the probe displays only that table, because widget state
    is lost when a notebook runs headless (papermill, nbclient).

    Args:
        models: models keyed by display name, or a sequence (named by ``model.name``).
        k: neighbours per model.
        default_term: term shown first; None or ``""`` starts empty.
        max_options: maximum number of vocabulary suggestions sent to the browser.

    Attributes:
        lookup_count: number of :func:`neighbor_table` calls made so far.
        input: the Combobox; output: the Output area; widget: both in a VBox.
    """

    def __init__(self, models: Models, *, k: int = 10, default_term: str | None = "bootcut",
                 max_options: int = 2000) -> None:
        import ipywidgets as widgets

        self.models = named_models(models)
        check_positive_int("k", k)
        self.k = k
        self.lookup_count = 0
        self.term: str | None = None
        self._table: pd.DataFrame | None = None
        self._bound = False
        self.input = widgets.Combobox(
            value=default_term or "", options=shared_vocabulary(self.models, max_options),
            ensure_option=False, continuous_update=False, description="term",
            placeholder="type a term, then Enter")
        self.output = widgets.Output()
        self.widget = widgets.VBox([self.input, self.output])
        if default_term:
            self._show(default_term)
        self._bind()

    def _bind(self) -> None:
        # Observe only "value": an unrestricted observe() also fires on internal traits.
        if self._bound:
            self.input.unobserve(self._on_value, names="value")
        self.input.observe(self._on_value, names="value")
        self._bound = True

    def _on_value(self, change: dict) -> None:
        term = str(change["new"]).strip()
        if not term or term == self.term:
            return
        self._show(term)

    def _show(self, term: str) -> None:
        try:
            table = neighbor_table(self.models, term, self.k)
        except ValueError as error:  # a model set up without candidates for neighbours
            logger.warning("probe: lookup of %r failed: %s", term, error)
            self.output.outputs = (_display_data({"text/plain": str(error)}),)
            return
        finally:
            self.lookup_count += 1
        self.term = term
        self._table = table
        self.output.outputs = (_display_data(_table_bundle(table, self.k)),)

    def to_frame(self) -> pd.DataFrame:
        """Return the table of the current term (empty before the first term)."""
        if self._table is None:
            return pd.DataFrame(index=pd.RangeIndex(1, self.k + 1, name="rank"))
        return self._table.copy()

    def close(self) -> None:
        """Remove the value handler and close the widgets (their views disappear)."""
        if self._bound:
            self.input.unobserve(self._on_value, names="value")
            self._bound = False
        self.widget.close()
        self.input.close()
        self.output.close()

    def _repr_mimebundle_(self, include: object = None, exclude: object = None) -> dict:
        bundle = _table_bundle(self._table, self.k) if self._table is not None else {
            "text/plain": "NeighborProbe: no term yet", "text/html": "<p>No term yet.</p>"}
        bundle["text/plain"] = f"{self!r}\n{bundle['text/plain']}"
        if os.environ.get(STATIC_ENV) == "1":
            return bundle
        self._bind()
        view = self.widget._repr_mimebundle_()
        bundle.update({key: value for key, value in view.items() if key != "text/plain"})
        return bundle

    def __repr__(self) -> str:
        return (f"NeighborProbe(term={self.term!r}, k={self.k}, "
                f"models=[{', '.join(self.models)}])")


def shared_vocabulary(models: Mapping[str, EmbeddingModel], limit: int = 2000) -> list[str]:
    """Return up to `limit` terms known to every model with a finite key list, in key order.

    Word models contribute their keys (most frequent first); sentence models their candidate
    vocabulary, unless it is empty, because an encoder reads any text.
    """
    key_lists = []
    for model in models.values():
        if hasattr(model, "wv"):
            key_lists.append([model._display(key) for key in model.wv.index_to_key])
        elif getattr(model, "vocabulary", None):
            key_lists.append(list(model.vocabulary))
    if not key_lists:
        return []
    others = [set(keys) for keys in key_lists[1:]]
    shared = [key for key in key_lists[0] if all(key in keys for keys in others)]
    return shared[:limit]


def _table_bundle(table: pd.DataFrame, k: int) -> dict[str, str]:
    term = table.attrs.get("term", "")
    notes = table.attrs.get("notes", [])
    heading = (f"<p><b>Nearest neighbours of {html.escape(repr(term))}</b> (k={k}; cosine "
               "score, higher is closer)</p>")
    body = table.to_html(na_rep="", float_format=lambda value: f"{value:.3f}")
    items = "".join(f"<li>{html.escape(note)}</li>" for note in notes)
    footer = f"<ul>{items}</ul>" if items else ""
    plain = table.to_string(na_rep="", float_format=lambda value: f"{value:.3f}")
    plain_notes = "".join(f"\n- {note}" for note in notes)
    return {"text/plain": f"Nearest neighbours of {term!r}\n{plain}{plain_notes}",
            "text/html": f'<div class="fashion-lab-probe">{heading}{body}{footer}</div>'}


def _display_data(data: dict[str, str]) -> dict:
    return {"output_type": "display_data", "data": data, "metadata": {}}
