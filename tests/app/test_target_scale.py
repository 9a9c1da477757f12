"""A regression target whose scale float64 cannot square is refused before training, naming
the column: a target × 10²⁰⁰ used to train on an infinite std, save the model, and only then
fail in the metrics."""

from __future__ import annotations

import numpy as np
import pytest

from glassnet.cli import main
from glassnet.tabular import Model
from glassnet.tabular.targets import MAX_TARGET_MAGNITUDE


def _table(scale: float, shift: float = 0.0, m: int = 60) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(m, 2))
    price = X @ np.array([1.0, -2.0]) + 0.1 * rng.normal(size=m)
    return {"a": X[:, 0], "b": X[:, 1], "price": shift + scale * price}


def _csv(tmp_path, table: dict[str, np.ndarray]):
    path = tmp_path / "prices.csv"
    rows = zip(*(table[key] for key in table), strict=True)
    path.write_text(
        ",".join(table) + "\n" + "\n".join(",".join(repr(float(v)) for v in r) for r in rows)
    )
    return path


def test_a_target_times_1e200_is_refused_before_training_naming_the_column(
    tmp_path, capsys
) -> None:
    path, run = _csv(tmp_path, _table(1e200)), tmp_path / "run"
    status = main(["train", str(path), "--target", "price", "--out", str(run), "--no-report"])
    out, err = capsys.readouterr()
    assert status == 1 and "epoch" not in out  # no epoch trained
    assert not (run / "model.glassnet").exists()
    assert err.strip().startswith(f"glassnet: error: {path}: the target 'price' has values up to ")
    assert "a regression target must stay below 1e+150" in err
    assert "divide the column by a power of 10" in err and "internal error" not in err


def test_the_api_refuses_it_too_and_takes_a_large_but_safe_target() -> None:
    with pytest.raises(
        ValueError, match=r"the target 'price' has values up to \d\.\d+e\+200 in absolute value"
    ):
        Model.fit(_table(1e200), "price", epochs=1)
    assert MAX_TARGET_MAGNITUDE == 1e150
    model = Model.fit(_table(1e100), "price", epochs=2)  # squares to 1e200: fine
    scores = model.evaluate(_table(1e100))
    assert all(np.isfinite(value) for value in scores.values())


def test_a_target_whose_spread_underflows_is_refused() -> None:
    # 1e-170 apart: the std squares the differences to 1e-340, below float64's smallest
    # number, and would be 0: the target learned as a constant.
    with pytest.raises(ValueError, match=r"the target 'price' varies by only .*underflows"):
        Model.fit(_table(1e-170, shift=1e-160), "price", epochs=1)
