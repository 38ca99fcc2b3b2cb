"""Writes reference/convert/: PNG inputs in Pillow modes RGB, RGBA, LA, P and L, and what
Pillow's Image.convert("L") and Image.convert("RGB") make of each (as lossless PNGs).

ImageDecoderParityTest decodes each input with javax.imageio, converts it as the training data
source does and compares with Pillow's output pixel by pixel.

Run with the project's venv (submit/common.sh torch_venv) plus Pillow:
    python src/test/resources/reference/scripts/pillow_convert_reference.py
Written with Pillow 13.0.0, numpy 2.x; the outputs depend only on Pillow's integer conversions.
"""

import pathlib

import numpy as np
from PIL import Image

OUT = pathlib.Path(__file__).resolve().parents[1] / "convert"
H, W = 12, 16


def main():
    OUT.mkdir(exist_ok=True)
    rng = np.random.default_rng(23)
    rgba = rng.integers(0, 256, size=(H, W, 4), dtype=np.uint8)
    palette = rng.integers(0, 256, size=256 * 3, dtype=np.uint8)
    inputs = {
        "rgb": Image.fromarray(rgba[:, :, :3], "RGB"),
        "rgba": Image.fromarray(rgba, "RGBA"),
        "la": Image.fromarray(rgba[:, :, [0, 3]], "LA"),
        "l": Image.fromarray(rgba[:, :, 1], "L"),
    }
    p = Image.fromarray(rng.integers(0, 256, size=(H, W), dtype=np.uint8), "P")
    p.putpalette(palette.tobytes())
    inputs["p"] = p
    for name, img in inputs.items():
        img.save(OUT / f"{name}.png")
        # Convert what a reader gets back from the file, as datasets' Image feature does.
        with Image.open(OUT / f"{name}.png") as back:
            assert back.mode == img.mode, (name, back.mode)
            back.convert("L").save(OUT / f"{name}.L.png")
            back.convert("RGB").save(OUT / f"{name}.RGB.png")


if __name__ == "__main__":
    main()
