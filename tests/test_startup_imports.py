"""The bot starts small: report renderers, the chart library and the sentence model are imported
on first use, so an idle bot (and every restart after a crash) does not pay for them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("matplotlib", "fpdf", "docx", "onnxruntime", "tokenizers")


def test_starting_the_bot_imports_no_renderer_chart_library_or_model() -> None:
    code = f"import sys, telegram_edge.app, telegram_edge.cli, handlers; print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "", f"imported at start: {proc.stdout.strip()}"
