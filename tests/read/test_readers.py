"""Reading the three formats, leniently, with places kept."""

from __future__ import annotations

import json

from dp_airflow.read.convert import to_cli
from dp_airflow.read.readers import read_text
from dp_airflow.read.source import parse_json, string_offset
from dp_airflow.validate.validation import validate_text


def test_positions_of_keys_and_values_are_one_based_line_and_column() -> None:
    loaded = read_text('{"objects": [\n  {"id": "A",\n   "type": "Schedule"}]}')
    (obj,) = loaded.definitions[0].objects
    assert (obj.location.line, obj.location.column) == (2, 10)
    type_field = obj.get("type")
    assert (type_field.location.line, type_field.location.column) == (3, 4)
    assert (type_field.value.location.line, type_field.value.location.column) == (3, 12)


def test_string_offsets_map_through_escapes() -> None:
    text = '"a\\nb\\u00e9#{x"'
    node = parse_json(text).values[0]
    assert node.text == "a\nbé#{x"
    assert text[string_offset(text, node, node.text.index("#{"))] == "#"


def test_string_offsets_step_over_surrogate_pairs() -> None:
    text = '"\\ud83d\\ude00#{"'
    node = parse_json(text).values[0]
    assert node.text == "\U0001f600#{"
    assert text[string_offset(text, node, 1)] == "#"


def test_duplicate_keys_combine_as_multi_values_with_a_warning() -> None:
    result = validate_text('{"objects": [{"id": "Default", "myA": "1", "myA": "2"}]}')
    (definition,) = result.definitions
    assert [v.text for v in definition.objects[0].get("myA").values] == ["1", "2"]
    assert [d.code for d in result.diagnostics] == ["duplicate-key"]


def test_fragment_of_pasted_objects_is_read_with_a_warning() -> None:
    result = validate_text('{"id": "Default", "workerGroup": "w"},\n{"id": "X", "myA": "b"}')
    assert [o.id for o in result.definitions[0].objects] == ["Default", "X"]
    assert result.diagnostics[0].code == "fragment"


def test_api_format_with_parameters_and_values() -> None:
    api = {
        "pipelineObjects": [
            {
                "id": "Default",
                "name": "Default",
                "fields": [
                    {"key": "workerGroup", "stringValue": "wg"},
                    {"key": "myList", "stringValue": "a"},
                    {"key": "myList", "stringValue": "b"},
                ],
            },
        ],
        "parameterObjects": [{"id": "myX", "attributes": [{"key": "default", "stringValue": "1"}]}],
        "parameterValues": [{"id": "myX", "stringValue": "2"}],
    }
    result = validate_text(json.dumps(api))
    assert result.valid, result.diagnostics
    assert to_cli(result.definitions[0]) == {
        "objects": [
            {"id": "Default", "name": "Default", "workerGroup": "wg", "myList": ["a", "b"]}
        ],
        "parameters": [{"id": "myX", "default": "1"}],
        "values": {"myX": "2"},
    }


CFN = """
Parameters:
  Bucket:
    Type: String
    Default: my-bucket
Resources:
  Pipe:
    Type: AWS::DataPipeline::Pipeline
    Properties:
      Name: pipe
      PipelineObjects:
        - Id: Default
          Name: Default
          Fields:
            - Key: type
              StringValue: Default
            - Key: workerGroup
              StringValue: !Sub 'wg-${AWS::Region}'
            - Key: pipelineLogUri
              StringValue: !Sub 's3://${Bucket}/logs/'
            - Key: myTopic
              StringValue: {'Fn::ImportValue': 'alerts-topic'}
"""


def test_cloudformation_resolves_what_the_template_decides_and_warns_on_the_rest() -> None:
    result = validate_text(CFN, "template.yaml")
    (default,) = result.definitions[0].objects
    assert default.get("pipelineLogUri").value.text == "s3://my-bucket/logs/"
    assert default.get("workerGroup").value.text == "wg-${AWS::Region}"
    warnings = [(d.code, d.object_id, d.field, d.line) for d in result.diagnostics]
    assert warnings == [
        ("cfn-intrinsic", "Default", "workerGroup", 18),
        ("cfn-intrinsic", "Default", "myTopic", 22),
    ]
    assert result.valid


def test_unreadable_json_reports_the_place() -> None:
    result = validate_text('{"objects": [\n  {"id": "A",,}]}', "bad.json")
    (diagnostic,) = result.diagnostics
    assert (
        diagnostic.render() == "bad.json:2:14: error: JSON: expected a quoted key or '}', found ','"
    )
    assert not result.valid


def test_secret_values_never_appear_in_a_repr() -> None:
    text = json.dumps(
        {
            "objects": [
                {"id": "Default", "scheduleType": "ondemand", "workerGroup": "w"},
                {
                    "id": "D",
                    "type": "RdsDatabase",
                    "rdsInstanceId": "i",
                    "username": "u",
                    "*password": "hunter2",
                },
            ]
        }
    )
    result = validate_text(text)
    assert result.valid, result.diagnostics
    database = result.pipelines[0].objects["D"]
    assert "hunter2" not in repr(database) and "hunter2" not in str(database)
    assert database.password.get_secret_value() == "hunter2"
