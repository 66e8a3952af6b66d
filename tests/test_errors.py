from __future__ import annotations

import pickle

import pytest

from twitterdesign.errors import (
    CorruptDataError,
    IncompatibleError,
    InvalidParameterError,
    NoBackendAvailable,
    NotFoundError,
    TwitterDesignError,
)


def test_invalid_parameter_names_parameter_value_and_allowed() -> None:
    exc = InvalidParameterError("capacity", -3, "an integer >= 1")
    assert str(exc) == "invalid capacity=-3: expected an integer >= 1"
    assert (exc.name, exc.value, exc.allowed) == ("capacity", -3, "an integer >= 1")


@pytest.mark.parametrize(
    ("cls", "base"),
    [
        (InvalidParameterError, ValueError),
        (IncompatibleError, ValueError),
        (CorruptDataError, ValueError),
        (NotFoundError, KeyError),
        (NoBackendAvailable, RuntimeError),
    ],
)
def test_every_error_is_catchable_as_root_and_stdlib_base(cls: type, base: type) -> None:
    assert issubclass(cls, TwitterDesignError)
    assert issubclass(cls, base)


def test_not_found_prints_plain_message() -> None:
    # KeyError would print the message with quotes; users read this text.
    assert str(NotFoundError("unknown preset 'x'")) == "unknown preset 'x'"


def test_invalid_parameter_survives_pickling() -> None:
    # Errors cross process boundaries in the app's multi-process mode.
    exc = pickle.loads(pickle.dumps(InvalidParameterError("k", 0, "an integer >= 1")))
    assert str(exc) == "invalid k=0: expected an integer >= 1"


def test_long_values_are_shortened_in_the_message() -> None:
    exc = InvalidParameterError("items", list(range(1000)), "a short list")
    assert len(str(exc)) < 140
