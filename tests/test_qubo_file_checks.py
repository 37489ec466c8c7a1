"""The .qubo reader's checks of qbdsl's comment lines and of its numbers (review faults):
each refusal is one FileFormatError at the offending line."""

import pytest

import qbdsl as qb
from qbdsl.io.qubo_format import read_qubo

BODY = "p qubo 0 2 2 1\n0 0 1\n1 1 -1\n0 1 2\n"


def write(tmp_path, text, name="m.qubo"):
    p = tmp_path / name
    p.write_text(text)
    return p


def fails_at(tmp_path, text, line, *words):
    p = write(tmp_path, text)
    with pytest.raises(qb.FileFormatError) as e:
        read_qubo(p.read_text(), str(p))
    msg = str(e.value)
    assert f"m.qubo:{line}:" in msg, msg
    assert e.value.line == line
    for w in words:
        assert w in msg, msg
    return msg


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "infinity", "NaN", "1e999"])
def test_a_non_finite_offset_is_refused_at_its_line(tmp_path, value):
    fails_at(tmp_path, f"c hello\nc qbdsl offset {value}\n" + BODY, 2, "offset")


@pytest.mark.parametrize(
    "key, a, b", [("offset", "1", "2"), ("offset", "1", "1"), ("sense", "max", "min"), ("sense", "max", "max")]
)
def test_a_repeated_sense_or_offset_line_is_refused_at_the_second(tmp_path, key, a, b):
    fails_at(tmp_path, f"c qbdsl {key} {a}\nc other\nc qbdsl {key} {b}\n" + BODY, 3, "second", key)


@pytest.mark.parametrize(
    "line, bad", [(2, "0 0 1_0"), (4, "0 1 2_0"), (2, "0_0 0 1"), (4, "0 1_0 2"), (2, "0 0 \u0661")]
)
def test_digit_separators_and_non_ascii_digits_are_refused(tmp_path, line, bad):
    lines = BODY.splitlines()
    lines[line - 1] = bad
    fails_at(tmp_path, "\n".join(lines) + "\n", line, "expected 'i j value'")


def test_an_offset_with_digit_separators_is_refused(tmp_path):
    fails_at(tmp_path, "c qbdsl offset 1_0\n" + BODY, 1, "bad offset")


def test_duplicate_label_names_are_refused(tmp_path):
    fails_at(tmp_path, "c qbdsl label 0 a\nc qbdsl label 1 a\n" + BODY, 2, "duplicate label 'a'")


def test_two_labels_for_one_variable_are_refused(tmp_path):
    fails_at(tmp_path, "c qbdsl label 0 a\nc qbdsl label 0 b\n" + BODY, 2, "second label")


def test_a_well_formed_file_still_reads(tmp_path):
    p = write(
        tmp_path,
        "c qbdsl offset -2.5\nc qbdsl sense max\nc qbdsl label 0 a\nc qbdsl label 1 b\n"
        + BODY.replace("0 1 2", "0 1 2e0"),
    )
    ir = read_qubo(p.read_text(), str(p))
    assert ir.labels == ["a", "b"]
    assert ir.terms.offset == -2.5
    assert list(ir.terms.h) == [1.0, -1.0]
