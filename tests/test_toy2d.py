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
    assert set(np.unique(a.y)) == {0.0, 1.0}
    assert a.fingerprint == b.fingerprint != c.fingerprint


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
