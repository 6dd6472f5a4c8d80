"""Which adapter the embedded policy loads for a command line's `--adapter`."""

from __future__ import annotations

from pathlib import Path

import pytest
from toolmaster.agent import SHIPPED_ADAPTER, adapter_choice
from toolmaster.core import UserError


def test_not_given_is_the_shipped_adapter_and_none_the_bare_model() -> None:
    assert adapter_choice(None) == SHIPPED_ADAPTER
    assert adapter_choice("none") is None and adapter_choice("None") is None


def test_a_folder_must_hold_an_adapter(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="not a LoRA adapter folder"):
        adapter_choice(tmp_path)
    (tmp_path / "adapter_config.json").write_text("{}")
    assert adapter_choice(str(tmp_path)) == tmp_path
