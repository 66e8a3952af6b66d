"""The one table from app errors to HTTP codes (``api._errors``), and what falls back."""

from __future__ import annotations

import inspect

import pytest

from twitterdesign.errors import TwitterDesignError
from twitterdesign.reference_app import errors
from twitterdesign.reference_app.api._errors import HTTP_STATUS, http_status
from twitterdesign.reference_app.errors import AppError

# Every public error class of the app except the root, which is abstract in practice.
PUBLIC = [
    getattr(errors, name)
    for name in errors.__all__
    if inspect.isclass(getattr(errors, name)) and getattr(errors, name) is not AppError
]


def test_every_public_error_is_an_app_error() -> None:
    assert PUBLIC, "errors.__all__ lists no error classes"
    for cls in PUBLIC:
        assert issubclass(cls, AppError)
        assert issubclass(cls, TwitterDesignError)


@pytest.mark.parametrize("cls", PUBLIC, ids=lambda c: c.__name__)
def test_every_public_error_has_a_documented_status(cls: type[AppError]) -> None:
    assert cls in HTTP_STATUS, f"{cls.__name__} is missing from api._errors.HTTP_STATUS"
    code = http_status(cls("boom"))
    assert code == HTTP_STATUS[cls]
    if cls is errors.ServiceUnavailable:  # the server's condition, not the client's fault
        assert code == 503
    else:
        assert 400 <= code < 500


def test_the_table_lists_only_public_errors() -> None:
    assert set(HTTP_STATUS) <= set(PUBLIC)


@pytest.mark.parametrize("parent", PUBLIC, ids=lambda c: c.__name__)
def test_an_unlisted_subclass_gets_its_parents_code(parent: type[AppError]) -> None:
    child = type(f"New{parent.__name__}", (parent,), {})
    grandchild = type(f"Newer{parent.__name__}", (child,), {})
    assert child not in HTTP_STATUS
    assert http_status(child("x")) == HTTP_STATUS[parent]
    assert http_status(grandchild("x")) == HTTP_STATUS[parent]


def test_the_root_and_its_unlisted_children_are_400() -> None:
    class Odd(AppError):
        pass

    assert http_status(AppError("x")) == 400
    assert http_status(Odd("x")) == 400


def test_error_message_is_kept_for_the_client() -> None:
    err = errors.NotFound("Record not found")
    assert err.message == "Record not found"
    assert str(err) == "Record not found"
