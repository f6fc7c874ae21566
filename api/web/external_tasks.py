"""The admins' page of external tasks (issue 23): which topics the departments' own systems run
(``ONETHING_EXTERNAL_TOPICS``) and, for every topic, how many steps wait for a worker, are held by one or are
incidents; every step a worker holds now -- which worker, since when and until when; and the incidents of
external steps, retried as any other (the retry hands the step back to the department's workers)."""

from __future__ import annotations

from flask import g, render_template

from engine.usecases import external_tasks

from .clerk import ActionForm
from .pages import blp, context, page


@blp.get("/admin/external-tasks")
@page("admin")
def external_tasks_page():
    return render_template(
        "external_tasks.html", view=external_tasks.overview(context(), g.principal), action=ActionForm()
    )
