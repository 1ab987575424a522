"""Pillow making the thumbnails recipe's thumbnails, for the benchmark.

Usage: python3 pillow_thumbnails.py PHOTOS OUT SIZE ITERATIONS

Shrinks every *.jpg / *.jpeg in PHOTOS to fit in SIZE x SIZE with
`Image.thumbnail` (which decodes a JPEG at reduced scale: Pillow's draft
mode) and saves it in OUT, ITERATIONS times over, in this one process. Prints
the seconds those batches took: the interpreter's start and Pillow's import
are not counted. benches/parallel.rs calls it through criterion's
`iter_custom`.
"""

import pathlib
import sys
import time

from PIL import Image

photos, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
size, iterations = int(sys.argv[3]), int(sys.argv[4])
files = sorted(p for p in photos.iterdir() if p.suffix.lower() in (".jpg", ".jpeg"))
start = time.perf_counter()
for _ in range(iterations):
    for path in files:
        with Image.open(path) as image:
            image.thumbnail((size, size))
            image.save(out / path.name, "JPEG")
print(time.perf_counter() - start)
