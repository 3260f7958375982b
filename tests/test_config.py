import pytest

from core.errors import ConfigError
from core.tasks import playground as pg


def test_defaults_are_valid_and_hash_is_stable():
    a, b = pg.Config(), pg.Config()
    assert a == b and a.digest() == b.digest()
    assert a.replace(seed=1).digest() != a.digest()


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


def test_from_query_inconsistent_settings_fall_back_to_defaults():
    c, warnings = pg.Config.from_query({"n_samples": "20", "batch_size": "500"})
    assert c == pg.Config() or c.batch_size <= 20
    assert warnings


def test_round_trip_through_strings():
    c = pg.Config(hidden=(3,), features=("x1sq", "x2sq"), dropout=0.25, engine="numpy")
    assert pg.Config.from_strings(c.to_strings()) == c
    assert set(c.to_strings(only_changed=True)) == {"hidden", "features", "dropout", "engine"}
