import numpy as np
import pytest

from core.data import toy2d
from core.errors import DataError


@pytest.mark.parametrize("name", toy2d.GENERATED)
def test_generators_are_seeded_and_shaped(name):
    a = toy2d.generate(name, 300, 0.2, 1)
    b = toy2d.generate(name, 300, 0.2, 1)
    c = toy2d.generate(name, 300, 0.2, 2)
    assert a.x.shape == (300, 2) and a.y.shape == (300,)
    np.testing.assert_array_equal(a.x, b.x)
    assert not np.array_equal(a.x, c.x)
    assert a.problem == toy2d.PROBLEM_OF[name]
    if a.problem == "regression":
        assert np.isfinite(a.y).all() and a.exact.shape == (300,) and a.class_names == ()
    else:
        assert set(np.unique(a.y)) == set(range(len(a.class_names)))
        assert name == "fraud" or np.bincount(a.y.astype(int)).min() >= 10  # fraud is rare on purpose
    assert a.fingerprint == b.fingerprint != c.fingerprint


def test_blobs_have_the_classes_asked_for():
    for k in (3, 6):
        blobs = toy2d.generate("blobs", 600, 0.1, 0, classes=k)
        assert len(blobs.class_names) == k and set(np.unique(blobs.y)) == set(range(k))
    assert toy2d.generate("blobs", 60, 0.1, 0, 3).fingerprint != toy2d.generate("blobs", 60, 0.1, 0, 4).fingerprint


def test_black_scholes_call_against_known_prices():
    from core.data.options import call_price

    assert call_price(100, 100, 0.05, 0.2, 1.0) == pytest.approx(10.4506, abs=1e-4)  # the textbook case
    assert call_price(42, 40, 0.10, 0.2, 0.5) == pytest.approx(4.7594, abs=1e-4)     # Hull, Example 15.6
    deep = call_price(3.0, 1.0, 0.02, 0.3, 0.5)  # deep in the money: S - K exp(-rT)
    assert deep == pytest.approx(3.0 - np.exp(-0.01), abs=1e-6)


def test_option_call_set_prices_by_the_formula_and_marks_the_untrained_region():
    from core.data.options import call_price

    pts = toy2d.generate("option-call", 2000, 0.0, 0)
    expected = call_price(pts.x[:, 0], 1.0, toy2d.OPTION_RATE, pts.x[:, 1], toy2d.OPTION_YEARS)
    np.testing.assert_allclose(pts.y, expected, atol=1e-6)  # no noise: the formula itself
    np.testing.assert_array_equal(pts.outside, pts.x[:, 0] > toy2d.TRAINED_MONEYNESS)
    assert 0.2 < pts.outside.mean() < 0.4
    assert toy2d.generate("option-call", 2000, 1.0, 0).y.std() > pts.y.std()  # noise added


def test_csv_labels_by_problem():
    rows = b"x1,x2,label\n" + b"".join(f"{i},{i % 7},{['lo', 'mid', 'hi'][i % 3]}\n".encode() for i in range(30))
    multi = toy2d.load_csv(rows, "multiclass")
    assert multi.class_names == ("hi", "lo", "mid") and set(np.unique(multi.y)) == {0, 1, 2}
    with pytest.raises(DataError, match="exactly two classes; found 3.*multi-class"):
        toy2d.load_csv(rows, "binary")
    with pytest.raises(DataError, match="text where numbers belong"):
        toy2d.load_csv(rows, "regression")
    numbers = b"x1,x2,label\n" + b"".join(f"{i},{i % 7},{i * 0.5}\n".encode() for i in range(30))
    reg = toy2d.load_csv(numbers, "regression")
    assert reg.problem == "regression" and reg.y[3] == 1.5 and reg.class_names == ()
    with pytest.raises(DataError, match="3-6 label values; found 30"):
        toy2d.load_csv(numbers, "multiclass")


def test_finance_sets_have_realistic_balance():
    credit = toy2d.generate("credit", 5000, 0.1, 0)
    assert 0.05 < credit.y.mean() < 0.45
    assert credit.x[:, 0].min() >= 12 and credit.x[:, 1].max() <= 80
    fraud = toy2d.generate("fraud", 5000, 0.1, 0)
    assert 0.02 <= fraud.y.mean() <= 0.04


def test_csv_round_trip_and_label_mapping():
    pts = toy2d.load_csv(b"x1,x2,label\n" + b"".join(f"{i},{-i},{'yes' if i % 2 else 'no'}\n".encode() for i in range(20)))
    assert pts.x.shape == (20, 2) and pts.y.sum() == 10
    assert pts.class_names == ("no", "yes") and pts.notes


@pytest.mark.parametrize("content,fragment", [
    (b"a,b,c\n1,2,0\n", "needs columns x1, x2, label"),
    (b"x1,x2,label\n" + b"1,oops,0\n" * 12, "text where numbers belong"),
    (b"x1,x2,label\n" + b"1,,0\n" * 12, "NaN"),
    (b"x1,x2,label\n" + b"1,2,0\n" * 12, "exactly two classes"),
    (b"x1,x2,label\n1,2,0\n3,4,1\n", "at least 10"),
    (b"x1,x2,label\n" + b"1,2,0\n" * 11 + b"5,5,1\n", "at least 2 rows"),
    (b"", "empty"),
    (b"x1,x2,label\n", "no rows"),
])
def test_csv_errors_are_one_clear_sentence(content, fragment):
    with pytest.raises(DataError, match=fragment) as info:
        toy2d.load_csv(content)
    assert "\n" not in str(info.value)


def test_huge_file_is_refused(tmp_path, monkeypatch):
    from core.data import csvio

    monkeypatch.setattr(csvio, "MAX_BYTES", 100)
    path = tmp_path / "big.csv"
    path.write_text("x1,x2,label\n" + "1,2,0\n" * 50)
    with pytest.raises(DataError, match="MB"):
        toy2d.load_csv(path)
