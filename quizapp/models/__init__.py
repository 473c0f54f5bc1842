"""Every table of the app, in SQLAlchemy 2 typed style, in modules of this package by subject.

Each name is re-exported here, so ``from quizapp.models import X`` finds every one; importing
the package also maps every class, which the relationships named by string
(``order_by="Card.position"``, ``secondary="class_deck"``) need before the first query.
"""

from .accounts import ROLES as ROLES
from .accounts import RateLimitCounter as RateLimitCounter
from .accounts import User as User
from .accounts import user_by_email as user_by_email
from .classes import ClassDeck as ClassDeck
from .classes import ClassMembership as ClassMembership
from .classes import Classroom as Classroom
from .columns import MAX_ID as MAX_ID
from .columns import UTCDateTime as UTCDateTime
from .columns import utcnow as utcnow
from .decks import Card as Card
from .decks import Deck as Deck
from .decks import Media as Media
from .decks import PendingUpload as PendingUpload
from .decks import SourceDocument as SourceDocument
from .decks import SuggestionDecision as SuggestionDecision
from .history import ReviewDayMark as ReviewDayMark
from .history import ReviewDayTotal as ReviewDayTotal
from .jobs import ACTIVE_JOB_STATUSES as ACTIVE_JOB_STATUSES
from .jobs import JOB_KINDS as JOB_KINDS
from .jobs import JOB_STATUSES as JOB_STATUSES
from .jobs import Job as Job
from .jobs import JobFile as JobFile
from .jobs import job_under_way as job_under_way
from .reviews import WRONG_RESPONSE as WRONG_RESPONSE
from .reviews import CardState as CardState
from .reviews import ReviewLog as ReviewLog
from .scheduling import DeckSimulation as DeckSimulation
from .scheduling import LearnerSchedulerParams as LearnerSchedulerParams
from .scheduling import SchedulerOverride as SchedulerOverride
from .sessions import StudyQueueItem as StudyQueueItem
from .sessions import StudySession as StudySession
