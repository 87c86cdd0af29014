"""Every enumerated name has one source, its registry, and the YAML groups agree with it."""

from __future__ import annotations

import pytest

from seqlab.backends import BACKENDS
from seqlab.backends.devices import DEVICES
from seqlab.config import validate
from seqlab.config.store import conf_dir, group_choices
from seqlab.config.validate import registries
from seqlab.data import DATASETS
from seqlab.errors import ConfigError
from seqlab.models.builder import ARCHS
from seqlab.models.cells import CELLS
from seqlab.models.heads import MERGE_MODES, READOUTS
from seqlab.models.impls import IMPLEMENTATIONS
from seqlab.records.tracking import TRACKERS
from seqlab.training.optimizers import LR_SCHEDULES, OPTIMIZERS


@pytest.mark.parametrize(
    ("group", "registry"),
    [
        ("dataset", DATASETS),
        ("impl", IMPLEMENTATIONS),
        ("device", DEVICES),
        ("backend", BACKENDS),
        ("tracking", TRACKERS),
    ],
)
def test_each_registry_name_has_its_yaml_file_and_no_file_lacks_a_name(group, registry):
    files = {p.stem for p in (conf_dir() / group).glob("*.yaml")}
    assert files == set(registry.names())
    assert group_choices()[group] == registry.names()


def test_every_model_yaml_names_a_registered_cell_or_a_custom_one(compose_cfg):
    for path in (conf_dir() / "model").glob("*.yaml"):
        cell = validate(compose_cfg(f"model={path.stem}", "impl=cell_loop")).model.cell
        assert cell in [*CELLS.names(), "custom"], path


def test_every_registry_backed_option_is_checked_with_its_registry():
    table = registries()
    assert {key: registry for key, (registry, _) in table.items()} == {
        "dataset.name": DATASETS,
        "model.cell": CELLS,
        "model.merge_mode": MERGE_MODES,
        "model.readout": READOUTS,
        "model.arch": ARCHS,
        "impl.name": IMPLEMENTATIONS,
        "device.name": DEVICES,
        "backend.name": BACKENDS,
        "trainer.optimizer": OPTIMIZERS,
        "trainer.lr_schedule": LR_SCHEDULES,
        "tracking.name": TRACKERS,
    }


@pytest.mark.parametrize(
    ("override", "registry"),
    [(key, registry) for key, (registry, _) in registries().items() if key != "dataset.name"],
)
def test_validation_reads_the_allowed_names_from_the_registry(compose_cfg, override, registry):
    with pytest.raises(ConfigError) as info:
        validate(compose_cfg(f"{override}=nope"))
    also = registries()[override][1]
    known = ", ".join([*registry.names(), *also])
    assert str(info.value) == (
        f"{override}='nope' is not allowed: {override} must be one of {known} (the known "
        f"{registry.kind}s). Fix it on the command line (for example `{override}=<value>`) "
        "or in your preset."
    )
    # A name registered at run time is accepted by validation at once.
    registry._entries["extra"] = registry._entries[registry.names()[0]]
    try:
        validate(compose_cfg(f"{override}=extra"))
    except ConfigError as exc:  # a later cross-group rule may still object, not this one
        assert f"{override}='extra' is not allowed" not in str(exc)
    finally:
        del registry._entries["extra"]


def test_predict_offers_the_registered_implementations():
    from seqlab.cli.predict import parse_args

    for name in IMPLEMENTATIONS.names():
        assert parse_args(["run", "--impl", name]).impl == name
    with pytest.raises(SystemExit):
        parse_args(["run", "--impl", "nope"])
