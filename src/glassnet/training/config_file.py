"""Config files: the TOML form of the training options, and of a whole run.

A config file takes the options of :data:`~glassnet.training.options.TRAIN_OPTIONS` by
their flags (``batch-size = 64``) or names (``batch_size``), and the files of a run
(``data``, ``test-file``); the ``config.toml`` of a run folder is one, so that
``glassnet train --config runs/x/config.toml`` alone trains that run again.
:func:`resolve` merges the defaults, a config file and the command line; the checks here
refuse what a run would otherwise silently ignore.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .options import DEFAULTS, OPTIONS_BY_KEY, TRAIN_OPTIONS

CONFIG_FILES = ("data", "test-file")
"""Keys of a config file that name files rather than options: the data a run trains on
and the file it is tested on, so that a run's ``config.toml`` alone reproduces it."""


@dataclass(frozen=True)
class Config:
    """What a TOML config file holds: options, and the files of :data:`CONFIG_FILES`."""

    path: Path
    settings: dict[str, Any]
    """The options it sets, read and checked, by key (``batch_size``)."""
    files: dict[str, str]
    """``"data"`` and ``"test_file"`` → each file it names, found (see :func:`read_config`)."""

    @property
    def data(self) -> str | None:
        return self.files.get("data")

    @property
    def test_file(self) -> str | None:
        return self.files.get("test_file")


def read_config(path: Path) -> Config:
    """The options in a TOML file, keys as flags (``batch-size``) or names (``batch_size``),
    at the top level or in a ``[train]`` table, and the files it names (``data``,
    ``test-file``). A relative file is looked for beside the config file, then in the
    working folder, so that a run folder's config works from either."""
    try:
        with path.open("rb") as file:
            raw = tomllib.load(file)
    except FileNotFoundError:
        raise FileNotFoundError(f"config file {str(path)!r} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"config file {path}: {exc}") from None
    raw = raw.get("train", raw)  # a [train] table, or options at the top level
    settings, files = {}, {}
    file_keys = {key.replace("-", "_") for key in CONFIG_FILES}
    for key, value in raw.items():
        name = key.replace("-", "_")
        if name in file_keys:
            if not isinstance(value, str) or not value:
                raise ValueError(f"config file {path}: {key} must be a file name, got {value!r}")
            files[name] = _find_file(path, key, value)
            continue
        if name not in OPTIONS_BY_KEY:
            known = ", ".join([*CONFIG_FILES, *(option.flag for option in TRAIN_OPTIONS)])
            raise ValueError(f"config file {path}: unknown option {key!r}; known options: {known}")
        settings[name] = OPTIONS_BY_KEY[name].parse(value, f"config file {path}:")
    return Config(path, settings, files)


def _find_file(config: Path, key: str, name: str) -> str:
    """``name`` as a path that exists: absolute, beside ``config``, or in the working folder."""
    given = Path(name)
    if given.is_absolute():
        candidates = [given]
    else:
        candidates = [config.parent / given, given]
    for candidate in candidates:
        if candidate.exists():
            return str(candidate)
    where = (
        "does not exist"
        if given.is_absolute()
        else f"is neither beside it ({config.parent.resolve()}) nor in the working folder "
        f"({Path.cwd()})"
    )
    raise FileNotFoundError(f"config file {config}: {key} {name!r} {where}")


def resolve(given: Mapping[str, Any], config: Config | None = None) -> dict[str, Any]:
    """Every option's value: ``given`` (the command line's text, by key; ``None`` where not
    given) over the config file over the default."""
    settings = dict(DEFAULTS)
    settings.update(config.settings if config is not None else {})
    for option in TRAIN_OPTIONS:
        value = given.get(option.key)
        if value is not None:
            settings[option.key] = option.parse(value, "option")
    return settings


def check_data_options(given: Mapping[str, Any], config: Config | None = None) -> None:
    """Refuse options about a data file (``--target``, …) when a run has none: it would
    train on the shipped MNIST sample and silently ignore them. ``given`` holds the
    command line's values by key; a config file counts where it differs from the default."""
    for option in TRAIN_OPTIONS:
        if option.needs_data and given.get(option.key) is not None:
            raise ValueError(
                f"--{option.flag} needs a data file (glassnet train FILE --{option.flag} …); "
                "without one, glassnet trains on the shipped MNIST sample"
            )
    for key, value in (config.settings if config is not None else {}).items():
        option = OPTIONS_BY_KEY[key]
        if option.needs_data and value != option.default:
            assert config is not None
            raise ValueError(
                f"config file {config.path} sets {option.flag} but names no data file: add "
                f'data = "FILE" to it, or give the file (glassnet train FILE --config …)'
            )


def resume_settings(
    saved: Mapping[str, Any], given: Mapping[str, Any], epoch: int, source: str
) -> dict[str, Any]:
    """The settings of a run resumed after ``epoch`` from the checkpoint ``source``:
    ``saved`` (its run's) with the options of ``given`` (the command line's text, by
    key) that a resumed run may change (``--epochs``: train on to that epoch); any other
    option that differs from the run's is an error, not silently ignored."""
    settings = dict(saved)
    allowed = [option for option in TRAIN_OPTIONS if option.on_resume]
    for option in TRAIN_OPTIONS:
        text = given.get(option.key)
        if text is None:
            continue
        value = option.parse(text, "option")
        if option.on_resume:
            settings[option.key] = value
        elif value != saved.get(option.key):
            names = ", ".join(
                f"--{o.flag}" + (f"/--no-{o.flag}" if o.is_flag else "") for o in allowed
            )
            raise ValueError(
                f"--{option.flag} cannot change when resuming {source} (its run has "
                f"--{option.flag} {_shown(saved.get(option.key))}); with --resume give only "
                f"{names}, or train a new run"
            )
    if settings["epochs"] <= epoch:
        raise ValueError(
            f"--epochs {settings['epochs']} is not beyond the checkpoint's epoch {epoch} "
            f"({source}); give --epochs {epoch + 1} or more to train on"
        )
    return settings


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(map(str, value))
    return "(default)" if value is None else str(value)


def to_toml(
    settings: Mapping[str, Any],
    files: Mapping[str, str | None] | None = None,
    *,
    data_options: bool = True,
) -> str:
    """The settings as a TOML config file that ``--config`` reads back; ``files`` adds
    the run's files (``data``, ``test-file``) as given; ``data_options=False`` leaves out
    the options about a data file (a run on the shipped sample has none)."""
    lines = []
    for key, value in (files or {}).items():
        if value is not None:
            lines.append(f"{key.replace('_', '-')} = {_toml_value(str(value))}")
    for option in TRAIN_OPTIONS:
        value = settings.get(option.key)
        if value is None or (option.needs_data and not data_options):
            continue
        line = f"{option.flag} = {_toml_value(value)}"
        if option.key == "l2" and settings.get("l2_choices"):  # read back, but not the choice
            line += "  # unused: λ is chosen from l2-choices (summary.json has the choice)"
        lines.append(line)
    return "\n".join(lines) + "\n"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return repr(value)
