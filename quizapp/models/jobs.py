"""Long work done by background workers: a job and the files it waits on."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .columns import UTCDateTime, utcnow

JOB_KINDS = ("generate", "import", "fit", "simulate")
JOB_STATUSES = ("queued", "running", "done", "failed")
ACTIVE_JOB_STATUSES = ("queued", "running")


class Job(db.Model):
    """Long work (generation, a large import) done by a background worker.

    The worker claims a job by turning ``queued`` into ``running`` with its own ``claim``
    token, and writes the result and ``done`` in one transaction guarded by that token: a
    worker that dies leaves nothing half-written, and a job taken over by another worker
    cannot be finished twice.
    """

    __tablename__ = "job"
    __table_args__ = (Index("ix_job_user_status", "user_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="queued")
    title: Mapped[str | None] = mapped_column(String(200), nullable=True)
    upload_token: Mapped[str | None] = mapped_column(String(64), nullable=True)
    stage: Mapped[str] = mapped_column(String(200), default="Waiting for a worker")
    percent: Mapped[int] = mapped_column(Integer, default=0)
    documents_read: Mapped[int] = mapped_column(Integer, default=0)
    documents_total: Mapped[int] = mapped_column(Integer, default=0)
    facts: Mapped[int] = mapped_column(Integer, default=0)
    cards: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claim: Mapped[str | None] = mapped_column(String(64), nullable=True)
    deck_id: Mapped[int | None] = mapped_column(
        ForeignKey("deck.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    files: Mapped[list[JobFile]] = relationship(
        order_by="JobFile.position", cascade="all, delete-orphan"
    )

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")


class JobFile(db.Model):
    """An uploaded document waiting for its job; deleted when the job ends."""

    __tablename__ = "job_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("job.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(300))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)


def job_under_way(kind: str, deck_id: int, user_id: int | None = None) -> bool:
    """Whether a job of ``kind`` on the deck (by the user, if given) is waiting or running."""
    query = db.select(Job.id).where(
        Job.kind == kind, Job.deck_id == deck_id, Job.status.in_(ACTIVE_JOB_STATUSES)
    )
    if user_id is not None:
        query = query.where(Job.user_id == user_id)
    return db.session.scalars(query).first() is not None
