"""Old runs keep their rule files: a stored file that predates a rule files on disk must follow
(veto items declaring their consequence) is still read, exactly as it was used then."""

from __future__ import annotations

import dataclasses
import hashlib
import re

import pytest

from assessment import SystemDefinitionError, add_data_root, load_version, remove_data_root
from assessment.system import LEGACY_VETO_CONSEQUENCE, system_from_files


def _without_consequences(text: str) -> str:
    stripped = re.sub(r"^consequence = \{.*\}\n", "", text, flags=re.M)
    assert stripped != text
    return stripped


def test_a_stored_file_without_veto_consequences_reads_as_every_veto_ending_recognition():
    shipped = load_version("incubator", 2019, "comprehensive")
    main, *inputs = shipped.files
    old_text = _without_consequences(main.text)
    old = dataclasses.replace(main, text=old_text, sha256=hashlib.sha256(old_text.encode("utf-8")).hexdigest())

    system = system_from_files([old, *inputs], old.sha256, shipped.inputs_sha256)

    vetoes = [i for i in system.indicators if i.rule == "veto"]
    assert vetoes and all(v.consequence == LEGACY_VETO_CONSEQUENCE for v in vetoes)
    assert LEGACY_VETO_CONSEQUENCE.kind == "exit" and LEGACY_VETO_CONSEQUENCE.provisional
    # the shipped file itself declares a consequence for each veto, and they differ from the old rule
    assert {v.consequence.kind for v in shipped.indicators if v.rule == "veto"} != {"exit"}


def test_the_same_text_on_disk_is_refused(tmp_path):
    shipped = load_version("incubator", 2019, "comprehensive")
    folder = tmp_path / "systems" / "incubator" / "comprehensive"
    folder.mkdir(parents=True)
    (folder / "2025.toml").write_text(
        _without_consequences(shipped.files[0].text).replace("version = 2019", "version = 2025", 1), "utf-8")
    add_data_root(tmp_path)
    try:
        with pytest.raises(SystemDefinitionError) as err:
            load_version("incubator", 2025, "comprehensive")
        assert err.value.path.endswith(".consequence") and "needs 'consequence'" in err.value.message
    finally:
        remove_data_root(tmp_path)
