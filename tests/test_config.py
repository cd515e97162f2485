"""A bad config stops the run before any job, with a message naming the key."""

import pytest
import yaml
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate
from workflow_utils import REPO, copy_workflow, snakemake, tiny_config

from stylepath.config import merge

SCHEMA = str(REPO / "workflow" / "schemas" / "config.schema.yaml")


def validated(config):
    validate(config, SCHEMA)
    return config


def test_default_config_is_valid_and_complete():
    config = validated(yaml.safe_load((REPO / "config.yaml").read_text()))
    assert config["interpolation"]["steps"] == 10
    assert config["style_loss"]["layers"] == ["conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv5_1"]
    assert config["training"]["aae"]["disc_lr"] == pytest.approx(2e-4)


def test_empty_config_gets_every_default():
    config = validated({})
    assert config["run"] == "demo" and config["dataset"]["source"] == "synthetic"
    assert config["models"] == ["ae", "vae", "beta_vae", "aae", "tvae"]


def test_real_sources_default_to_a_download_and_the_hugging_face_settings():
    dataset = validated({})["dataset"]
    assert dataset["artbench"]["path"] is None and dataset["artbench"]["sha256"] is None
    assert dataset["wikiart"]["endpoint"] is None and dataset["wikiart"]["keep_shards"] is False
    assert validated({"dataset": {"artbench": {"path": "data/artbench.tar"}}})["dataset"]["artbench"]["url"]


@pytest.mark.parametrize(
    "config, named",
    [
        ({"dataset": {"image_size": 48}}, "image_size"),
        ({"dataset": {"source": "flickr"}}, "source"),
        ({"training": {"ae": {"betaa": 2}}}, "betaa"),
        ({"training": {"shared": {"epochs": "ten"}}}, "epochs"),
        ({"interpolation": {"steps": 1}}, "steps"),
        ({"models": ["ae", "gan"]}, "gan"),
        ({"colour": "blue"}, "colour"),
        ({"dataset": {"artbench": {"paht": "/data/artbench"}}}, "paht"),
        ({"dataset": {"wikiart": {"keep_shards": "yes"}}}, "keep_shards"),
    ],
)
def test_bad_config_is_rejected_naming_the_key(config, named):
    with pytest.raises(WorkflowError, match=named):
        validate(config, SCHEMA)


def test_snakemake_stops_before_any_job(tmp_path):
    config = tiny_config()
    config["interpolation"] = {"steps": "many"}
    workdir = copy_workflow(tmp_path, config)
    result = snakemake(workdir, "--cores", "1", check=False)
    assert result.returncode != 0
    assert "steps" in result.stderr + result.stdout
    assert not (workdir / "results").exists()


def test_study_config_is_valid_and_uses_real_data_and_pretrained_vgg():
    config = {}
    for name in ("config.yaml", "config/study.yaml"):  # as `--configfile` layers them
        config = merge(config, yaml.safe_load((REPO / name).read_text()))
    config = validated(config)
    assert config["dataset"]["source"] == "artbench" and config["dataset"]["image_size"] == 64
    assert config["style_loss"]["weights"] == "imagenet"
    # the paper's models: the encoder sees the image alone, the TVAE's triplet weight is the peer's
    assert config["training"]["shared"]["encoder_input"] == "image"
    assert config["training"]["tvae"]["triplet_weight"] == 0.1


def test_vgg19_layers_of_the_code_are_the_schema_enum():
    """The one list the code must define itself (layer name -> index in VGG19's features) names
    exactly the layers the schema admits, in its order."""
    from stylepath import config, gatys

    assert config.choices("style_loss", "layers") == list(gatys.VGG19_CONV)


def test_choices_reads_list_and_scalar_enums_from_the_schema():
    from stylepath import config

    assert config.choices("pairs", "criteria")[0] == "random"
    assert config.choices("dataset", "image_size") == [32, 64, 128]


def test_every_model_in_the_schema_has_its_module_and_block():
    from stylepath.config import model_label, model_names, schema
    from stylepath.models import model_class

    blocks = schema()["properties"]["training"]["properties"]
    for name in model_names():
        assert model_class(name).name == name
        assert name in blocks and model_label(name) == blocks[name]["title"]
