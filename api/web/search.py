"""The search box on every page (issue 22): applications found by application number, an ID number, a name or
a phone number, within the signed-in user's reach (:mod:`engine.usecases.search`); each one found is recorded
in its history."""

from __future__ import annotations

from flask import g, render_template, request

from engine.errors import InvalidInput
from engine.usecases import search

from .pages import blp, context, page


@blp.get("/search")
@page("clerk", "supervisor", "admin")
def find():
    query = (request.args.get("q") or "").strip()
    found, error = None, None
    if query:
        try:
            found = search.find(context(), g.principal, query)
        except InvalidInput as err:
            error = "；".join(m for messages in err.errors.values() for m in messages) or str(err)
    kinds = {"business_key": "申请编号"}
    for service in context().services.all:
        kinds.update(service.search.kinds)
    return render_template("search.html", query=query, found=found, error=error, kinds=kinds)
