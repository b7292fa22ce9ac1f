"""Fill the conference with realistic demo data: ``manage.py demos_seed``.

The command creates about 40 speakers and 120 talks spread over every track,
level and status, plus three demo users for local use:

* ``staff`` / ``staff-demo``: a superuser for the admin;
* ``ada`` / ``ada-demo`` and ``grace`` / ``grace-demo``: speakers who own a
  handful of talks, so the CRUD demo has something to edit.

Everything is generated deterministically and looked up by slug, so running
the command again creates only what is missing (nothing, on a seeded
database) and never resets a password someone changed.

A demo user is created only when its username is free, and recorded as a
``SeededUser``. A user the command did not create belongs to the host
project: it is left exactly as it is (no password, no flags, no speaker
linked to it, so no speaker's email goes to its inbox), and the output says so.

``--extra-talks N`` adds N numbered benchmark talks (``benchmark-talk-00001``
onwards) for load tests. N is a target, not an increment: afterwards exactly
N benchmark talks exist, so repeating the command is harmless and a smaller N
removes the surplus.

The demo passwords are public (they are in this file and in the docs), so
they are only set while ``DEBUG`` is on. With ``DEBUG`` off (a deployed site)
the demo users are created without a usable password: set one with
``manage.py changepassword <username>`` if you want them.
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.text import slugify

# DEMO_USERS is re-exported: the tests and the docs' tests read it from here.
from django_six_demos.conference.demo_users import DEMO_USERS as DEMO_USERS
from django_six_demos.conference.demo_users import DemoUser
from django_six_demos.conference.models import SeededUser, Speaker, Talk

SPEAKER_COUNT = 40
TALK_COUNT = 120
BENCHMARK_SLUG_PREFIX = "benchmark-talk-"

# A fixed seed makes every run (and every Python version: Random's integer
# seeding, shuffle() and choice() have been stable since 3.2) produce the same
# titles and therefore the same slugs, which is what makes the command
# idempotent.
_SEED = 2026

# SQLite caps the number of query parameters; Django lowers the batch size
# further when needed, this only bounds memory per INSERT.
_BATCH_SIZE = 1000


@dataclass(frozen=True, slots=True)
class SpeakerSeed:
    name: str
    slug: str
    company: str
    bio: str


@dataclass(frozen=True, slots=True)
class TalkSeed:
    title: str
    slug: str
    speaker_slug: str
    abstract: str
    track: str
    level: str
    status: str
    duration: int


class _Topic(NamedTuple):
    # Used mid-sentence ("Getting started with {name}").
    name: str
    # Used at the start of a title ("{heading} in practice").
    heading: str
    # First sentence of the abstract: what the topic is and why it matters.
    pitch: str
    # A later sentence: what the talk actually covers.
    detail: str


class _Angle(NamedTuple):
    # A title template: {name} and {heading} come from the topic.
    title: str
    level: str
    # The sentence of the abstract that matches the title's promise.
    sentence: str


_TOPICS: dict[str, tuple[_Topic, ...]] = {
    Talk.Track.WEB: (
        _Topic(
            "htmx",
            "htmx",
            "htmx lets a Django view answer with a fragment of HTML instead of a JSON "
            "payload, and the browser swaps it straight into the page.",
            "We cover hx-target, out-of-band swaps, history handling and how to keep "
            "the server the single source of truth.",
        ),
        _Topic(
            "template partials",
            "Template partials",
            "Template partials let you name a piece of a template and render just that "
            "piece from a view, without splitting it into a dozen include files.",
            "We look at partialdef, the template#partial syntax and how partials pair "
            "with htmx requests.",
        ),
        _Topic(
            "server-rendered forms",
            "Server-rendered forms",
            "Django forms still do most of the heavy lifting on the web: validation, "
            "error messages and accessible markup.",
            "We walk through field templates, as_field_group and inline feedback for "
            "users, all without a JavaScript framework.",
        ),
        _Topic(
            "progressive enhancement",
            "Progressive enhancement",
            "Progressive enhancement means the page works as plain HTML first and gets "
            "better when JavaScript arrives.",
            "We rebuild one search page three times (plain form, htmx, then a sprinkle "
            "of Alpine) and measure what each layer costs.",
        ),
        _Topic(
            "accessible components",
            "Accessible components",
            "Accessibility is not a final audit step; it is a property of the "
            "components your team reuses every day.",
            "We cover focus management after partial page updates, live regions and "
            "testing with a real screen reader.",
        ),
        _Topic(
            "class-based views",
            "Class-based views",
            "Class-based views are either the best or the most confusing part of "
            "Django, depending on who you ask.",
            "We trace a request through View, TemplateView and the generic editing "
            "views, and show when a plain function is the clearer choice.",
        ),
        _Topic(
            "static assets without a bundler",
            "Static assets without a bundler",
            "You can ship modern CSS and JavaScript from Django without a Node "
            "toolchain anywhere in the build.",
            "We combine ES modules, import maps, ManifestStaticFilesStorage and "
            "WhiteNoise into a setup that fits in one settings file.",
        ),
    ),
    Talk.Track.SECURITY: (
        _Topic(
            "Content Security Policy",
            "Content Security Policy",
            "A Content Security Policy tells the browser which scripts, styles and "
            "frames a page may load, turning many XSS bugs into harmless console errors.",
            "We roll a policy out in report-only mode, read the violation reports and "
            "use nonces for the inline scripts we cannot avoid.",
        ),
        _Topic(
            "authentication",
            "Authentication",
            "Django's authentication system is older than most of the frameworks that "
            "copied it, and it has aged remarkably well.",
            "We cover password hashers and their upgrades, login throttling and where "
            "passkeys fit alongside the session framework.",
        ),
        _Topic(
            "permissions",
            "Permissions",
            "Permissions decide who may do what, and they are the part of an "
            "application most likely to be wrong in a way no test catches.",
            "We compare model permissions, object-level checks and plain queryset "
            "filtering, and show how to test each one.",
        ),
        _Topic(
            "CSRF protection",
            "CSRF protection",
            "Cross-site request forgery protection is on by default in Django, which is "
            "exactly why so few people know how it works.",
            "We look at the token, the Origin checks, SameSite cookies and the safe way "
            "to call a Django view from JavaScript.",
        ),
        _Topic(
            "secrets management",
            "Secrets management",
            "Every project has a SECRET_KEY, a database password and a handful of API "
            "tokens, and every one of them eventually tries to leak into a log.",
            "We cover environment variables, key rotation with SECRET_KEY_FALLBACKS and "
            "keeping credentials out of error reports.",
        ),
        _Topic(
            "dependency auditing",
            "Dependency auditing",
            "Most of the code in a Django deployment was written by someone else and "
            "arrives through pip.",
            "We set up lock files, vulnerability scanning and automated upgrade pull "
            "requests, and discuss what to do when an advisory lands on a Friday.",
        ),
        _Topic(
            "security headers",
            "Security headers",
            "A handful of HTTP headers close whole classes of attacks for the price of "
            "a few settings.",
            "We go through HSTS, Permissions-Policy, frame options and cross-origin "
            "isolation, ending with a clean run of check --deploy.",
        ),
    ),
    Talk.Track.DATA: (
        _Topic(
            "the Django ORM",
            "The Django ORM",
            "The Django ORM turns Python into SQL, and most performance problems begin "
            "with not knowing which SQL it wrote.",
            "We use explain() and the debug toolbar to find N+1 queries, then fix them "
            "with select_related, prefetch_related and Prefetch objects.",
        ),
        _Topic(
            "database indexes",
            "Database indexes",
            "An index is the cheapest performance fix there is, right up until it "
            "slows every write down.",
            "We read query plans, add composite and partial indexes through "
            "Meta.indexes and check that the database actually uses them.",
        ),
        _Topic(
            "migrations",
            "Migrations",
            "Migrations are how a schema evolves with the code, and the moment a "
            "deployment is most likely to go wrong.",
            "We cover data migrations, squashing and splitting a change into steps that "
            "are safe to run against a live database.",
        ),
        _Topic(
            "SQLite in production",
            "SQLite in production",
            "SQLite is no longer just a development database: with WAL mode and "
            "sensible pragmas it serves real traffic.",
            "We cover transaction modes, init_command, continuous backups and the signs "
            "that you have outgrown it.",
        ),
        _Topic(
            "PostgreSQL full-text search",
            "PostgreSQL full-text search",
            "PostgreSQL ships a capable full-text search engine, and Django exposes it "
            "through django.contrib.postgres.",
            "We build ranked search with SearchVector, SearchQuery and trigram "
            "similarity, and compare it with a dedicated search service.",
        ),
        _Topic(
            "composite primary keys",
            "Composite primary keys",
            "Composite primary keys arrived in Django 5.2 after nearly two decades on "
            "the wish list.",
            "We model a legacy schema with CompositePrimaryKey and look at what works "
            "today in the admin, in forms and across relations.",
        ),
        _Topic(
            "database-computed defaults",
            "Database-computed defaults",
            "Generated fields and db_default move computed values into the database, "
            "where every client sees the same result.",
            "We compare GeneratedField, db_default and plain Python defaults, and show "
            "how each behaves in migrations and bulk inserts.",
        ),
    ),
    Talk.Track.OPERATIONS: (
        _Topic(
            "background tasks",
            "Background tasks",
            "Django 6.0 added a tasks framework, so sending an email after a request no "
            "longer means choosing a message queue on day one.",
            "We define tasks, enqueue them on commit and run a database-backed worker "
            "next to the web process.",
        ),
        _Topic(
            "zero-downtime deployments",
            "Zero-downtime deployments",
            "Zero-downtime deployments are mostly about ordering: which code, which "
            "schema and which traffic goes first.",
            "We walk through expand-and-contract migrations, health checks and rolling "
            "restarts, using the timeline of a real incident.",
        ),
        _Topic(
            "containers",
            "Containers",
            "A container image is the unit most platforms deploy, and a Django image "
            "can be small, quick to build and boring to run.",
            "We write a multi-stage Dockerfile with uv, run collectstatic at build time "
            "and keep secrets out of the layers.",
        ),
        _Topic(
            "observability",
            "Observability",
            "Observability is knowing why production is slow before your users tell you.",
            "We add structured logging, OpenTelemetry traces and a few well-chosen "
            "metrics to a Django project, then read them during a simulated outage.",
        ),
        _Topic(
            "caching",
            "Caching",
            "Caching is the fastest way to make a page quick, and the fastest way to "
            "show a user someone else's data.",
            "We cover the per-view cache, template fragment caching, cache keys that "
            "vary correctly and invalidation that survives a deploy.",
        ),
        _Topic(
            "ASGI",
            "ASGI",
            "ASGI lets Django serve long-lived connections and async views alongside "
            "the ordinary request cycle.",
            "We compare server setups, find where sync_to_async hides a thread pool and "
            "measure what async actually buys you.",
        ),
        _Topic(
            "upgrading Django",
            "Upgrading Django",
            "Upgrading Django every eight months is far cheaper than upgrading every four years.",
            "We turn deprecation warnings into errors and use django-upgrade and a tox "
            "matrix to move a large project from one LTS to the next.",
        ),
    ),
    Talk.Track.COMMUNITY: (
        _Topic(
            "open source maintenance",
            "Open source maintenance",
            "Maintaining a popular package is mostly triage, documentation and saying no politely.",
            "We share how a small team handles issues, releases and burnout, and how "
            "users can help without writing any code.",
        ),
        _Topic(
            "mentoring",
            "Mentoring",
            "Mentoring turns a team's experience into something that outlasts any one "
            "person on it.",
            "We look at pairing, code review as teaching and the programmes that bring "
            "new contributors to Django every year.",
        ),
        _Topic(
            "contributing to Django",
            "Contributing to Django",
            "Contributing to Django itself is less intimidating than it looks, and the "
            "Fellows are there to help.",
            "We go from a Trac ticket to a merged pull request, including tests, "
            "release notes and the review loop.",
        ),
        _Topic(
            "documentation",
            "Documentation",
            "Django's documentation is one of the reasons people choose it, and your "
            "project's documentation can be just as good.",
            "We apply the split into tutorials, how-to guides, reference and "
            "explanation to the documentation of a real project.",
        ),
        _Topic(
            "running a meetup",
            "Running a meetup",
            "A local meetup is the cheapest way to grow a Python community, and the "
            "easiest one to let fade away.",
            "We cover finding venues and speakers, keeping the schedule sustainable and "
            "making newcomers feel welcome at their first event.",
        ),
        _Topic(
            "inclusive communities",
            "Inclusive communities",
            "Inclusive communities do not happen by accident: they are built from codes "
            "of conduct that are enforced and events planned with everyone in mind.",
            "We share what worked for conference organisers: financial aid, live "
            "captioning, quiet rooms and clear reporting paths.",
        ),
        _Topic(
            "career growth",
            "Career growth",
            "Career growth for developers is rarely a ladder; more often it is a series "
            "of well-chosen side quests.",
            "We talk about moving between individual contributor and lead roles, "
            "writing in public and learning from the people who review your code.",
        ),
    ),
}

_ANGLES: tuple[_Angle, ...] = (
    _Angle(
        "Getting started with {name}",
        Talk.Level.BEGINNER,
        "We start from an empty project and add {name} one small, working step at a time.",
    ),
    _Angle(
        "A field guide to {name}",
        Talk.Level.BEGINNER,
        "Think of it as a map: the landmarks worth visiting, the swamps to avoid and "
        "the shortcuts the locals use.",
    ),
    _Angle(
        "{heading}, the boring way",
        Talk.Level.BEGINNER,
        "Boring technology is a feature, so we pick the plain, well-documented option "
        "every time and explain why.",
    ),
    _Angle(
        "{heading} in practice",
        Talk.Level.INTERMEDIATE,
        "This talk is about {name} as it looks in a real codebase, not in a tutorial.",
    ),
    _Angle(
        "What nobody tells you about {name}",
        Talk.Level.INTERMEDIATE,
        "The documentation covers the happy path; this talk covers the afternoons we "
        "lost to everything else.",
    ),
    _Angle(
        "{heading}: lessons from the trenches",
        Talk.Level.INTERMEDIATE,
        "Every lesson here comes from a real project, and most of them from a real mistake.",
    ),
    _Angle(
        "Ten things we got wrong about {name}",
        Talk.Level.INTERMEDIATE,
        "We made each of these mistakes so that you do not have to, and we kept the "
        "commit history to prove it.",
    ),
    _Angle(
        "Beyond the basics of {name}",
        Talk.Level.ADVANCED,
        "Once the basics are second nature the interesting questions start, and that "
        "is where this talk begins.",
    ),
    _Angle(
        "The hidden costs of {name}",
        Talk.Level.ADVANCED,
        "Every choice has a price, and we put numbers on the ones that usually go unmeasured.",
    ),
    _Angle(
        "{heading} at scale",
        Talk.Level.ADVANCED,
        "What works for one team and one server starts to creak at a hundred of each; "
        "we show where, and what to do about it.",
    ),
)

# Workshops are longer and hands-on, so they get their own title and sentence.
_WORKSHOP = _Angle(
    "{heading}: a hands-on workshop",
    Talk.Level.BEGINNER,
    "This is a 90-minute hands-on workshop: bring a laptop with a recent Python and "
    "leave with a working project of your own.",
)
_WORKSHOP_MINUTES = 90

_LEVEL_SENTENCES: dict[str, str] = {
    Talk.Level.BEGINNER: (
        "No prior experience with {name} is needed: if you have written a Django view "
        "and a template, you are ready."
    ),
    Talk.Level.INTERMEDIATE: (
        "You should be comfortable with models, views and templates; we build on them "
        "rather than explain them again."
    ),
    Talk.Level.ADVANCED: (
        "The pace is brisk and assumes you have already met {name} in a real project."
    ),
}

_CLOSINGS: tuple[str, ...] = (
    "You will leave with a checklist you can apply on Monday morning.",
    "All the code is on GitHub, with a tag for every step.",
    "Bring your questions: the last five minutes are reserved for them.",
    "Slides, links and a reading list will be online before the talk ends.",
)

_FIRST_NAMES: tuple[str, ...] = (
    "Amara", "Björn", "Chidi", "Dagny", "Elif", "Farid", "Greta", "Hiro",
    "Inès", "Jonas", "Kavya", "Luca", "Mei", "Nadia", "Oskar", "Priya",
    "Quentin", "Rosa", "Sipho", "Tariq", "Uma", "Viktor", "Wen", "Ximena",
    "Yusuf", "Zoë", "Aiko", "Bruno", "Camille", "Dmitri", "Esi", "Felix",
    "Hanna", "Ibrahim", "Jules", "Kofi", "Lena", "Mateo",
)  # fmt: skip

_LAST_NAMES: tuple[str, ...] = (
    "Okafor", "Lindqvist", "Nakamura", "Haddad", "Moreau", "Kowalski", "Fernández",
    "Brennan", "Achterberg", "Mensah", "Iyer", "Rossi", "Chen", "Novak", "Petrov",
    "Abernathy", "Duarte", "Yilmaz", "van den Berg", "Osei", "Kapoor", "Lund",
    "Tanaka", "Ramírez", "Whitfield", "Nguyen", "Castellanos", "Eriksen", "Baptiste",
    "Horvat", "Adeyemi", "Marchetti", "Okonkwo", "Lefèvre", "Park", "Quispe",
    "Schulz", "Delacroix",
)  # fmt: skip

# An empty company stands for an independent speaker.
_COMPANIES: tuple[str, ...] = (
    "Pony Express Analytics",
    "Tidewater Health",
    "Northwind Civic Tech",
    "Lighthouse Learning",
    "Copperleaf Payments",
    "Riverbank Public Radio",
    "Fjord Logistics",
    "Kestrel Security",
    "Bramble Studio",
    "Open Field Data",
    "",
    "",
)

_ROLES: tuple[str, ...] = (
    "a backend developer",
    "a staff engineer",
    "a site reliability engineer",
    "a developer advocate",
    "an engineering manager",
    "a full-stack developer",
    "a security engineer",
    "a data engineer",
)

_INTERESTS: tuple[str, ...] = (
    "They have written Django since the 1.x days and still enjoy reading the release notes.",
    "Away from the keyboard they bake bread and organise the local Python meetup.",
    "They care about accessible, fast pages and about tests that fail for a good reason.",
    "They maintain two small open source packages and review far more pull requests "
    "than they open.",
    "Their favourite bug so far was a time zone issue that only happened on leap days.",
    "They mentor new contributors and believe good error messages are documentation.",
    "They moved a monolith to Django 6 last year and lived to tell the tale.",
    "When not debugging query plans, they are usually out on a bicycle.",
)

_ADA = SpeakerSeed(
    name="Ada Lovelace",
    slug="ada-lovelace",
    company="Analytical Engines Ltd",
    bio=(
        "Ada works on the analytical side of Django: query plans, lazy evaluation and "
        "the occasional poem about QuerySets. She believes every programme deserves "
        "notes longer than its code."
    ),
)

_GRACE = SpeakerSeed(
    name="Grace Hopper",
    slug="grace-hopper",
    company="Compiler Works",
    bio=(
        "Grace builds developer tooling and teaches teams to ship small changes often. "
        "She keeps a length of wire on her desk to explain what a nanosecond costs."
    ),
)


def _hand_written_talk(
    speaker: SpeakerSeed,
    title: str,
    abstract: str,
    track: str,
    level: str,
    status: str,
    duration: int,
) -> TalkSeed:
    return TalkSeed(title, slugify(title), speaker.slug, abstract, track, level, status, duration)


# The demo speakers own fixed talks, so the CRUD demo always shows the same mix:
# accepted talks to look at and submitted ones to edit.
_DEMO_TALKS: tuple[TalkSeed, ...] = (
    _hand_written_talk(
        _ADA,
        "Notes on the analytical engine behind QuerySet",
        "A QuerySet is a description of a computation, not its result. We follow one "
        "from filter() to the SQL compiler and back, and see exactly when Django talks "
        "to the database. Along the way we meet the query cache, iterator() and the "
        "surprising cost of len(). You will leave able to predict the queries a view "
        "runs before you open the debug toolbar.",
        Talk.Track.DATA,
        Talk.Level.ADVANCED,
        Talk.Status.ACCEPTED,
        45,
    ),
    _hand_written_talk(
        _ADA,
        "Poetical science: teaching Django to first-time programmers",
        "Teaching Django to people who have never programmed is a lesson in humility "
        "for the teacher. We share a six-week curriculum that starts with templates, "
        "reaches models by week three and ends with a deployed project. We discuss "
        "which concepts land quickly, which ones need a drawing, and which error "
        "messages scare beginners most.",
        Talk.Track.COMMUNITY,
        Talk.Level.BEGINNER,
        Talk.Status.ACCEPTED,
        25,
    ),
    _hand_written_talk(
        _ADA,
        "Loops, laziness and the QuerySet cache",
        "Iterating a QuerySet twice can run one query or two, depending on details "
        "most of us never think about. We look at when results are cached, how slicing "
        "and exists() interact with the cache, and why prefetch_related sometimes "
        "seems to do nothing. Every example comes with the SQL it produces. You will never look at a for loop over a QuerySet quite the same way again.",
        Talk.Track.DATA,
        Talk.Level.INTERMEDIATE,
        Talk.Status.SUBMITTED,
        45,
    ),
    _hand_written_talk(
        _ADA,
        "Punch cards for the web: scheduling background tasks",
        "Background tasks used to mean picking a broker before writing a single job. "
        "With Django's tasks framework we can define work once and choose where it runs "
        "later. We schedule recurring jobs, retry the ones that fail and keep an audit "
        "trail, all with the database as the queue. When the day comes to move to a dedicated broker, only one setting changes.",
        Talk.Track.OPERATIONS,
        Talk.Level.INTERMEDIATE,
        Talk.Status.WAITLISTED,
        25,
    ),
    _hand_written_talk(
        _GRACE,
        "Finding the moth: debugging Django in production",
        "The first computer bug was a real moth, taped into a logbook. Today's bugs hide "
        "in logs, traces and slow queries instead. We follow three real incidents from "
        "the first alert to the fix, and show the tooling that shortened each one. "
        "Bring your own war stories for the questions.",
        Talk.Track.OPERATIONS,
        Talk.Level.INTERMEDIATE,
        Talk.Status.ACCEPTED,
        45,
    ),
    _hand_written_talk(
        _GRACE,
        "Easier to ask forgiveness: shipping small Django changes safely",
        "Large releases are risky because they are large. We show how feature flags, "
        "backwards-compatible migrations and a fast test suite let a team ship many "
        "small changes a day. No prior deployment experience is needed, only a "
        "willingness to merge before everything is perfect. We end with a checklist for "
        "your next pull request.",
        Talk.Track.COMMUNITY,
        Talk.Level.BEGINNER,
        Talk.Status.ACCEPTED,
        25,
    ),
    _hand_written_talk(
        _GRACE,
        "Compilers, templates and the Django template engine",
        "The Django template language is a small compiler: it lexes, parses and renders "
        "a tree of nodes. We read that code together, write a custom block tag and see "
        "how template partials fit into the parser. Expect source code on the slides and "
        "a new respect for the people who maintain it. We finish with a few ideas for making the engine faster.",
        Talk.Track.WEB,
        Talk.Level.ADVANCED,
        Talk.Status.SUBMITTED,
        45,
    ),
    _hand_written_talk(
        _GRACE,
        "A nanosecond is thirty centimetres: measuring view latency",
        "Fast pages start with knowing where the time goes. We measure a slow Django "
        "view from the browser down to the database. Then we fix the three biggest costs "
        "one at a time: a missing index, an N+1 query and a template that does far too "
        "much. The numbers are real and the fixes are boring, which is the point.",
        Talk.Track.WEB,
        Talk.Level.INTERMEDIATE,
        Talk.Status.REJECTED,
        25,
    ),
)


def _speakers(rng: random.Random) -> list[SpeakerSeed]:
    last_names = list(_LAST_NAMES)
    rng.shuffle(last_names)
    speakers = []
    for first, last in zip(_FIRST_NAMES, last_names, strict=True):
        name = f"{first} {last}"
        company = rng.choice(_COMPANIES)
        role = rng.choice(_ROLES)
        where = f"at {company}" if company else "working independently"
        bio = f"{first} is {role} {where}. {rng.choice(_INTERESTS)}"
        speakers.append(SpeakerSeed(name, slugify(name), company, bio))
    return speakers


def _talk_statuses(rng: random.Random, count: int) -> list[str]:
    # A realistic review outcome: most talks accepted or still under review,
    # a few on the waitlist or turned down. Fixed shares, shuffled, so every
    # status is guaranteed to appear.
    accepted = count * 45 // 100
    submitted = count * 35 // 100
    waitlisted = count * 12 // 100
    rejected = count - accepted - submitted - waitlisted
    statuses: list[str] = [
        *[Talk.Status.ACCEPTED] * accepted,
        *[Talk.Status.SUBMITTED] * submitted,
        *[Talk.Status.WAITLISTED] * waitlisted,
        *[Talk.Status.REJECTED] * rejected,
    ]
    rng.shuffle(statuses)
    return statuses


def _generated_talks(
    rng: random.Random, speakers: list[SpeakerSeed], count: int, taken: set[str]
) -> list[TalkSeed]:
    tracks = list(_TOPICS)
    per_track = [count // len(tracks) + (i < count % len(tracks)) for i in range(len(tracks))]
    statuses = _talk_statuses(rng, count)

    # Every speaker gets at least one talk; the rest go to whoever the dice
    # favour, so a few prolific speakers stand out as they do at real events.
    owners = [speaker.slug for speaker in speakers]
    owners += [rng.choice(speakers).slug for _ in range(count - len(speakers))]
    rng.shuffle(owners)

    talks: list[TalkSeed] = []
    for track, wanted in zip(tracks, per_track, strict=True):
        topics = _TOPICS[track]
        # One workshop per track, then ordinary talks from shuffled
        # (topic, angle) pairs, skipping any title already used.
        pairs = [(_WORKSHOP, rng.choice(topics))]
        regular = [(angle, topic) for topic in topics for angle in _ANGLES]
        rng.shuffle(regular)
        pairs += regular
        made = 0
        for angle, topic in pairs:
            if made == wanted:
                break
            fields = {"name": topic.name, "heading": topic.heading}
            title = angle.title.format(**fields)
            slug = slugify(title)
            if slug in taken:
                continue
            taken.add(slug)
            level = angle.level
            if angle is _WORKSHOP:
                duration = _WORKSHOP_MINUTES
            elif level == Talk.Level.BEGINNER:
                duration = 25
            elif level == Talk.Level.ADVANCED:
                duration = 45
            else:
                duration = rng.choice((25, 45))
            abstract = " ".join(
                (
                    topic.pitch,
                    angle.sentence.format(**fields),
                    topic.detail,
                    _LEVEL_SENTENCES[level].format(**fields),
                    rng.choice(_CLOSINGS),
                )
            )
            index = len(talks)
            talks.append(
                TalkSeed(
                    title,
                    slug,
                    owners[index],
                    abstract,
                    track,
                    level,
                    statuses[index],
                    duration,
                )
            )
            made += 1
    return talks


@functools.cache
def catalogue() -> tuple[tuple[SpeakerSeed, ...], tuple[TalkSeed, ...]]:
    """Return the seeded speakers and talks, identical on every call and run."""
    rng = random.Random(_SEED)
    speakers = [_ADA, _GRACE, *_speakers(rng)]
    taken = {talk.slug for talk in _DEMO_TALKS}
    generated = _generated_talks(rng, speakers[2:], TALK_COUNT - len(_DEMO_TALKS), taken)
    talks = [*_DEMO_TALKS, *generated]
    # Cheap guards against an edit to the word lists silently breaking the
    # numbers the docs and the output promise.
    assert len(speakers) == SPEAKER_COUNT, len(speakers)
    assert len({speaker.slug for speaker in speakers}) == SPEAKER_COUNT
    assert len(talks) == TALK_COUNT, len(talks)
    return tuple(speakers), tuple(talks)


def benchmark_slug(number: int) -> str:
    """Return the slug of the benchmark talk with this 1-based number."""
    return f"{BENCHMARK_SLUG_PREFIX}{number:05d}"


def _plural(count: int, singular: str, plural: str) -> str:
    return f"{count} {singular if count == 1 else plural}"


class Command(BaseCommand):
    help = (
        "Seed the conference with demo speakers, talks and users (staff, ada, grace). "
        "Safe to run repeatedly: only missing rows are created."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--extra-talks",
            type=int,
            default=None,
            metavar="N",
            help=(
                "Also make exactly N benchmark talks exist (benchmark-talk-00001 "
                "onwards), creating missing ones and deleting any beyond N."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        extra_talks: int | None = options["extra_talks"]
        # call_command(extra_talks=-1) bypasses argparse, so check here.
        if extra_talks is not None and extra_talks < 0:
            raise CommandError(f"--extra-talks must be 0 or more, not {extra_talks}.")
        verbosity: int = options["verbosity"]
        bench_created = bench_removed = 0

        # One transaction: an error anywhere leaves the database as it was.
        with transaction.atomic():
            speakers_created, talks_created = self._seed_conference()
            users_created, left_alone = self._seed_users()
            if extra_talks is not None:
                bench_created, bench_removed = self._seed_benchmark(extra_talks)

        if verbosity < 1:
            return
        summary = "Created {}, {}, {}".format(
            _plural(speakers_created, "speaker", "speakers"),
            _plural(talks_created, "talk", "talks"),
            _plural(users_created, "user", "users"),
        )
        if speakers_created == talks_created == users_created == 0:
            summary += " (already seeded)"
        self.stdout.write(self.style.SUCCESS(summary + "."))
        for demo in left_alone:
            line = (
                f"User {demo.username!r} already exists and demos_seed did not create it: "
                "left as it is"
            )
            if demo.speaker_name is not None:
                line += f" (not linked to speaker {demo.speaker_name})"
            self.stdout.write(self.style.WARNING(line + "."))
        if users_created and not settings.DEBUG:
            self.stdout.write(
                self.style.WARNING(
                    "DEBUG is off, so the demo users have no password: "
                    "set one with 'manage.py changepassword <username>'."
                )
            )
        if extra_talks is not None:
            line = "Created " + _plural(bench_created, "benchmark talk", "benchmark talks")
            if bench_removed:
                line += f", removed {bench_removed}"
            self.stdout.write(self.style.SUCCESS(f"{line} ({extra_talks} in total)."))

    def _seed_conference(self) -> tuple[int, int]:
        speaker_seeds, talk_seeds = catalogue()

        existing = set(
            Speaker.objects.filter(slug__in=[s.slug for s in speaker_seeds]).values_list(
                "slug", flat=True
            )
        )
        new_speakers = [
            Speaker(name=s.name, slug=s.slug, company=s.company, bio=s.bio)
            for s in speaker_seeds
            if s.slug not in existing
        ]
        Speaker.objects.bulk_create(new_speakers, batch_size=_BATCH_SIZE)

        existing = set(
            Talk.objects.filter(slug__in=[t.slug for t in talk_seeds]).values_list(
                "slug", flat=True
            )
        )
        missing = [t for t in talk_seeds if t.slug not in existing]
        # Re-read the speakers rather than trusting bulk_create's primary keys,
        # and skip talks whose speaker someone has deleted since: recreating
        # the speaker on the next run brings the talk back too.
        by_slug = Speaker.objects.in_bulk({t.speaker_slug for t in missing}, field_name="slug")
        new_talks = [
            Talk(
                title=t.title,
                slug=t.slug,
                speaker=by_slug[t.speaker_slug],
                abstract=t.abstract,
                track=t.track,
                level=t.level,
                status=t.status,
                duration=t.duration,
            )
            for t in missing
            if t.speaker_slug in by_slug
        ]
        Talk.objects.bulk_create(new_talks, batch_size=_BATCH_SIZE)
        return len(new_speakers), len(new_talks)

    def _seed_users(self) -> tuple[int, list[DemoUser]]:
        """Create the demo users whose usernames are free; update only those.

        Return how many were created, and the demo users left alone because a
        user the command did not create already has the name.
        """
        user_model = get_user_model()
        manager = user_model._default_manager
        field = user_model.USERNAME_FIELD
        existing = {
            getattr(user, field): user
            for user in manager.filter(**{f"{field}__in": [d.username for d in DEMO_USERS]})
        }
        ours = set(
            SeededUser.objects.filter(user__in=list(existing.values())).values_list(
                "user_id", flat=True
            )
        )
        created = 0
        left_alone: list[DemoUser] = []
        for demo in DEMO_USERS:
            user = existing.get(demo.username)
            if user is None:
                user = user_model(**{field: demo.username}, email=f"{demo.username}@example.com")
                user.is_staff = demo.is_staff
                user.is_superuser = demo.is_staff
                if settings.DEBUG:
                    user.set_password(demo.password)
                else:
                    # A public password on a deployed site would be an open door.
                    user.set_unusable_password()
                user.save()
                SeededUser.objects.create(user=user)
                created += 1
            elif user.pk not in ours:
                # The host project's user: linking it to a seeded speaker would
                # send that speaker's mail (acceptances...) to a real inbox.
                left_alone.append(demo)
                continue
            if demo.speaker_name is None:
                continue
            speaker = Speaker.objects.filter(slug=slugify(demo.speaker_name)).first()
            # Link only a free speaker to a user without one, so a re-run never
            # steals a speaker an admin reassigned.
            if (
                speaker is not None
                and speaker.user_id is None
                and not Speaker.objects.filter(user=user).exists()
            ):
                speaker.user = user
                speaker.save(update_fields=["user"])
        return created, left_alone

    def _seed_benchmark(self, target: int) -> tuple[int, int]:
        existing = dict(
            Talk.objects.filter(slug__startswith=BENCHMARK_SLUG_PREFIX).values_list("slug", "pk")
        )
        wanted = [benchmark_slug(number) for number in range(1, target + 1)]
        wanted_set = set(wanted)

        surplus = [pk for slug, pk in existing.items() if slug not in wanted_set]
        # Delete in chunks to stay under the database's query parameter limit.
        for start in range(0, len(surplus), _BATCH_SIZE):
            Talk.objects.filter(pk__in=surplus[start : start + _BATCH_SIZE]).delete()

        missing = [
            (number, slug) for number, slug in enumerate(wanted, start=1) if slug not in existing
        ]
        if not missing:
            return 0, len(surplus)
        # The seeded catalogue supplies realistic text and an even spread over
        # tracks, levels and statuses; speakers are taken round-robin.
        _, talk_seeds = catalogue()
        speakers = list(Speaker.objects.order_by("pk"))
        if not speakers:
            raise CommandError("Benchmark talks need at least one speaker.")
        new_talks = []
        for number, slug in missing:
            seed = talk_seeds[(number - 1) % len(talk_seeds)]
            new_talks.append(
                Talk(
                    title=f"{seed.title} (benchmark #{number:05d})",
                    slug=slug,
                    speaker=speakers[(number - 1) % len(speakers)],
                    abstract=seed.abstract,
                    track=seed.track,
                    level=seed.level,
                    status=seed.status,
                    duration=seed.duration,
                )
            )
        Talk.objects.bulk_create(new_talks, batch_size=_BATCH_SIZE)
        return len(new_talks), len(surplus)
