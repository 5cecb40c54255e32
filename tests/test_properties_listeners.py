"""sections_for (indexed for large plans) picks exactly the listeners the Gateway API hostname rules pick."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from migrate.convert.listeners import ListenerPlan, hostnames_intersect, sections_for

HOSTS = ("a.example.com", "b.example.com", "example.com", "*.example.com", "*.a.example.com", "x.a.example.com",
         "*.com", "other.org", "*.org", "a.example.com.evil")


def reference(listeners: list[ListenerPlan], hostnames: list[str], *, http: bool, https: bool) -> list[str]:
    """The definition: every listener in plan order, tested one by one."""
    return [lst.name for lst in listeners
            if lst.protocol == "HTTP" and http or lst.protocol == "HTTPS" and https and (
                not hostnames or any(hostnames_intersect(lst.hostname, h) for h in hostnames))]


listener = st.builds(
    lambda protocol, hostname: ListenerPlan(name="", protocol=protocol, port=443, hostname=hostname),
    st.sampled_from(("HTTP", "HTTPS", "HTTPS", "HTTPS", "TLS", "TCP")),
    st.sampled_from((None, "") + HOSTS),
)


def _named(listeners: list[ListenerPlan]) -> list[ListenerPlan]:
    for i, lst in enumerate(listeners):
        lst.name = f"l{i}"
    return listeners


@settings(max_examples=300)  # microseconds per example
@given(st.lists(listener, max_size=12).map(_named), st.lists(st.sampled_from(HOSTS + ("",)), max_size=3),
       st.booleans(), st.booleans())
def test_sections_for_matches_the_definition(listeners: list[ListenerPlan], hostnames: list[str],
                                             http: bool, https: bool) -> None:
    assert sections_for(listeners, hostnames, http=http, https=https) == reference(
        listeners, hostnames, http=http, https=https)


def test_a_changed_plan_is_reindexed() -> None:
    plan = _named([ListenerPlan(name="", protocol="HTTPS", port=443, hostname="a.example.com")])
    assert sections_for(plan, ["b.example.com"], http=False, https=True) == []
    plan.append(ListenerPlan(name="wild", protocol="HTTPS", port=443, hostname="*.example.com"))
    assert sections_for(plan, ["b.example.com"], http=False, https=True) == ["wild"]
    other = _named([ListenerPlan(name="", protocol="HTTPS", port=443, hostname="b.example.com")])
    assert sections_for(other, ["b.example.com"], http=False, https=True) == ["l0"]
