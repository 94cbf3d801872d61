"""Which story a new article joins: an existing one it tells the same event as, among the
stories with an article published within 48 hours of it, or a new one.

Candidates come from an index, not a scan: each of a story's first `KEYED_ARTICLES` articles
puts its rarest title words and names (`Profile.index_keys`) into `story_keys` with its
publication time; a new article looks its
own keys up in its time window, and the stories sharing the most keys (at most `CANDIDATES`)
are compared with `summarizer.stories.similarity` against their representative, the story's
first article, whose profile the story stores (`stories.profile`; a story from before
migration 0009 is compared by its representative's lemmas). The best one from the threshold
up is joined. An article never moves afterwards.
"""

from __future__ import annotations

import sys
from collections import Counter, OrderedDict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from weakref import WeakKeyDictionary

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage import stories as stored
from bot.storage.database import Database
from bot.storage.schema import utcnow
from summarizer.stories import THRESHOLD, Profile, profile_from_lemmas, similarity

WINDOW_HOURS = 48
CANDIDATES = 3  # stories compared per article: those sharing the most keys with it ...
MIN_SHARED_KEYS = 2  # ... and at least this many (17 of the 19 same-event dev pairs above the
# threshold share two or more; one shares one key, one none: the price of an index)
KEYED_ARTICLES = 8  # a story's first articles file index keys, later ones none: a story (a
# feed's 49 items of word salad, a big event) is found by a bounded number of keys, and the
# lookup reads a bounded number of rows per key
CACHED_PROFILES = 500  # representatives' profiles kept between batches (about 15 KB each)


@dataclass(frozen=True, slots=True)
class Member:
    """A new article as story assignment sees it."""

    profile: Profile
    at: datetime  # publication time (ingest time when unknown or in the future)
    keys: tuple[str, ...]
    hour: int  # of `at`, for the index


def member(found: Profile, published: datetime | None) -> Member:
    """The article of profile `found` published at `published` (None: unknown)."""
    now = utcnow()
    at = min(published, now) if published else now
    return Member(found, at, tuple(found.index_keys()), stored.hour(at))


class ProfileCache:
    """Profiles of one database's story representatives by story id, the most recently used
    kept: a new story's profile is added when it is stored, so an ingesting process rarely
    reads one."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.items: OrderedDict[int, Profile] = OrderedDict()

    def get(self, story_id: int) -> Profile | None:
        found = self.items.get(story_id)
        if found is not None:
            self.items.move_to_end(story_id)
        return found

    def put(self, story_id: int, found: Profile) -> None:
        self.items[story_id] = found
        self.items.move_to_end(story_id)
        while len(self.items) > self.size:
            self.items.popitem(last=False)


_caches: WeakKeyDictionary[Database, ProfileCache] = WeakKeyDictionary()


def profile_cache(db: Database) -> ProfileCache:
    """The profile cache of `db` (story ids mean something in one database only)."""
    if db not in _caches:
        _caches[db] = ProfileCache(CACHED_PROFILES)
    return _caches[db]


@dataclass(slots=True)
class StoryIndex:
    """The stories a batch of new articles may join, and those the batch starts: story refs
    are story ids, or -(n + 1) for the story started by the batch's n-th new article."""

    # The n-th new article -> the archive's stories sharing keys with it -> how many.
    found: dict[int, dict[int, int]] = field(default_factory=dict)
    # The batch's own stories: key -> (hour, story ref) of each article filed under it.
    by_key: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    profiles: dict[int, Profile] = field(default_factory=dict)
    sizes: dict[int, int] = field(default_factory=dict)  # articles of each candidate story
    keyless: set[int] = field(default_factory=set)  # new articles that file no keys

    @classmethod
    async def load(
        cls, conn: AsyncConnection, members: Sequence[Member], cache: ProfileCache
    ) -> StoryIndex:
        """The archive's stories that share keys with each new article within its time
        window, and the profiles of those it will compare (from `cache` when it has them)."""
        index = cls()
        wanted = [
            (position, key, item.hour - WINDOW_HOURS, item.hour + WINDOW_HOURS)
            for position, item in enumerate(members)
            for key in item.keys
        ]
        found = await stored.shared_keys(conn, wanted, min_shared=MIN_SHARED_KEYS, most=CANDIDATES)
        for position, story_id, shared in found:
            index.found.setdefault(position, {})[story_id] = shared
        candidates = {
            ref
            for position, item in enumerate(members)
            for ref in index._candidates(position, item)
        }
        await index._load_profiles(conn, candidates, cache)
        index.sizes = await stored.story_sizes(conn, candidates)
        return index

    async def _load_profiles(
        self, conn: AsyncConnection, story_ids: set[int], cache: ProfileCache
    ) -> None:
        missing = []
        for story_id in story_ids:
            found = cache.get(story_id)
            if found is None:
                missing.append(story_id)
            else:
                self.profiles[story_id] = found
        for story_id, representative in (await stored.representatives(conn, missing)).items():
            self.profiles[story_id] = _profile_of(representative)
            cache.put(story_id, self.profiles[story_id])

    def _candidates(self, position: int, item: Member) -> list[int]:
        shared: Counter[int] = Counter(self.found.get(position, {}))
        for key in item.keys:
            shared.update(
                {
                    ref
                    for hour, ref in self.by_key.get(key, ())
                    if abs(hour - item.hour) <= WINDOW_HOURS
                }
            )
        return [ref for ref, count in shared.most_common(CANDIDATES) if count >= MIN_SHARED_KEYS]

    def choose(self, position: int, item: Member) -> int | None:
        """The story the `position`-th new article tells, or None for a new one."""
        best, best_score = None, THRESHOLD
        for ref in self._candidates(position, item):
            representative = self.profiles.get(ref)
            if representative is None:
                continue
            score = similarity(item.profile, representative)
            if score >= best_score:
                best, best_score = ref, score
        return best

    def assign(self, members: Sequence[Member]) -> list[int]:
        """The story ref of each new article in turn (later ones may join earlier ones)."""
        refs = []
        for position, item in enumerate(members):
            ref = self.choose(position, item)
            if ref is None:
                ref = -(position + 1)
                self.profiles[ref] = item.profile
            self.sizes[ref] = self.sizes.get(ref, 0) + 1
            if self.sizes[ref] > KEYED_ARTICLES:
                self.keyless.add(position)
            else:
                for key in item.keys:
                    self.by_key.setdefault(key, []).append((item.hour, ref))
            refs.append(ref)
        return refs


