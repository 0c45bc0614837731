#!/usr/bin/env python3
"""Writes scripts/data/persuasion-ch1-3.txt, the text `bench perplexity` and scripts/quality_compare.sh score.

Source: Debian's r-cran-janeaustenr (Jane Austen's novels for R, from Project Gutenberg). Jane Austen died in
1817 and "Persuasion" was published in 1818, so the text is in the public domain everywhere. The R package keeps
each novel as a character vector of hard-wrapped lines in a lazy-load database (data/Rdata.rdb: one
zlib-compressed, XDR-serialized object per novel); this reads it without R, keeps chapters 1-3 of "Persuasion"
(about 11k SmolLM2 tokens) and joins each paragraph's lines into one line.

  apt-get download r-cran-janeaustenr && dpkg -x r-cran-janeaustenr_*.deb pkg
  python3 scripts/make_perplexity_text.py pkg/usr/lib/R/site-library/janeaustenr/data/Rdata.rdb
"""
import struct
import sys
import zlib
from pathlib import Path


def character_vectors(path):
    """Each object of an R lazy-load database that is a character vector, as a list of str (NA as '')."""
    data, position = Path(path).read_bytes(), 0
    while position < len(data):
        inflater = zlib.decompressobj()
        blob = inflater.decompress(data[position + 4:])  # 4 bytes of uncompressed length, then zlib
        position = len(data) - len(inflater.unused_data)
        cursor = blob.index(b"UTF-8") + 5  # XDR header ("X\n", versions, native encoding), then the object
        kind, count = struct.unpack(">II", blob[cursor:cursor + 8])
        cursor += 8
        if kind & 0xFF != 16:  # STRSXP
            continue
        strings = []
        for _ in range(count):
            _, length = struct.unpack(">Ii", blob[cursor:cursor + 8])
            cursor += 8
            strings.append("" if length < 0 else blob[cursor:cursor + length].decode("utf-8"))
            cursor += max(length, 0)
        yield strings


def main():
    novels = [lines for lines in character_vectors(sys.argv[1]) if lines[0].strip() == "Persuasion"]
    if not novels:
        sys.exit(f"{sys.argv[1]}: no vector starting with 'Persuasion'")
    lines = novels[0]
    start, end = lines.index("Chapter 1"), lines.index("Chapter 4")
    paragraphs, current = [], []
    for line in lines[start:end] + [""]:
        if line.strip():
            current.append(line.strip())
        elif current:
            paragraphs.append(" ".join(current))
            current = []
    header = "Persuasion by Jane Austen (1818), chapters 1-3. Public domain; from Debian's r-cran-janeaustenr (Project Gutenberg text)."
    out = Path(__file__).resolve().parent / "data" / "persuasion-ch1-3.txt"
    out.write_text(header + "\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")
    print(f"wrote {out}: {out.stat().st_size} bytes, {len(paragraphs)} paragraphs")


if __name__ == "__main__":
    main()
