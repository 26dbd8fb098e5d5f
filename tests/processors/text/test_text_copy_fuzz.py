"""Whatever product text comes in (emoji, CJK, huge words, odd spacing), the offline copy stays within limits."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mediamill.processors.text.offline_copy import headline, script, write_platform
from mediamill.processors.text.platforms import PLATFORMS, post_length
from mediamill.processors.text.product import ProductInfo, gather

words = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=400)
products = st.builds(
    ProductInfo,
    name=st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=120)
    .filter(lambda s: s.strip()),
    description=st.one_of(st.just(""), words, st.text(min_size=2000, max_size=4000)),
    features=st.lists(words, max_size=20),
    audience=st.text(max_size=200),
    tone=st.sampled_from(["friendly", "bold", "playful", "professional", "luxury", "calm"]),
    price=st.one_of(st.none(), st.floats(0, 1e9, allow_nan=False), st.text(max_size=20)),
    url=st.one_of(st.none(), st.just("https://example.com/" + "p" * 400)),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(product=products, variant=st.integers(0, 50))
def test_offline_copy_never_breaks_a_limit(product, variant):
    facts = gather(product)
    for platform in PLATFORMS.values():
        post = write_platform(facts, platform, variant)
        assert post_length(post.text, platform) <= platform.max_chars
        assert post.cta and post.hook
    assert 0 < len(headline(facts, variant)) <= 60
    assert script(facts, variant).strip()
