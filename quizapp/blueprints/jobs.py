"""A background job's page (progress bar, then the result) and its status as JSON."""

from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, url_for
from flask_login import current_user, login_required

from ..services.job_kinds import KINDS
from ..services.jobs import job_for, job_status

bp = Blueprint("jobs", __name__, url_prefix="/jobs")


def _result_url(job) -> str | None:
    if job.status != "done" or job.deck_id is None:
        return None
    return KINDS[job.kind].result_url(job)


@bp.get("/<int:job_id>")
@login_required
def show(job_id: int):
    job = job_for(current_user, job_id)
    result = _result_url(job)
    if result is not None:
        if job.message:
            flash(job.message, "success")
        return redirect(result, code=303)
    kind = KINDS[job.kind]
    retry = kind.retry_url(job) if job.status == "failed" else None
    return render_template("jobs/show.html", job=job, kind=kind, retry_url=retry,
                           status=job_status(job))


@bp.get("/<int:job_id>/status")
@login_required
def status(job_id: int):
    job = job_for(current_user, job_id)
    result = _result_url(job)
    if result is not None and job.message:
        # This page says the job's closing sentence on its way to the result.
        result = url_for("jobs.show", job_id=job.id)
    response = jsonify({**job_status(job), "result_url": result})
    response.headers["Cache-Control"] = "no-store"
    return response
