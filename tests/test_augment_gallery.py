"""The gallery command writes a captioned contact sheet of every style and intensity."""

from __future__ import annotations

import cv2

from augment.gallery import gallery_pages
from augment.testing import demo_record
from ecginstruct.cli import main


def test_gallery_cycles_through_styles_and_intensities():
    records = [demo_record(i) for i in range(3)]
    pages = gallery_pages(records, seed=0, dpi=100)
    captions = [c for _, c in pages]
    assert [c.split()[0] for c in captions] == ["printed/light", "printed/medium", "printed/heavy"]
    assert all(p.meta["augment"]["style"] == "printed" for p, _ in pages)


def test_gallery_command(tmp_path, capsys):
    out = tmp_path / "g.png"
    assert main(["gallery", "--out", str(out), "--n", "2", "--dpi", "100", "--cols", "2"]) == 0
    img = cv2.imread(str(out))
    assert img is not None and img.shape[1] == 2 * 480 + 3 * 8
    assert "wrote" in capsys.readouterr().out


def test_gallery_rejects_bad_arguments(tmp_path, capsys):
    assert main(["gallery", "--out", str(tmp_path / "g.gif")]) == 2
    assert "--out must end in" in capsys.readouterr().err
