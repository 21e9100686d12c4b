"""The CJK font that installs with zhagen draws Chinese on a machine without system CJK fonts.

Checked on rendered PNGs, not only on the font lookup: a label drawn with only the bundled font in
matplotlib's font list must differ from the same label drawn with DejaVu Sans (which has no Chinese
glyphs and draws one empty box per character), and two different labels of equal length must differ
from each other (boxes would be identical).
"""

from __future__ import annotations

import io

import numpy as np
import pytest

from zhagen.report import fonts
from zhagen.report.figures import render_figures

BUNDLED = fonts.bundled_font()
needs_bundled = pytest.mark.skipif(BUNDLED is None, reason="noto-cjk-sans-otc is not installed (pip install -e .)")


def draw(text: str, choice: fonts.FontChoice) -> np.ndarray:
    """``text`` rendered to a grey-scale PNG with the font list of ``choice`` only, as an array."""
    import matplotlib
    from matplotlib.figure import Figure
    from PIL import Image

    with matplotlib.rc_context(choice.rc()), matplotlib.rc_context({"font.sans-serif": choice.families()}):
        import warnings

        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r".*missing from font")
            fig = Figure(figsize=(3, 0.8), facecolor="white")
            fig.text(0.05, 0.5, text, fontsize=20, va="center")
            buffer = io.BytesIO()
            fig.savefig(buffer, format="png", dpi=100, facecolor="white")
    return np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("L"), dtype=float)


@needs_bundled
def test_the_bundled_font_is_found_first_and_is_the_simplified_chinese_face(monkeypatch):
    monkeypatch.delenv(fonts.ENV_VAR, raising=False)
    assert fonts.candidate_files()[0] == BUNDLED
    choice = fonts.find_cjk_font(candidates=[BUNDLED])
    assert choice.cjk and choice.path == BUNDLED and choice.family == "Noto Sans CJK SC"


@needs_bundled
def test_chinese_labels_are_drawn_as_characters_without_system_fonts():
    only_bundled = fonts.find_cjk_font(candidates=[BUNDLED])  # no system font in the candidate list
    tofu = fonts.find_cjk_font(candidates=[])  # DejaVu Sans only: empty boxes
    assert not tofu.cjk
    first, second = draw("增量产能转移", only_bundled), draw("市场驱动力量", only_bundled)
    boxes_first, boxes_second = draw("增量产能转移", tofu), draw("市场驱动力量", tofu)
    # boxes: two different labels of six characters look the same
    assert np.abs(boxes_first - boxes_second).mean() < 0.5
    # glyphs: they look different, and differ from the boxes
    assert np.abs(first - second).mean() > 2.0
    assert np.abs(first - boxes_first).mean() > 2.0
    # ink is there (not a blank image)
    assert (first < 128).sum() > 200


@needs_bundled
def test_a_whole_figure_differs_from_its_tofu_rendering(results):
    from PIL import Image

    only_bundled = fonts.find_cjk_font(candidates=[BUNDLED])
    tofu = fonts.find_cjk_font(candidates=[])
    good = render_figures(results, "zh", formats=("png",), font=only_bundled, only=["force_heatmap"])
    bad = render_figures(results, "zh", formats=("png",), font=tofu, only=["force_heatmap"])
    a = np.asarray(Image.open(io.BytesIO(good.figures["force_heatmap"]["png"])).convert("L"), dtype=float)
    b = np.asarray(Image.open(io.BytesIO(bad.figures["force_heatmap"]["png"])).convert("L"), dtype=float)
    assert a.shape != b.shape or np.abs(a - b).mean() > 0.5
    assert good.notes == []
