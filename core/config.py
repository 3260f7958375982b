"""Task configuration base.

A task's Config is a frozen dataclass whose field names are at once the URL query keys, the CLI
``--set`` keys and the JSON keys. Each field carries its limits in ``param(...)`` metadata, so the
same rules validate a link, a command line and a widget. Construction validates; an invalid config
cannot exist.
"""

from __future__ import annotations

import dataclasses
import math
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

from core.errors import ConfigError
from core.escape import shortened

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def param(default: Any, *, min: float | None = None, max: float | None = None,
          choices: tuple | None = None, help: str = "", item_min: float | None = None,
          item_max: float | None = None, max_items: int | None = None) -> Any:
    """A config field with its validation rules (``item_*`` apply to each element of a tuple)."""
    meta = dict(min=min, max=max, choices=choices, help=help, item_min=item_min,
                item_max=item_max, max_items=max_items)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class TaskConfig:
    """Fields common to every task; subclasses redeclare them to change defaults or limits."""

    TASK: ClassVar[str] = ""

    seed: int = param(0, min=0, max=2**31 - 1, help="Random seed: same seed, same run.")
    epochs: int = param(100, min=1, max=2000, help="Passes over the training data.")
    learning_rate: float = param(0.01, min=1e-6, max=10.0, help="Optimizer step size.")
    batch_size: int = param(32, min=1, max=100_000, help="Examples per gradient step.")

    # ---- validation -------------------------------------------------------------------------
    def __post_init__(self) -> None:
        hints = self.field_types()
        for f in fields(self):
            value = getattr(self, f.name)
            # normalise lists to tuples so configs hash and compare by value
            if isinstance(value, list):
                object.__setattr__(self, f.name, tuple(value))
                value = tuple(value)
            _check_value(f.name, value, hints[f.name], f.metadata)
        self.check()

    def check(self) -> None:
        """Cross-field rules of a task; raise ConfigError with a sentence the user can act on."""

    # ---- introspection ----------------------------------------------------------------------
    @classmethod
    def field_types(cls) -> dict[str, Any]:
        return typing.get_type_hints(cls)

    @classmethod
    def field_names(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    @classmethod
    def meta(cls, name: str) -> Mapping[str, Any]:
        return {f.name: f.metadata for f in fields(cls)}[name]

    # ---- parsing from text (links, CLI) -----------------------------------------------------
    @classmethod
    def parse_value(cls, name: str, text: str) -> Any:
        hints = cls.field_types()
        if name not in hints or name == "TASK":
            raise ConfigError(f"unknown setting '{name}' for {cls.TASK}; valid: {', '.join(cls.field_names())}")
        return _parse(name, str(text).strip(), hints[name])

    @classmethod
    def from_strings(cls, pairs: Mapping[str, str], base: TaskConfig | None = None) -> TaskConfig:
        """Strict: any unknown key or bad value raises ConfigError (the CLI uses this)."""
        values = (base or cls()).to_values()
        for name, text in pairs.items():
            values[name] = cls.parse_value(name, text)
        return cls(**values)

    @classmethod
    def from_query(cls, params: Mapping[str, Any], base: TaskConfig | None = None
                   ) -> tuple[TaskConfig, list[str]]:
        """Lenient: a bad value in a shared link falls back to its default, with a warning, and
        the link's other values are kept. When values are fine alone but not together (a batch
        larger than the data), as few as possible are dropped: one if dropping one is enough,
        else each value is kept in the link's order while it fits with those kept before it."""
        base = base or cls()
        warnings: list[str] = []
        keys = set(cls.field_names())
        parsed: dict[str, Any] = {}
        for name, text in params.items():
            if name not in keys:
                continue  # other pages' keys and UI-only keys live in the same URL
            if isinstance(text, list):
                text = text[-1] if text else ""
            try:
                value = cls.parse_value(name, text)
                _check_value(name, value, cls.field_types()[name], cls.meta(name))
                parsed[name] = value
            except ConfigError as exc:
                warnings.append(f"ignored link value {name}={_quote(text)}: {exc}; using {getattr(base, name)!r}")

        def build(values: dict[str, Any]) -> TaskConfig | None:
            try:
                return cls(**dict(base.to_values(), **values))
            except ConfigError:
                return None

        config = build(parsed)
        if config is not None:
            return config, warnings
        names = list(parsed)
        for name in reversed(names):  # the smallest change: drop a single value
            config = build({k: v for k, v in parsed.items() if k != name})
            if config is not None:
                dropped = [name]
                break
        else:
            kept: dict[str, Any] = {}
            for name in names:
                if build(dict(kept, **{name: parsed[name]})) is not None:
                    kept[name] = parsed[name]
            config = build(kept) or base
            dropped = [n for n in names if n not in kept]
        for name in dropped:
            reason = ""
            try:
                cls(**dict(config.to_values(), **{name: parsed[name]}))
            except ConfigError as exc:
                reason = f": {exc}"
            warnings.append(f"ignored link value {name}={format_value(parsed[name])!r}, it does not fit with the "
                            f"link's other settings{reason}; using {getattr(config, name)!r}")
        return config, warnings

    # ---- output -----------------------------------------------------------------------------
    def to_values(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (tuples become lists)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in self.to_values().items()}

    def to_strings(self, only_changed: bool = False) -> dict[str, str]:
        default = type(self)().to_values() if only_changed else {}
        out = {}
        for k, v in self.to_values().items():
            if only_changed and default.get(k) == v:
                continue
            out[k] = format_value(v)
        return out

    def replace(self, **changes: Any) -> TaskConfig:
        return dataclasses.replace(self, **changes)


def format_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return ",".join(format_value(v) for v in value)
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _parse(name: str, text: str, kind: Any) -> Any:
    origin = typing.get_origin(kind)
    if origin is tuple:
        item_kind = typing.get_args(kind)[0]
        if text.lower() in ("", "none", "[]"):
            return ()
        return tuple(_parse(name, part.strip(), item_kind) for part in text.strip("[]()").split(","))
    if kind is bool:
        low = text.lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise ConfigError(f"{name} must be true or false (got {_quote(text)})")
    if kind is int:
        try:
            return int(text)
        except ValueError:
            raise ConfigError(f"{name} must be a whole number (got {_quote(text)})") from None
    if kind is float:
        try:
            return float(text)
        except ValueError:
            raise ConfigError(f"{name} must be a number (got {_quote(text)})") from None
    return text


def _check_value(name: str, value: Any, kind: Any, meta: Mapping[str, Any]) -> None:
    if typing.get_origin(kind) is tuple:
        if not isinstance(value, tuple):
            raise ConfigError(f"{name} must be a list of values (got {_quote(value)})")
        if meta.get("max_items") is not None and len(value) > meta["max_items"]:
            raise ConfigError(f"{name} takes at most {meta['max_items']} values (got {len(value)})")
        item_kind = typing.get_args(kind)[0]
        item_meta = dict(meta, min=meta.get("item_min"), max=meta.get("item_max"))
        for item in value:
            _check_value(name, item, item_kind, item_meta)
        return
    if kind is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{name} must be true or false (got {_quote(value)})")
        return
    if kind in (int, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{name} must be a number (got {_quote(value)})")
        if isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(f"{name} must be a finite number (got {_quote(value)})")
        if kind is int and isinstance(value, float) and not value.is_integer():
            raise ConfigError(f"{name} must be a whole number (got {_quote(value)})")
        lo, hi = meta.get("min"), meta.get("max")
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise ConfigError(f"{name} must be between {_fmt(lo)} and {_fmt(hi)} (got {shortened(_fmt(value))})")
    choices = meta.get("choices")
    if choices is not None and value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(map(str, choices))} (got {_quote(value)})")


def _quote(value: Any) -> str:
    """A user's value as a message quotes it (a link can carry a 400-digit number or a page of text)."""
    return shortened(repr(value))


def _fmt(x: Any) -> str:
    if x is None:
        return "-inf"
    return f"{x:g}" if isinstance(x, float) else str(x)
