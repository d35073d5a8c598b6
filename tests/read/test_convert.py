"""``convert`` against the AWS CLI's own translator, over every strict-JSON corpus file."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from awscli.customizations.datapipeline import translator

from dp_airflow.read.convert import MASK, to_api, to_cli
from dp_airflow.read.readers import read_file, read_text
from tests.validate.record_corpus import CORPUS, corpus_files


def _strict_cli_files() -> list[Path]:
    out = []
    for path in corpus_files() if CORPUS.is_dir() else []:
        try:
            document = json.loads(path.read_text())
        except ValueError:
            continue
        loaded = read_file(path)
        codes = {d.code for d in loaded.sink.items}
        if (
            isinstance(document, dict)
            and isinstance(document.get("objects"), list)
            and loaded.definitions
            and loaded.definitions[0].source_format == "cli"
            and not codes & {"duplicate-key", "non-string-value", "missing-id", "invalid-value"}
        ):
            out.append(path)
    return out


CLI_FILES = _strict_cli_files()


def test_enough_corpus_files_are_compared() -> None:
    if CORPUS.is_dir():
        assert len(CLI_FILES) >= 40


@pytest.mark.parametrize("path", CLI_FILES, ids=[p.name for p in CLI_FILES])
def test_cli_to_api_matches_the_aws_cli_translator(path: Path) -> None:
    document = json.loads(path.read_text())
    expected = {"pipelineObjects": translator.definition_to_api_objects(copy.deepcopy(document))}
    parameters = translator.definition_to_api_parameters(copy.deepcopy(document))
    values = translator.definition_to_parameter_values(copy.deepcopy(document))
    if parameters:
        expected["parameterObjects"] = parameters
    if values:
        expected["parameterValues"] = values
    ours = to_api(read_file(path).definitions[0], reveal_secrets=True)
    assert ours == expected


@pytest.mark.parametrize("path", CLI_FILES, ids=[p.name for p in CLI_FILES])
def test_api_to_cli_matches_the_aws_cli_translator_and_round_trips(path: Path) -> None:
    api = to_api(read_file(path).definitions[0], reveal_secrets=True)
    expected = translator.api_to_definition(copy.deepcopy(api))
    back = to_cli(read_text(json.dumps(api)).definitions[0], reveal_secrets=True)
    assert back == expected
    # API -> CLI -> API gives the same API document again.
    again = to_api(read_text(json.dumps(back)).definitions[0], reveal_secrets=True)
    assert again == api


def test_api_source_keeps_its_field_order() -> None:
    api = {
        "pipelineObjects": [
            {
                "id": "A",
                "name": "A",
                "fields": [
                    {"key": "type", "stringValue": "Schedule"},
                    {"key": "period", "stringValue": "1 day"},
                ],
            }
        ]
    }
    assert to_api(read_text(json.dumps(api)).definitions[0]) == api


def test_literal_secrets_are_masked_unless_revealed() -> None:
    text = json.dumps({"objects": [{"id": "D", "*password": "hunter2", "*token": "#{*myT}"}]})
    definition = read_text(text).definitions[0]
    fields = to_api(definition)["pipelineObjects"][0]["fields"]
    assert fields == [
        {"key": "*password", "stringValue": MASK},
        {"key": "*token", "stringValue": "#{*myT}"},
    ]
    assert to_cli(definition, reveal_secrets=True)["objects"][0]["*password"] == "hunter2"
