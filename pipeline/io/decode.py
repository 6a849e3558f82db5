"""Turn the bytes of one issue into text, or say clearly why not.

UTF-8 (with or without BOM) and UTF-16 with BOM are recognised exactly; anything else is
handed to charset-normalizer restricted to the configured candidate encodings (GB18030,
Big5, ...), so a GBK page is never mistaken for Big5 by a hand-written guess.
"""

from __future__ import annotations

import codecs
import functools
import unicodedata

import charset_normalizer


def format_mb(n_bytes: float) -> str:
    """A size for a message: `2.0 MB`, `0.05 MB`, `2000.0 MB` (never `2e+03 MB`)."""
    mb = n_bytes / 1e6
    if mb >= 1:
        return f"{mb:.1f} MB"
    if n_bytes < 1000:
        return f"{int(n_bytes)} bytes"
    return f"{mb:.3f}".rstrip("0").rstrip(".") + " MB"


class InputError(ValueError):
    """An input that cannot be processed; `reason` is one readable line."""

    def __init__(self, source: str, reason: str, stage: str = "decode") -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason
        self.stage = stage


DEFAULT_ENCODINGS = ("utf-8", "gb18030", "big5", "utf-16")
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13))


def _looks_binary(data: bytes) -> bool:
    sample = data[:65536]
    if b"\x00" in sample:
        return True
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    return controls > max(8, len(sample) // 100)


def _utf16_without_bom(data: bytes) -> tuple[str, str] | None:
    """(text, encoding) for UTF-16 without a byte-order mark, or None. Text in UTF-16 has a NUL
    byte in every ASCII character (newlines included), all on odd positions (LE) or all on even
    ones (BE); a binary file has them anywhere. Tried only when `input.encodings` lists utf-16."""
    if len(data) % 2:
        return None
    sample = data[:65536]
    odd = sample[1::2].count(0)
    even = sample[0::2].count(0)
    if odd == even:
        return None
    enc = "utf-16-le" if odd > even else "utf-16-be"
    if min(odd, even) * 3 > max(odd, even):  # NULs on both sides alike: not text
        return None
    try:
        text = data.decode(enc)
    except UnicodeDecodeError:
        return None
    if "\x00" in text or not _plausible_text(text):
        return None
    sample = text[:20000]
    common = sum(1 for ch in sample if ch.isascii() or "\u3000" <= ch <= "\u303f" or "\u4e00" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef")
    return (text, enc) if common >= 0.9 * len(sample) else None  # bytes of another encoding read as UTF-16 are noise


def _plausible_text(text: str) -> bool:
    """Most characters of a newspaper page are CJK, ASCII or punctuation, not symbols."""
    if not text.strip():
        return False
    sample = text[:20000]
    bad = sum(
        1
        for ch in sample
        if unicodedata.category(ch) in ("Co", "Cn", "Cs") or (unicodedata.category(ch) == "Cc" and ch not in "\n\r\t\f")
    )
    return bad <= len(sample) // 200


def decode_bytes(
    data: bytes,
    source: str,
    encodings: tuple[str, ...] | list[str] = DEFAULT_ENCODINGS,
    max_bytes: int | None = None,
) -> tuple[str, str]:
    """Return (text, encoding) with newlines normalised to "\\n", or raise `InputError`."""
    if max_bytes is not None and len(data) > max_bytes:
        raise InputError(
            source,
            f"file is {format_mb(len(data))}, over the {format_mb(max_bytes)} limit; "
            "split it or raise input.max_file_mb",
            stage="read",
        )
    if not data.strip():
        raise InputError(source, "file is empty: nothing to segment", stage="read")
    encoding = None
    text = None
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(enc)
            except UnicodeDecodeError:
                raise InputError(source, f"starts with a {enc} byte-order mark but is not valid {enc}") from None
            encoding = "utf-8-sig" if enc == "utf-8-sig" else enc
            text = text.lstrip("\ufeff")
            break
    if text is None and b"\x00" in data[:65536] and any(_is_utf16(e) for e in encodings):
        found = _utf16_without_bom(data)
        if found is not None:
            text, encoding = found
    if text is None:
        if _looks_binary(data):
            why = " (it holds NUL bytes)" if b"\x00" in data[:65536] else ""
            raise InputError(source, f"looks like a binary file, not text{why}; pass the plain-text issue instead")
        try:
            text = data.decode("utf-8")
            encoding = "utf-8"
        except UnicodeDecodeError:
            candidates = [e for e in encodings if e.replace("_", "-").lower() not in ("utf-8", "utf8")]
            best = charset_normalizer.from_bytes(data, cp_isolation=candidates or None).best()
            if best is None:
                raise InputError(
                    source,
                    f"cannot decode as any of {', '.join(encodings)}; convert it to UTF-8 first",
                ) from None
            encoding = _canonical(best.encoding)
            try:
                text = data.decode(encoding)
            except (UnicodeDecodeError, LookupError):
                raise InputError(source, f"cannot decode as {encoding}; convert it to UTF-8 first") from None
    if encoding != "utf-8" and not _plausible_text(text):
        raise InputError(source, f"decodes as {encoding} but does not look like text; is it the right file?")
    nul = text.find("\x00")
    if nul >= 0:  # wherever it is: one rule for the whole file, never `\u0000` in a record
        raise InputError(
            source, f"holds NUL characters (the first at character {nul}): a damaged or binary file; fix or remove it"
        )
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise InputError(source, "file is empty: nothing to segment", stage="read")
    return text, encoding or "utf-8"


def _is_utf16(name: str) -> bool:
    return name.replace("_", "-").lower() in ("utf-16", "utf16", "utf-16-le", "utf-16-be", "utf-16le", "utf-16be")


def _canonical(name: str) -> str:
    name = name.lower().replace("_", "-")
    return {"gb2312": "gb18030", "gbk": "gb18030", "cp936": "gb18030", "big5hkscs": "big5hkscs"}.get(name, name)


@functools.lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional -> Simplified with OpenCC (converter built once per process)."""
    return _t2s().convert(text)
