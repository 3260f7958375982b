import pytest

from core.errors import ConfigError
from core.store import make_key
from core.tasks import playground as pg


def test_defaults_are_valid_and_the_store_key_is_stable():
    a, b = pg.Config(), pg.Config()
    assert a == b and make_key(pg.NAME, pg.SCHEMA, a.to_dict(), "") == make_key(pg.NAME, pg.SCHEMA, b.to_dict(), "")
    assert make_key(pg.NAME, pg.SCHEMA, a.replace(seed=1).to_dict(), "") != make_key(pg.NAME, pg.SCHEMA, a.to_dict(), "")


def test_from_strings_parses_every_type():
    c = pg.Config.from_strings({"hidden": "4,3", "learning_rate": "0.1", "features": "x1,x1x2",
                                "epochs": "10", "dataset": "xor"})
    assert c.hidden == (4, 3) and c.learning_rate == 0.1 and c.features == ("x1", "x1x2") and c.epochs == 10
    assert pg.Config.from_strings({"hidden": ""}).hidden == ()
    assert pg.Config.from_strings({"hidden": "none"}).hidden == ()


@pytest.mark.parametrize("key,value,fragment", [
    ("hidden", "0", "between 1 and 512"),
    ("hidden", "8,8,8,8,8,8,8", "at most 6"),
    ("learning_rate", "1e9", "between"),
    ("learning_rate", "nan", "finite"),
    ("epochs", "2.5", "whole number"),
    ("epochs", "ten", "whole number"),
    ("dataset", "mnist", "one of"),
    ("features", "x1,x9", "one of"),
    ("batch_size", "100000", "training points"),
    ("nope", "1", "unknown setting"),
])
def test_bad_values_raise_clear_messages(key, value, fragment):
    with pytest.raises(ConfigError, match=fragment):
        pg.Config.from_strings({key: value})


def test_cross_field_rules():
    with pytest.raises(ConfigError, match="at least one input feature"):
        pg.Config(features=())
    with pytest.raises(ConfigError, match="once"):
        pg.Config(features=("x1", "x1"))


def test_from_query_falls_back_per_field_with_warnings():
    c, warnings = pg.Config.from_query({"hidden": "0", "learning_rate": "1e9", "epochs": "50", "other_page_key": "x"})
    assert c.hidden == pg.Config().hidden and c.learning_rate == pg.Config().learning_rate
    assert c.epochs == 50
    assert len(warnings) == 2 and all("ignored link value" in w for w in warnings)


def test_from_query_drops_only_the_value_that_does_not_fit():
    # batch 500 is fine alone but larger than the 70 training points of n_samples=100
    c, warnings = pg.Config.from_query({"n_samples": "100", "batch_size": "500", "epochs": "50", "hidden": "100,3"})
    assert (c.n_samples, c.epochs, c.hidden, c.batch_size) == (100, 50, (100, 3), pg.Config().batch_size)
    assert len(warnings) == 1 and "batch_size='500'" in warnings[0] and "does not fit" in warnings[0]
    assert "70 training points" in warnings[0]


def test_from_query_keeps_what_fits_when_no_single_value_is_to_blame():
    # n_samples=20 conflicts with the default batch (32 > 14 training points), batch 500 with n=500
    c, warnings = pg.Config.from_query({"n_samples": "20", "batch_size": "500", "noise": "0.4"})
    assert c == pg.Config(noise=0.4)
    assert len(warnings) == 2
    assert "n_samples='20'" in warnings[0] and "batch_size='500'" in warnings[1]


def test_round_trip_through_strings():
    c = pg.Config(hidden=(3,), features=("x1sq", "x2sq"), dropout=0.25, engine="numpy")
    assert pg.Config.from_strings(c.to_strings()) == c
    assert set(c.to_strings(only_changed=True)) == {"hidden", "features", "dropout", "engine"}
