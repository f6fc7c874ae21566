"""What a form is to the engine: something that describes itself to clients and checks a submission.

A user task names its form by key (the BPMN's ``camunda:formKey``); a service brings the forms of its user
tasks (:attr:`engine.service.Service.task_forms`). How a form is built -- marshmallow schemas with Chinese
labels, in ``forms/`` -- is the service's business: the engine only calls :meth:`TaskForm.describe` and
:meth:`TaskForm.validate`, and keeps the forms of every installed service in one :class:`FormRegistry`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Protocol

from .errors import InvalidInput


class TaskForm(Protocol):
    """The form of a user task."""

    key: str  # the form key the BPMN names
    title: str  # what the task is called on a page
    group: str  # the department whose clerks work it

    def describe(self) -> dict:
        """The form as Camunda 7 form fields: ``{"key", "fields": [{"id", "label", "type", "required",
        "options", "constraints"}]}``; ``constraints`` is what :meth:`validate` checks, so every client
        builds the same form."""
        ...

    def validate(self, submitted: Mapping[str, Any]) -> dict:
        """The submission normalized (JSON-compatible), or :class:`FormInvalid` naming every field's
        problem in Chinese."""
        ...


class FormInvalid(InvalidInput):
    """A submission a form refuses: ``errors`` maps dotted field paths to Chinese messages (422)."""

    def __init__(self, errors: Mapping[str, list[str]], message: str = "表单填写有误") -> None:
        super().__init__(message, dict(errors))


class UnknownForm(LookupError):
    """No form has this key."""


class DuplicateForm(ValueError):
    """A form with this key is already registered."""


class FormRegistry:
    """Forms by form key (a service's, or every installed service's): a key given twice is an error."""

    def __init__(self, forms: Iterable[TaskForm] = (), owner: str = "") -> None:
        self._forms: dict[str, TaskForm] = {}
        self._owners: dict[str, str] = {}
        self.add_all(forms, owner)

    def add_all(self, forms: Iterable[TaskForm], owner: str = "") -> None:
        for form in forms:
            self.register(form, owner)

    def register(self, form: TaskForm, owner: str = "") -> TaskForm:
        """Add a form; a key registered twice is a :class:`DuplicateForm` naming both owners, a form that
        cannot describe itself fails now rather than at a clerk's request."""
        if form.key in self._forms:
            raise DuplicateForm(
                f"task form {form.key!r} is registered by {self._owners[form.key] or 'another'} "
                f"and {owner or 'another'}"
            )
        form.describe()
        self._forms[form.key] = form
        self._owners[form.key] = owner
        return form

    def get(self, key: str | None) -> TaskForm:
        """The form with this key, or :class:`UnknownForm` (also for a task without a form key)."""
        found = self._forms.get(key) if key is not None else None
        if found is None:
            raise UnknownForm(f"no task form with key {key!r}; known: {', '.join(self._forms)}")
        return found

    def keys(self) -> tuple[str, ...]:
        """Every form key, in registration order."""
        return tuple(self._forms)

    def __iter__(self) -> Iterator[TaskForm]:
        return iter(self._forms.values())
