"""A CJK font for figures, found as a file and registered with matplotlib explicitly.

Why: matplotlib's font cache is built once per machine and silently misses fonts
installed later; a figure then shows Chinese labels as empty boxes.  We look for
a font *file* (``ZHAGEN_CJK_FONT`` first, then the Noto Sans CJK collection that
installs with zhagen as the ``noto-cjk-sans-otc`` dependency (SIL Open Font
Licence 1.1, the licence travels in that package's metadata), then the usual
places on Linux, macOS and Windows), register it with
``font_manager.fontManager.addfont`` and check that it really has Chinese glyphs.
From a font collection (.ttc) we take its simplified-Chinese face ("... SC")
when it has one, so that figures use mainland glyph shapes.  Without any font we
fall back to DejaVu Sans and say so in one line; nothing crashes.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ENV_VAR = "ZHAGEN_CJK_FONT"
FALLBACK_FAMILY = "DejaVu Sans"
# Families a reader's machine is likely to have; written into SVG text styles after our own
# font so that an SVG opened elsewhere still shows Chinese.
PORTABLE_FAMILIES = ("Microsoft YaHei", "PingFang SC", "Noto Sans CJK SC", "Source Han Sans SC", "SimHei")

# Known font files, most preferred first (sans-serif faces with simplified Chinese).
KNOWN_FILES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/opentype/source-han-sans/SourceHanSansSC-Regular.otf",
    "/usr/share/fonts/adobe-source-han-sans/SourceHanSansSC-Regular.otf",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/STHeiti Medium.ttc",
    "/System/Library/Fonts/Hiragino Sans GB.ttc",
    "/Library/Fonts/Arial Unicode.ttf",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/msyh.ttf",
    "C:/Windows/Fonts/simhei.ttf",
    "C:/Windows/Fonts/simsun.ttc",
)
# File name fragments tried in the font folders when no known file exists.
NAME_HINTS = ("wqy-microhei", "notosanscjk", "notosanssc", "sourcehansanssc", "sourcehansans-", "wqy-zenhei",
              "msyh", "simhei", "droidsansfallback", "notoserifcjk", "sourcehanserif")
FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.local/share/fonts", "~/.fonts",
             "/Library/Fonts", "~/Library/Fonts", "C:/Windows/Fonts")
PROBE = "中文范畴"
# The face of a font collection that draws simplified Chinese (Noto Sans CJK SC, Source Han Sans SC, ...).
SC_SUFFIX = " SC"


def bundled_font() -> str | None:
    """The Noto Sans CJK collection installed with zhagen (package ``noto-cjk-sans-otc``), if present."""
    try:
        import noto_cjk_sans_otc
    except ImportError:
        return None
    path = Path(str(noto_cjk_sans_otc.FONT_PATH))
    return str(path) if path.is_file() else None


@dataclass(frozen=True)
class FontChoice:
    """The font figures use: its family name, its file, and whether it covers Chinese."""

    family: str
    path: str | None
    cjk: bool
    notes: tuple[str, ...] = field(default=())

    def families(self) -> list[str]:
        """matplotlib's ``font.sans-serif`` list: our font first, DejaVu for Latin fallbacks."""
        return [self.family] if self.family == FALLBACK_FAMILY else [self.family, FALLBACK_FAMILY]

    def rc(self) -> dict[str, Any]:
        """rcParams that make figures use this font and keep SVG text as text."""
        return {
            "font.family": "sans-serif",
            "font.sans-serif": self.families(),
            "axes.unicode_minus": False,
            "svg.fonttype": "none",
            "svg.hashsalt": "zhagen",
            "pdf.fonttype": 42,
        }

    def graphviz_name(self) -> str:
        """The fontconfig family name Graphviz should ask for."""
        return self.family


def _has_glyphs(path: str) -> bool:
    """True when the font's first face maps every character of :data:`PROBE`."""
    try:
        from matplotlib.ft2font import FT2Font

        font = FT2Font(path)
        return all(font.get_char_index(ord(ch)) for ch in PROBE)
    except Exception:  # an unreadable or exotic file is simply not a candidate
        return False


def _family_of(path: str) -> str:
    """The family to ask matplotlib for: a collection's simplified-Chinese face, else its first face."""
    from matplotlib import font_manager

    faces = sorted({f.name for f in font_manager.fontManager.ttflist if f.fname == path})
    simplified = [name for name in faces if name.endswith(SC_SUFFIX) and "Mono" not in name]
    return simplified[0] if simplified else font_manager.FontProperties(fname=path).get_name()


def candidate_files() -> list[str]:
    """Font files to try, in order: ``$ZHAGEN_CJK_FONT``, known paths, then a scan of the font folders."""
    found: list[str] = []
    env = os.environ.get(ENV_VAR)
    if env:
        found.append(str(Path(env).expanduser()))
    bundled = bundled_font()
    if bundled:
        found.append(bundled)
    found.extend(p for p in KNOWN_FILES if Path(p).is_file())
    if len(found) > (1 if env else 0):
        return found
    for folder in FONT_DIRS:
        root = Path(folder).expanduser()
        if not root.is_dir():
            continue
        try:
            files = sorted(p for p in root.rglob("*") if p.suffix.lower() in (".ttf", ".ttc", ".otf"))
        except OSError:
            continue
        for hint in NAME_HINTS:
            found.extend(str(p) for p in files if hint in p.name.lower().replace(" ", "") and str(p) not in found)
    return found


_CACHE: dict[tuple[str, ...], FontChoice] = {}


def find_cjk_font(candidates: list[str] | None = None) -> FontChoice:
    """Register the first usable CJK font file with matplotlib and return it (cached per candidate list).

    Never raises: without a CJK font the choice is DejaVu Sans with ``cjk=False`` and a note.
    """
    files = candidate_files() if candidates is None else list(candidates)
    key = tuple(files)
    if key in _CACHE:
        return _CACHE[key]
    from matplotlib import font_manager

    notes: list[str] = []
    env = os.environ.get(ENV_VAR)
    for path in files:
        if not Path(path).is_file():
            if env and path == str(Path(env).expanduser()):
                notes.append(f"{ENV_VAR}={env} is not a file; looking elsewhere")
            continue
        if not _has_glyphs(path):
            continue
        try:
            font_manager.fontManager.addfont(path)
            family = _family_of(path)
        except Exception:
            continue
        choice = FontChoice(family=family, path=path, cjk=True, notes=tuple(notes))
        _CACHE[key] = choice
        return choice
    hint = ("reinstall zhagen (its dependency noto-cjk-sans-otc brings the font), "
            + ("or sudo apt-get install fonts-wqy-microhei" if sys.platform.startswith("linux") else "or install a Chinese font"))
    notes.append(f"no CJK font found: figures use {FALLBACK_FAMILY} and Chinese labels may show as boxes "
                 f"({hint}, or set {ENV_VAR} to a .ttf/.ttc/.otf file)")
    choice = FontChoice(family=FALLBACK_FAMILY, path=None, cjk=False, notes=tuple(notes))
    _CACHE[key] = choice
    return choice


def portable_svg_fonts(svg: str) -> str:
    """Let SVG text fall back to Chinese fonts a reader's machine has when ours is missing there."""
    extra = ", ".join(f"'{f}'" for f in PORTABLE_FAMILIES)
    return svg.replace(", sans-serif;", f", {extra}, sans-serif;").replace(
        ", sans-serif\"", f", {extra}, sans-serif\"")