def _profile_of(found: stored.Representative) -> Profile:
    if found.profile is not None:
        return Profile.decode(found.profile)
    return profile_from_lemmas(found.title_lemmas.split(), found.text_lemmas.split())


def resolved(ref: int, ids: Sequence[int]) -> int:
    """A batch's reference as an id once its new articles are stored (`ids`, in order): an id
    already, or -(n + 1) for the batch's n-th new article."""
    return ids[-ref - 1] if ref < 0 else ref


def joined(
    ids: Sequence[int],
    members: Sequence[Member],
    refs: Sequence[int],
    keyless: Collection[int] = (),
) -> list[stored.Joined]:
    """What `stored.record` writes once the new articles have their ids (a story's first
    article brings its profile, encoded; the articles at the positions in `keyless`, a big
    story's later ones, bring no index keys)."""
    records = []
    for position, (article_id, item, ref) in enumerate(zip(ids, members, refs, strict=True)):
        story_id = resolved(ref, ids)
        profile = item.profile.encode() if story_id == article_id else None
        keys = () if position in keyless else item.keys
        records.append(stored.Joined(article_id, story_id, item.at, keys, profile))
    return records


def remember(
    cache: ProfileCache, records: Sequence[stored.Joined], members: Sequence[Member]
) -> None:
    """After the commit: keep the profiles of the stories the batch started."""
    for record, item in zip(records, members, strict=True):
        if record.starts_story:
            cache.put(record.story_id, item.profile)


UPGRADE_CHUNK = 500


async def assign_unassigned(db: Database, *, progress: bool = False) -> int:
    """Give a story to every article stored without one (an archive from before stories), in
    ingest order, chunk by chunk; how many were assigned. With `progress`, a bar on stderr."""
    from tqdm import tqdm

    async with db.read() as conn:
        total = await stored.count_unassigned(conn)
    if not total:
        return 0
    done = 0
    cache = profile_cache(db)
    with tqdm(total=total, unit="article", disable=not progress, file=sys.stderr) as bar:
        while True:
            async with db.transaction() as conn:
                chunk = await stored.unassigned(conn, limit=UPGRADE_CHUNK)
                if not chunk:
                    break
                members = [
                    member(
                        profile_from_lemmas(row.title_lemmas.split(), row.text_lemmas.split()),
                        row.at,
                    )
                    for row in chunk
                ]
                index = await StoryIndex.load(conn, members, cache)
                refs = index.assign(members)
                records = joined([row.id for row in chunk], members, refs, index.keyless)
                await stored.record(conn, records)
            remember(cache, records, members)
            done += len(chunk)
            bar.update(len(chunk))
    return done
