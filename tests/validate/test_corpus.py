"""Every public definition in ../shared/corpus reads with its recorded outcome, no traceback."""

from __future__ import annotations

import json

import pytest

from tests.validate.record_corpus import CORPUS, EXPECTED, corpus_files, outcome

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not beside us")
RECORDED = json.loads(EXPECTED.read_text())
FILES = corpus_files() if CORPUS.is_dir() else []


def test_every_corpus_file_has_a_recorded_outcome() -> None:
    assert sorted(str(p.relative_to(CORPUS)) for p in FILES) == sorted(RECORDED)


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_corpus_file_outcome(path) -> None:
    assert outcome(path) == RECORDED[str(path.relative_to(CORPUS))]
