"""The one base of every eoscope result: a status that carries its message, and ``to_dict()`` from the fields.

Status                 an enumeration (a ``str`` too, so ``result.status == "converged"`` holds); each member
                       carries a one-line ``description`` (the pattern of diffrax's ``RESULTS``)
Result                 frozen dataclass base: ``status``, ``message``, ``model`` (the Model object) and
                       ``version`` (set when the result is made); ``to_dict(arrays=False)`` is built from the
                       dataclass fields, leaving out the heavy arrays (fields declared with ``array_field()``)
                       unless asked
array_field()          a ``dataclasses.field`` for a heavy array: kept out of ``repr`` and of ``to_dict()``
version_field()        a ``dataclasses.field`` whose default is the installed version, read when the result is made
variable(), flag_attrs(), dataset_attrs()   the pieces of the results' ``to_dataset()`` (xarray, CF attributes)
"""
from __future__ import annotations

import dataclasses
import enum
import math

import numpy as np

from ._version import package_version


class Status(str, enum.Enum):
    """Status(value)

    What became of a computation: an enumeration that is a ``str`` too (``result.status == "converged"``).

    Arguments:
        value: a member's value, e.g. ``"converged"`` (``Status("converged") is Status.CONVERGED``).

    Returns:
        Status: the member; ``member.description`` says in words what it means, ``str(member)`` is its value.

    Raises:
        ValueError: ``value`` names no member.

    Members: CONVERGED, DIVERGED, MAX_STEPS, NOT_CONVERGED, OK, PARTIAL, FAILED, COMPLETED, BOUNDED, MAX_POINTS,
    STEP_UNDERFLOW, BRACKETED, UNCONFIRMED (each verb's docstring says which of them it returns).
    """

    def __new__(cls, value: str, description: str):
        member = str.__new__(cls, value)
        member._value_ = value
        member.description = description
        return member

    def __str__(self) -> str:  # "converged", not "Status.CONVERGED"
        return self.value

    CONVERGED = "converged", "the stopping test was met: a fixed point, an orbit or a bracket was found"
    DIVERGED = "diverged", "the iterate left the bound or became non-finite"
    MAX_STEPS = "max_steps", "the step budget ran out before any stopping test was met"
    NOT_CONVERGED = "not_converged", "the Newton iteration did not meet its tolerance within its iterations"
    OK = "ok", "the computation finished"
    PARTIAL = "partial", "the computation stopped early; the result holds what was finished"
    COMPLETED = "completed", "the computation ran over its whole range"
    BOUNDED = "bounded", "the orbit stayed finite and within the bound for every step"
    MAX_POINTS = "max_points", "the branch reached its point budget before leaving the parameter range"
    STEP_UNDERFLOW = "step_underflow", "the continuation step fell below its minimum (a singular point or a branch end)"
    BRACKETED = "bracketed", "a bisection bracket whose ends were confirmed by full runs: stable at lo, unstable at hi"
    UNCONFIRMED = "unconfirmed", "a bisection bracket whose ends did not keep their outcome when re-run without early stop"


def array_field(**kwargs):
    """array_field() -> dataclasses.field for a heavy array: out of ``repr`` and out of ``to_dict()``."""
    metadata = dict(kwargs.pop("metadata", {}) or {}, array=True)
    return dataclasses.field(repr=False, metadata=metadata, **kwargs)


def _plain(value):
    """JSON-ready: numpy → Python, non-finite floats → None, nested containers converted."""
    if isinstance(value, Status):
        return value.value
    if isinstance(value, enum.Enum):
        return _plain(value.value)
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, np.generic):
        return _plain(value.item())
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "describe") and hasattr(value, "state_names"):  # a derivations.Model (a dataclass too)
        return _plain(value.describe())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        if hasattr(value, "to_dict"):
            return _plain(value.to_dict())
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return value


@dataclasses.dataclass(frozen=True, eq=False)
class Result:
    """Result(): the base of eoscope's results (not made directly).

    Subclasses are frozen dataclasses that declare ``model``, ``status`` (a :class:`Status`) and ``message``
    among their fields; ``version`` is filled in when the result is made. ``to_dict()`` is built from the fields.
    """

    def to_dict(self, arrays: bool = False) -> dict:
        """to_dict(arrays=False) -> dict

        Every field, JSON-ready (the model as its spec, the status as its value, non-finite floats as None).

        Arguments:
            arrays: include the heavy array fields (declared with ``array_field()``) as nested lists. Default False.

        Returns:
            dict: {field name: plain Python value}, ready for ``json.dumps``.
        """
        record = {}
        for f in dataclasses.fields(self):
            if f.metadata.get("array") and not arrays:
                continue
            record[f.name] = _plain(getattr(self, f.name))
        return record


def version_field():
    """version_field() -> dataclasses.field: the installed eoscope version, read when the result is made."""
    return dataclasses.field(default_factory=package_version)


def flag_attrs(codes: dict) -> dict:
    """flag_attrs({meaning: code}) -> CF attributes ``flag_values`` / ``flag_meanings`` of a categorical variable."""
    items = sorted(codes.items(), key=lambda item: item[1])
    return {"flag_values": np.array([code for _, code in items], dtype=np.int8),
            "flag_meanings": " ".join(str(meaning) for meaning, _ in items)}


def variable(dims, data, long_name: str, units: str = "1", **attrs):
    """variable(dims, data, long_name, units="1", **attrs) -> xarray.Variable with ``long_name`` and ``units``
    ("1": dimensionless) and any further attributes (e.g. :func:`flag_attrs`)."""
    import xarray as xr

    return xr.Variable(dims, np.asarray(data), attrs={"long_name": long_name, "units": units, **attrs})


def dataset_attrs(result, **inputs) -> dict:
    """dataset_attrs(result, **inputs) -> the Dataset attributes of a result: the model's name, label, hash and
    state, the result's status and message, the inputs (None dropped; dicts and tuples as text) and the version."""
    model = result.model
    attrs = {"model": model.name, "model_label": model.label or model.name, "model_hash": model.hash,
             "state": " ".join(model.state_names)}
    for key, value in inputs.items():
        if value is None:
            continue
        if isinstance(value, bool):
            value = int(value)
        elif isinstance(value, (dict, list, tuple)):
            value = repr(_plain(value))
        elif isinstance(value, np.generic):
            value = value.item()
        attrs[key] = value
    status = getattr(result, "status", None)
    if isinstance(status, Status):
        attrs["status"] = status.value
    attrs["message"] = result.message
    attrs["eoscope_version"] = result.version
    return attrs
