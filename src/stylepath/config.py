"""What the code needs from the config schema, read from the schema itself.

`workflow/schemas/config.schema.yaml` is the one place where every key, its default and its
description are written; Snakemake validates the config against it and fills in the defaults
before any job runs, so commands read their settings without defaults of their own. This
module reads the same file for the few facts code needs beyond a job's settings: the model
names (the `models` enum) and labels (the `title` of each `training.<model>` block), a
complete default config (for tests and benchmarks), and how one training run's settings are
assembled from training.shared and the model's own block.

Only the standard library and PyYAML are imported here: the Snakefile imports this module.
"""

import copy
from functools import cache
from pathlib import Path

import yaml

SCHEMA = Path(__file__).resolve().parents[2] / "workflow" / "schemas" / "config.schema.yaml"
DOWNLOADED_SOURCES = ("artbench", "wikiart")  # the values of dataset.source that `stylepath download` fetches


@cache
def schema() -> dict:
    """The parsed config schema (read once per process)."""
    if not SCHEMA.is_file():
        raise FileNotFoundError(
            f"the config schema {SCHEMA} is missing: stylepath runs from its repository checkout "
            "(pip install -e .), which holds workflow/schemas/"
        )
    # libyaml's safe loader where PyYAML has it (its wheels do): 0.01 s instead of 0.08 s, the same dict
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(SCHEMA.read_text(), Loader=loader)


def model_names() -> list[str]:
    """Every model the pipeline knows, in the schema's order (the `models` enum)."""
    return list(schema()["properties"]["models"]["items"]["enum"])


def model_label(name: str) -> str:
    """How figures and tables name model `name` (its training block's `title`), else the name."""
    block = schema()["properties"]["training"]["properties"].get(name, {})
    return block.get("title", name)


def choices(*keys: str) -> list:
    """The values the schema admits for a key (or for the items of a list-valued key), in the
    schema's order, e.g. choices("pairs", "criteria"), choices("dataset", "image_size")."""
    node = schema()
    for key in keys:
        node = node["properties"][key]
    return list(node.get("items", node)["enum"])


def with_defaults(config: dict) -> dict:
    """`config` validated against the schema with every missing key set to its default,
    exactly as the workflow sees it (raises snakemake's WorkflowError naming a bad key)."""
    from snakemake.utils import validate

    config = copy.deepcopy(config)
    validate(config, str(SCHEMA))
    return config


def load_config(*paths) -> dict:
    """Config files layered in order (later keys override, as repeated --configfile do),
    validated and completed with the schema's defaults."""
    config = {}
    for path in paths:
        config = merge(config, yaml.safe_load(Path(path).read_text()) or {})
    return with_defaults(config)


def merge(base: dict, update: dict) -> dict:
    """`base` with `update` merged in recursively (dicts merge, other values replace)."""
    merged = dict(base)
    for key, value in update.items():
        both_dicts = isinstance(value, dict) and isinstance(base.get(key), dict)
        merged[key] = merge(base[key], value) if both_dicts else value
    return merged


def model_settings(config: dict, model: str, seed: int) -> dict:
    """One training run's settings: training.shared overridden by training.<model>, plus the
    model name and the training seed. What `stylepath train` receives as --settings."""
    training = config["training"]
    return {"model": model, "seed": seed, **training["shared"], **training[model]}
