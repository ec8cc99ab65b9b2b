"""Shortcuts inside the detector modules equal the slower forms they replace.

Each test states the slow form and checks the shortcut against it on generated
text dense in the characters that matter, so that a shortcut that diverged
would fail here. All data is generated and fictional.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detectors import email

SLOW = settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Characters of local parts (RFC and the practical subset), their neighbours in text,
# letters of other scripts and combining marks.
LOCAL_TEXT = st.text(
    alphabet=st.sampled_from(list("aZ09_.!#$%&'*+/=?^`{|}~- \t\n<>()[]\",;:@\\åÖé\u0301\u030a\u00a0ßΩж٣")),
    max_size=90,
)


@SLOW
@given(t=LOCAL_TEXT, data=st.data())
def test_left_plain_reads_the_local_run_as_the_anchored_search(t: str, data: st.DataObject) -> None:
    t = t + "@example.se"
    start = data.draw(st.integers(0, len(t) - 1))
    lo = max(0, start - email.MAX_LOCAL - 1)
    for whole, slow in ((False, email._LOCAL_RUN), (True, email._LOCAL_RUN_RFC)):
        m = slow.search(t, lo, start)
        fast = (email._LOCAL_REV_RFC if whole else email._LOCAL_REV).match(t[lo:start][::-1])
        assert (m is None) == (fast is None)
        if m is not None:
            assert fast is not None and m.start() == start - fast.end()


def _left_plain_slow(t: str, start: int, whole: bool) -> object:
    """email._left_plain as it was: the anchored run searched from every start after ``lo``."""
    if start == 0 or t[start - 1] in " \t\r\n<>()[]\",;:@":
        return email.InvalidFormat
    lo = max(0, start - email.MAX_LOCAL - 1)
    m = (email._LOCAL_RUN_RFC if whole else email._LOCAL_RUN).search(t, lo, start)
    if m is None:
        return email.InvalidFormat
    ls = m.start()
    if whole:
        local = t[ls:start]
        if local[0] == "." or local[-1] == "." or ".." in local:
            return email.InvalidFormat
        return email.InvalidLength if len(local) > email.MAX_LOCAL else ls
    esc = email._ESCAPED.match(t, ls, start)
    if esc is not None:
        ls = esc.end()
    i = email._trim_local(t[ls:start])
    return i if isinstance(i, type) else ls + i


@SLOW
@given(t=LOCAL_TEXT, data=st.data())
def test_left_plain_equals_the_slow_form(t: str, data: st.DataObject) -> None:
    t = t + "@example.se"
    start = data.draw(st.integers(0, len(t) - 1))
    for whole in (False, True):
        assert email._left_plain(t, start, whole) == _left_plain_slow(t, start, whole)
