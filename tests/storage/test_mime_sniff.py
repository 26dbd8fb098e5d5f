"""The MIME sniff's fast path for JPEG and PNG agrees with the full table, and a named type is kept."""

import puremagic
import pytest
import pyvips

from mediamill.storage.local import LocalStore
from mediamill.storage.mime import SNIFF_BYTES, sniff


@pytest.mark.parametrize("suffix", [".jpg", ".png"])
def test_the_fast_path_agrees_with_puremagic(suffix):
    data = pyvips.Image.black(32, 24, bands=3).write_to_buffer(suffix)
    expected = puremagic.from_string(data[:SNIFF_BYTES], mime=True).replace("image/jpg", "image/jpeg")
    assert sniff(data[:SNIFF_BYTES]) == expected


def test_other_content_still_goes_through_the_table():
    data = pyvips.Image.black(8, 8, bands=3).write_to_buffer(".gif")
    assert sniff(data) == "image/gif"


def test_a_named_type_is_kept_and_an_unnamed_one_is_sniffed(tmp_path):
    store = LocalStore(tmp_path)
    png = pyvips.Image.black(8, 8, bands=3).write_to_buffer(".png")
    assert store.put(png, name="a.bin", mime="application/x-custom").mime == "application/x-custom"
    assert store.put(png, name="b.bin").mime == "image/png"
