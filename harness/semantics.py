"""The typed model of a profile's semantics: one frozen class per rule, built once.

A profile's `semantics` block is validated against the meta-schema and merged with its
parents, then read here into `Semantics`, which every other module reads: the mock, the
checks, the suites and the reports never look a rule's parameter up in the raw mapping, and
the facts derived from a rule (where the secret comes from, the delay before attempt n, which
answers end a subscription) are worked out in one place. The raw mapping stays on the
profile for `specs show` and round-tripping.

Names follow the profile format (specs/README.md); a parameter a kind does not use is None.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Literal

from harness.challenges import Answer, ChallengeRequest, judge, values_for
from harness.signatures import Scheme, SignatureError

Documented = bool | Literal["partial"]
ROLES = ("create", "list", "get", "update", "delete", "deliveries", "delivery", "sample")
RECORD_ROLES = ("create", "list", "get", "update", "delete")  # the subscription records
COLLECTION_ROLES = ("create", "list")  # their paths name no subscription
ITEM_ROLES = ("get", "update", "delete")  # their paths may name one by its id
PARTS = ("id", "event", "target_url", "active", "secret")

# The parameter that picks each rule's kind. A derived profile that changes it takes none of
# the parent's rule (its parameters, source, notes): the child writes the whole rule.
KIND_KEYS: dict[str, str] = {
    "subscription": "management",
    "authenticity": "kind",
    "handshake": "kind",
    "envelope": "kind",
    "retry": "enabled",
    "gone": "action",
    "timeout": "kind",
    "redirects": "kind",
    "fire_and_forget": "enabled",
}
# What a kind parameter means when a rule leaves it out.
IMPLIED_KINDS: dict[str, Any] = {"timeout": "seconds"}
# Rules a profile may leave out, and what they are then: the generic webhook default.
STANDARD_WEBHOOKS = "https://www.standardwebhooks.com/"
DEFAULT_RULES: dict[str, dict[str, Any]] = {
    "redirects": {
        "kind": "none",
        "documented": False,
        "source": STANDARD_WEBHOOKS,
        "note": "Standard Webhooks: a 3xx answer is a failed attempt; redirects are not followed.",
    },
}


# The parameters each kind uses, besides its kind parameter and source, documented, note; a
# resolved profile that sets another is refused, since nothing would read it.
_RECORDS = ("model", "key", "on_duplicate", "duplicate_status", "events_per_subscription")
KIND_PARAMETERS: dict[str, dict[Any, tuple[str, ...]]] = {
    "subscription": {
        "settings-screen": _RECORDS,
        "api": (
            *_RECORDS,
            "operations",
            "fields",
            "request_fields",
            "path_parameters",
            "id_parameter",
            "string_ids",
            "vocabulary",
        ),
    },
    "authenticity": {
        "none": (),
        "challenge-header": ("header", "value_from", "optional"),
        "body-token": ("pointer", "value_from", "optional"),
        "hmac-signature": ("header", "algorithm", "encoding", "value_from", "optional"),
        "signature": (
            "header",
            "algorithm",
            "encoding",
            "value_from",
            "optional",
            "signed",
            "header_format",
            "signature_format",
            "separator",
            "key",
            "timestamp",
            "id",
        ),
        "subscriber-headers": ("header", "value_from", "optional"),
    },
    "handshake": {
        "none": (),
        "hook-secret-echo": ("header", "accept_statuses", "without_echo"),
        "secret-confirmation": (
            "secret_in",
            "query_param",
            "body_pointer",
            "method",
            "revalidate_on",
        ),
        "challenge": ("request", "answers", "hmac", "seconds"),
        "ping-event": ("event", "seconds"),
    },
    "envelope": {
        "resource": ("detail",),
        "array-of-one": ("detail",),
        "wrapped": ("detail", "fields", "time_format"),
    },
    "retry": {
        False: (),
        True: (
            "max_attempts",
            "window_seconds",
            "schedule",
            "retry_on",
            "on_exhaustion",
            "notify_at_retries",
        ),
    },
    "timeout": {"seconds": ("seconds",), "none": ()},
    "redirects": {"none": (), "follow": ("statuses", "to_get", "max_hops")},
}
COMMON_PARAMETERS = ("source", "documented", "note")


def unused_parameters(raw: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(rule, parameter, message) for each parameter of a resolved semantics block that its
    rule's kind does not use."""
    found = []
    for name, by_kind in KIND_PARAMETERS.items():
        rule = raw.get(name)
        if not isinstance(rule, Mapping):
            continue
        kind = kind_of(name, rule)
        used = by_kind.get(kind)
        if used is None:
            continue  # an unknown kind is the meta-schema's to report
        allowed = {*used, *COMMON_PARAMETERS, KIND_KEYS[name]}
        shown = str(kind).lower() if isinstance(kind, bool) else kind
        for parameter in rule:
            if parameter not in allowed:
                message = (
                    f"{name} {KIND_KEYS[name]} {shown} does not use {parameter!r} (it uses "
                    f"{', '.join(used) or 'no parameters'}): remove it"
                )
                found.append((name, parameter, message))
    return found


def kind_of(rule: str, raw: Mapping[str, Any]) -> Any:
    """The value of `rule`'s kind parameter in a raw rule (None: the rule has no kind key)."""
    key = KIND_KEYS.get(rule)
    if key is None:
        return None
    return raw.get(key, IMPLIED_KINDS.get(rule))


def format_source(source: Any) -> str:
    """A rule's `source:` as one line: `doc: "quote"` items joined with `; `."""
    if source is None:
        return ""
    if isinstance(source, list):
        return "; ".join(format_source(item) for item in source)
    if isinstance(source, dict):
        quote = source.get("quote")
        return f'{source.get("doc", "")}: "{quote}"' if quote else str(source.get("doc", ""))
    return str(source)


def source_documents(source: Any) -> list[str]:
    """The documents a `source:` names, each once, in order."""
    items = source if isinstance(source, list) else [source] if source is not None else []
    docs = (item if isinstance(item, str) else item["doc"] for item in items)
    return list(dict.fromkeys(docs))


@dataclass(frozen=True, kw_only=True)
class Rule:
    """What every rule carries: where it comes from and how well the provider documents it."""

    source: Any = None
    documented: Documented = True
    note: str = ""

    @property
    def undocumented(self) -> bool:
        """The provider says nothing: the value is the generic webhook default."""
        return self.documented is False

    @property
    def cited(self) -> str:
        """The source in one line, quotes included."""
        return format_source(self.source)

    @property
    def documents(self) -> list[str]:
        return source_documents(self.source)


@dataclass(frozen=True)
class Parts:
    """Which API field holds each part of a subscription (None: the API has no such field)."""

    id: str | None = None
    event: str | None = None
    target_url: str | None = None
    active: str | None = None
    secret: str | None = None

    def get(self, part: str) -> str | None:
        return getattr(self, part) if part in PARTS else None

    def names(self) -> dict[str, str]:
        """part -> field name, for the parts the API has."""
        return {p: getattr(self, p) for p in PARTS if getattr(self, p) is not None}


@dataclass(frozen=True)
class ListWords:
    """How a list answer and its query are named: the array's field (None: the answer is the
    array), the paging object's field and its fields, the paging query parameters."""

    items: str | None = None
    paging: str | None = None
    page: Mapping[str, str] = field(default_factory=dict)  # total, limit, has_next, ...
    query: Mapping[str, str] = field(default_factory=dict)  # limit, after, before

    @property
    def paging_parameters(self) -> frozenset[str]:
        return frozenset(self.query.values())


@dataclass(frozen=True)
class LogWords:
    """How the delivery log is named: its paging parameters, a record's fields and the
    values of its state field."""

    query: Mapping[str, str] = field(default_factory=dict)  # page, size
    record: Mapping[str, str] = field(default_factory=dict)  # id, event, url, attempts, ...
    states: Mapping[str, str] = field(default_factory=dict)  # queued, processing, ...


@dataclass(frozen=True)
class Vocabulary:
    """The provider's names for what the mock shapes: lists and paging, references to an
    object, the delivery log, and the counters a subscription object shows."""

    list: ListWords = field(default_factory=ListWords)
    reference: Mapping[str, str] = field(default_factory=dict)  # id, name, url
    log: LogWords = field(default_factory=LogWords)
    counters: Mapping[str, str] = field(default_factory=dict)  # deliveries, last_delivery, created


@dataclass(frozen=True, kw_only=True)
class SubscriptionRule(Rule):
    """How subscriptions are made and what makes two of them the same."""

    management: str
    model: str
    events_per_subscription: str
    key: tuple[str, ...] = ()
    on_duplicate: str = "overwrite"
    duplicate_status: int = 422
    operations: Mapping[str, str] = field(default_factory=dict)  # role -> operationId
    fields: Parts = field(default_factory=Parts)
    request_fields: Parts = field(default_factory=Parts)  # where a body names a part otherwise
    path_parameters: Mapping[str, Any] = field(default_factory=dict)
    id_parameter: str | None = None  # as written; Profile.id_parameter derives it otherwise
    # The API's ids are strings of digits where a path parameter has one of these values
    # (e.g. the newer API versions), integers elsewhere: parameter -> values.
    string_ids: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    vocabulary: Vocabulary = field(default_factory=Vocabulary)

    @property
    def managed_by_api(self) -> bool:
        return self.management == "api"

    @property
    def overwrites(self) -> bool:
        """One subscription per key: a new one replaces (or is refused, see `rejects`)."""
        return self.model == "overwrite-per-type"

    @property
    def rejects_duplicates(self) -> bool:
        return self.overwrites and self.on_duplicate == "reject"

    @property
    def returns_existing(self) -> bool:
        """A create for an existing key answers the existing subscription (get-or-create)."""
        return self.overwrites and self.on_duplicate == "existing"

    @property
    def one_event(self) -> bool:
        return self.events_per_subscription == "one"

    def id_form(self, scope: Mapping[str, Any], ident: Any) -> Any:
        """`ident` as the API shows it on the paths `scope` names (path parameter values): a
        string where `string_ids` says so, else as it is."""
        for parameter, values in self.string_ids.items():
            if str(scope.get(parameter)) in values:
                return str(ident)
        return ident

    def request_field(self, part: str) -> str | None:
        """The name a create or update body gives `part`."""
        return self.request_fields.get(part) or self.fields.get(part)

    @property
    def identity(self) -> tuple[str, ...]:
        """The object fields that make two subscriptions "the same" (the event by default)."""
        return self.key or ((self.fields.event,) if self.fields.event else ("event",))


@dataclass(frozen=True, kw_only=True)
class AuthenticityRule(Rule):
    """How a receiver tells a real delivery from a forged one."""

    kind: str
    header: str | None = None
    pointer: str | None = None
    subscription_field: str | None = None  # value_from: set on each subscription ...
    account_setting: str | None = None  # ... or an account-wide setting
    algorithm: str | None = None
    encoding: str | None = None
    optional: bool = False
    scheme: Scheme | None = None  # hmac-signature and signature: how it signs

    @property
    def none(self) -> bool:
        return self.kind == "none"

    @property
    def signs(self) -> bool:
        """The proof is an HMAC signature (`scheme` says how)."""
        return self.scheme is not None

    def secret_problem(self, secret: str) -> str | None:
        """Why `secret` cannot sign deliveries of this kind (None: it can, or nothing signs)."""
        if self.scheme is None:
            return None
        try:
            self.scheme.key(secret)
        except SignatureError as exc:
            return str(exc)
        return None

    @property
    def bounds_age(self) -> bool:
        """The signature covers a timestamp that may be at most `tolerance` s old."""
        return (
            self.scheme is not None
            and self.scheme.timestamped
            and self.scheme.tolerance is not None
        )

    @property
    def bounds_future(self) -> bool:
        """... and at most `future_tolerance` s ahead of the receiver's clock."""
        return (
            self.bounds_age and self.scheme is not None and self.scheme.future_tolerance is not None
        )

    @property
    def rotates(self) -> bool:
        """Several signatures may travel at once (secret rotation)."""
        return self.scheme is not None and self.scheme.rotates

    @property
    def own_headers(self) -> frozenset[str]:
        """The headers the kind sets itself (lower case): the proof's, and a signature's
        timestamp and id headers."""
        names = {self.header, *(self.scheme.own_headers if self.scheme else ())}
        return frozenset(n.lower() for n in names if n)

    @property
    def per_subscription(self) -> bool:
        """The secret is set on each subscription (not account-wide)."""
        return self.subscription_field is not None

    @property
    def header_map(self) -> bool:
        """The subscription field is a map of headers the sender adds to every delivery; the
        secret travels as the value of `header` in it (subscriber-headers)."""
        return self.kind == "subscriber-headers"

    @property
    def secret_in_header(self) -> bool:
        """The secret itself is the value of `header` (a challenge, or a subscriber header)."""
        return self.kind in ("challenge-header", "subscriber-headers")

    def subscription_value(self, secret: str) -> Any:
        """What the subscription field is set to so that deliveries carry `secret`."""
        return {self.header or "": secret} if self.header_map else secret

    @property
    def secret_required(self) -> bool:
        """A receiver cannot be checked without the secret."""
        return not self.none and not self.optional

    @property
    def where(self) -> str:
        """Where the proof travels, in words: a header or a body pointer."""
        return self.header or self.pointer or ""


TOKEN_SETTING = "verification_token"  # the account setting a challenge's {token} comes from


@dataclass(frozen=True, kw_only=True)
class HandshakeRule(Rule):
    """What must happen before a subscription receives events."""

    kind: str
    header: str | None = None
    accept_statuses: tuple[int, ...] = ()
    without_echo: str | None = None
    secret_in: tuple[str, ...] = ()
    query_param: str | None = None
    body_pointer: str | None = None
    method: str = "POST"
    revalidate_on: tuple[str, ...] = ()
    request: ChallengeRequest | None = None  # challenge: what is sent ...
    answers: tuple[Answer, ...] = ()  # ... and the answers that are right (any one)
    hmac_encoding: str = "hex"  # what {hmac} in an answer is: HMAC-SHA256(secret, challenge)
    hmac_prefix: str = ""
    event: str | None = None  # ping-event: the event sent when a subscription is made
    seconds: float | None = None  # the time limit for the answer

    @property
    def echo(self) -> bool:
        return self.kind == "hook-secret-echo"

    @property
    def confirmation(self) -> bool:
        return self.kind == "secret-confirmation"

    @property
    def challenges(self) -> bool:
        """A request the endpoint must answer right before it is saved (`request`, `answers`)."""
        return self.kind == "challenge"

    @property
    def pings(self) -> bool:
        """A ping event is delivered when a subscription is made; any 2xx will do."""
        return self.kind == "ping-event"

    @property
    def token_setting(self) -> str | None:
        """The account setting that holds the verification token a challenge carries
        (`{token}`: Slack's `token`, Meta's `hub.verify_token`), a credential of its own
        beside the signing secret; None when the challenge names none."""
        named = self.request is not None and "token" in self.request.placeholders
        return TOKEN_SETTING if named else None

    def echoed(self, secret: str, status: int | None, headers: Mapping[str, str]) -> bool:
        """Whether an answer to the hook-secret request carrying `secret` is an accepted
        status echoing it."""
        given = {k.lower(): v for k, v in headers.items()}.get((self.header or "").lower())
        return status in self.accept_statuses and given == secret

    def challenge_values(
        self,
        challenge: str,
        secret: str | None,
        *,
        now: float | None = None,
        token: str | None = None,
    ) -> dict[str, str]:
        """What the challenge's templates name, for `challenge`, the secret and, for a
        request being sent, `now` (Unix seconds) and the verification `token`."""
        return values_for(
            challenge,
            secret,
            encoding=self.hmac_encoding,
            prefix=self.hmac_prefix,
            now=now,
            token=token,
        )

    def answer_problems(
        self,
        challenge: str,
        secret: str | None,
        answer: tuple[int | None, Mapping[str, str], bytes],
        *,
        elapsed: float,
        error: str | None = None,
    ) -> list[str]:
        """How `answer` (status, headers, body) to `challenge` is not one of the right
        answers within the time limit ([]: it is); `error`: no answer came."""
        status, headers, body = answer
        values = self.challenge_values(challenge, secret)
        problems = [error] if error else judge(self.answers, values, status, headers, body)
        if self.seconds is not None and elapsed > self.seconds:
            problems.append(f"the answer took {elapsed:.2f} s, more than {self.seconds:g} s")
        return problems


@dataclass(frozen=True, kw_only=True)
class EnvelopeRule(Rule):
    """The shape of a delivered body."""

    kind: str
    detail: str
    event: str | None = None  # pointers to the parts of a wrapped envelope
    data: str | None = None
    changes: str | None = None
    time: str | None = None
    time_format: str = "%Y-%m-%dT%H:%M:%SZ"

    @property
    def parts(self) -> dict[str, str]:
        """part -> pointer, for the parts a wrapped envelope has."""
        found = {"event": self.event, "data": self.data, "changes": self.changes}
        found["time"] = self.time
        return {k: v for k, v in found.items() if v is not None}

    @property
    def data_pointer(self) -> str:
        """Where the resource sits in a body: "" for the whole body."""
        if self.kind == "array-of-one":
            return "/0"
        if self.kind == "wrapped":
            return self.data or ""
        return ""


@dataclass(frozen=True, kw_only=True)
class RetryRule(Rule):
    """What happens after a failed attempt."""

    enabled: bool
    max_attempts: int | None = None
    window_seconds: float | None = None
    schedule: tuple[float, ...] = ()
    retry_on: frozenset[str] = frozenset()
    on_exhaustion: str = "keep"
    notify_at_retries: tuple[int, ...] = ()

    def delay(self, attempt: int) -> float:
        """Seconds from attempt `attempt` (1 = the first) to the next: the schedule's value,
        the last one repeating."""
        if not self.schedule:
            return 0.0
        return self.schedule[min(attempt - 1, len(self.schedule) - 1)]

    def offset(self, attempts: int) -> float:
        """Seconds from the event to the attempt after `attempts` attempts, on the schedule."""
        return sum(self.delay(n) for n in range(1, attempts + 1))

    def delays(self, retries: int) -> list[float]:
        """The gaps before the first `retries` retries."""
        return [self.delay(n) for n in range(1, retries + 1)]

    def retries(self, outcome: str) -> bool:
        """Whether an attempt that came to `outcome` (2xx..5xx, timeout, ...) is retried."""
        return self.enabled and outcome in self.retry_on

    def exhausted(self, attempts: int) -> bool:
        """Whether `attempts` attempts used up the count or the window."""
        if self.max_attempts is not None and attempts >= self.max_attempts:
            return True
        return self.window_seconds is not None and self.offset(attempts) > self.window_seconds

    @property
    def deactivates(self) -> bool:
        return self.on_exhaustion == "deactivate"


@dataclass(frozen=True, kw_only=True)
class GoneRule(Rule):
    """Which answers end a subscription."""

    statuses: frozenset[int] = frozenset()
    action: str = "none"

    def ends(self, status: int | None) -> bool:
        return status in self.statuses and self.action != "none"

    @property
    def applies(self) -> bool:
        return bool(self.statuses) and self.action != "none"


@dataclass(frozen=True, kw_only=True)
class LatencyRule(Rule):
    """How soon after the event the first attempt is made (None: no promise)."""

    max_seconds: float | None = None


@dataclass(frozen=True, kw_only=True)
class TimeoutRule(Rule):
    """How long the provider waits for an answer (kind none: indefinitely)."""

    kind: str = "seconds"
    seconds: float | None = None

    @property
    def none(self) -> bool:
        return self.kind == "none"


@dataclass(frozen=True, kw_only=True)
class RedirectsRule(Rule):
    """Whether the provider follows a 3xx answer to its Location, and how."""

    kind: str = "none"
    statuses: frozenset[int] = frozenset()  # the 3xx statuses it follows
    to_get: frozenset[int] = frozenset()  # after these the next request is a GET, no body
    max_hops: int = 0

    @property
    def follows_any(self) -> bool:
        return self.kind == "follow" and bool(self.statuses)

    def follows(self, status: int | None) -> bool:
        return self.kind == "follow" and status in self.statuses

    def method_after(self, status: int, method: str) -> str:
        """The method of the request that follows a `status` answer to `method`."""
        return "GET" if status in self.to_get else method


@dataclass(frozen=True)
class Limit:
    max: int
    per: str  # account | event-type


@dataclass(frozen=True, kw_only=True)
class QuotasRule(Rule):
    """How many subscriptions an account may have, per plan."""

    limits: Mapping[str, Limit] = field(default_factory=dict)
    default_plan: str | None = None

    def plan(self, chosen: str | None = None) -> str | None:
        """The plan whose limit applies: `chosen`, the default, or the first one."""
        return chosen or self.default_plan or next(iter(self.limits), None)


@dataclass(frozen=True, kw_only=True)
class FireAndForgetRule(Rule):
    """Whether the provider ignores the answer altogether."""

    enabled: bool


@dataclass(frozen=True)
class PayloadVersions:
    """Which subscriptions get which payloads: the subscription field that holds the API
    version, and the document (a file beside the profile) of each version that has its own."""

    field: str
    documents: Mapping[str, tuple[str, ...]]

    def document(self, version: Any) -> str | None:
        """The document of `version`'s payloads; None: the profile's own."""
        return next((d for d, vs in self.documents.items() if str(version) in vs), None)


@dataclass(frozen=True, kw_only=True)
class EventsRule(Rule):
    """Whether the profile's event list is the provider's whole list, and which payloads
    the subscriptions of each API version get (None: the same for all)."""

    complete: bool
    versions: PayloadVersions | None = None


@dataclass(frozen=True)
class Semantics:
    """Every rule of a resolved profile, typed."""

    subscription: SubscriptionRule
    authenticity: AuthenticityRule
    handshake: HandshakeRule
    envelope: EnvelopeRule
    retry: RetryRule
    gone: GoneRule
    latency: LatencyRule
    timeout: TimeoutRule
    quotas: QuotasRule
    fire_and_forget: FireAndForgetRule
    events: EventsRule
    redirects: RedirectsRule

    def rule(self, name: str) -> Rule:
        """The rule named `name` (`subscription`, `retry`, ...); KeyError for another name."""
        if name not in RULES:
            raise KeyError(name)
        found: Rule = getattr(self, name)
        return found

    def kinds(self) -> dict[str, str]:
        """rule -> kind, for the rules that have a kind (what reports show)."""
        return {
            n: k for n in RULES if isinstance(k := getattr(getattr(self, n), "kind", None), str)
        }

    @property
    def account_settings(self) -> tuple[str, ...]:
        """The provider's account-wide settings: the signing secret (where the secret is
        one for the account) and the handshake's verification token, in that order."""
        names = (self.authenticity.account_setting, self.handshake.token_setting)
        return tuple(name for name in names if name)

    @property
    def retries_apply(self) -> bool:
        """Failed attempts are retried: retries on and the answer not ignored."""
        return self.retry.enabled and not self.fire_and_forget.enabled

    @classmethod
    def read(cls, raw: Mapping[str, Any]) -> Semantics:
        """The typed semantics of a resolved profile's (validated) `semantics` block."""
        return cls(
            subscription=_subscription(raw["subscription"]),
            authenticity=_authenticity(raw["authenticity"]),
            handshake=_handshake(raw["handshake"]),
            envelope=_envelope(raw["envelope"]),
            retry=_retry(raw["retry"]),
            gone=_gone(raw["gone"]),
            latency=_latency(raw["latency"]),
            timeout=_timeout(raw["timeout"]),
            quotas=_quotas(raw["quotas"]),
            fire_and_forget=_fire_and_forget(raw["fire_and_forget"]),
            events=_events(raw["events"]),
            redirects=_redirects(raw.get("redirects", DEFAULT_RULES["redirects"])),
        )


RULES = tuple(f.name for f in fields(Semantics))


def _common(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "source": raw.get("source"),
        "documented": raw.get("documented", True),
        "note": raw.get("note", ""),
    }


def _words(raw: Mapping[str, Any]) -> dict[str, str]:
    return {str(k): str(v) for k, v in (raw or {}).items()}


def _vocabulary(raw: Mapping[str, Any]) -> Vocabulary:
    listing = raw.get("list", {})
    log = raw.get("log", {})
    return Vocabulary(
        list=ListWords(
            items=listing.get("items"),
            paging=listing.get("paging"),
            page=_words(listing.get("page", {})),
            query=_words(listing.get("query", {})),
        ),
        reference=_words(raw.get("reference", {})),
        log=LogWords(
            query=_words(log.get("query", {})),
            record=_words(log.get("record", {})),
            states=_words(log.get("states", {})),
        ),
        counters=_words(raw.get("counters", {})),
    )


def _subscription(raw: Mapping[str, Any]) -> SubscriptionRule:
    return SubscriptionRule(
        **_common(raw),
        management=raw["management"],
        model=raw["model"],
        events_per_subscription=raw["events_per_subscription"],
        key=tuple(raw.get("key", ())),
        on_duplicate=raw.get("on_duplicate", "overwrite"),
        duplicate_status=raw.get("duplicate_status", 422),
        operations=dict(raw.get("operations", {})),
        fields=Parts(**raw.get("fields", {})),
        request_fields=Parts(**raw.get("request_fields", {})),
        path_parameters=dict(raw.get("path_parameters", {})),
        id_parameter=raw.get("id_parameter"),
        string_ids={k: tuple(map(str, v)) for k, v in raw.get("string_ids", {}).items()},
        vocabulary=_vocabulary(raw.get("vocabulary", {})),
    )


def _authenticity(raw: Mapping[str, Any]) -> AuthenticityRule:
    origin = raw.get("value_from") or {}
    return AuthenticityRule(
        **_common(raw),
        kind=raw["kind"],
        header=raw.get("header"),
        pointer=raw.get("pointer"),
        subscription_field=origin.get("subscription_field"),
        account_setting=origin.get("account_setting"),
        algorithm=raw.get("algorithm"),
        encoding=raw.get("encoding"),
        optional=bool(raw.get("optional", False)),
        scheme=_scheme(raw),
    )


def _scheme(raw: Mapping[str, Any]) -> Scheme | None:
    """The signature scheme of a signing authenticity rule (hmac-signature: the body alone,
    one bare signature, the raw secret as the key)."""
    if raw["kind"] not in ("hmac-signature", "signature"):
        return None
    key = raw.get("key", {})
    timestamp = raw.get("timestamp", {})
    ident = raw.get("id", {})
    return Scheme(
        header=raw["header"],
        signed=raw.get("signed", "{body}"),
        header_format=raw.get("header_format", "{signatures}"),
        signature_format=raw.get("signature_format", "{signature}"),
        separator=raw.get("separator"),
        algorithm=raw.get("algorithm", "sha256"),
        encoding=raw.get("encoding", "hex"),
        key_encoding=key.get("encoding", "raw"),
        key_prefix=key.get("prefix", ""),
        timestamp_header=timestamp.get("header"),
        tolerance=timestamp.get("tolerance_seconds"),
        future_tolerance=timestamp.get("future_tolerance_seconds"),
        id_header=ident.get("header"),
        id_form=ident.get("form", "token"),
        id_prefix=ident.get("prefix", ""),
    )


def _handshake(raw: Mapping[str, Any]) -> HandshakeRule:
    return HandshakeRule(
        **_common(raw),
        kind=raw["kind"],
        header=raw.get("header"),
        accept_statuses=tuple(raw.get("accept_statuses", ())),
        without_echo=raw.get("without_echo"),
        secret_in=tuple(raw.get("secret_in", ())),
        query_param=raw.get("query_param"),
        body_pointer=raw.get("body_pointer"),
        method=raw.get("method", "POST"),
        revalidate_on=tuple(raw.get("revalidate_on", ())),
        request=ChallengeRequest.read(raw["request"]) if "request" in raw else None,
        answers=tuple(Answer.read(a) for a in raw.get("answers", ())),
        hmac_encoding=raw.get("hmac", {}).get("encoding", "hex"),
        hmac_prefix=raw.get("hmac", {}).get("prefix", ""),
        event=raw.get("event"),
        seconds=None if raw.get("seconds") is None else float(raw["seconds"]),
    )


def _envelope(raw: Mapping[str, Any]) -> EnvelopeRule:
    parts = raw.get("fields", {})
    extra = {"time_format": raw["time_format"]} if "time_format" in raw else {}
    return EnvelopeRule(
        **_common(raw),
        kind=raw["kind"],
        detail=raw["detail"],
        event=parts.get("event"),
        data=parts.get("data"),
        changes=parts.get("changes"),
        time=parts.get("time"),
        **extra,
    )


def _retry(raw: Mapping[str, Any]) -> RetryRule:
    return RetryRule(
        **_common(raw),
        enabled=raw["enabled"],
        max_attempts=raw.get("max_attempts"),
        window_seconds=raw.get("window_seconds"),
        schedule=tuple(raw.get("schedule", ())),
        retry_on=frozenset(raw.get("retry_on", ())),
        on_exhaustion=raw.get("on_exhaustion", "keep"),
        notify_at_retries=tuple(raw.get("notify_at_retries", ())),
    )


def _gone(raw: Mapping[str, Any]) -> GoneRule:
    return GoneRule(**_common(raw), statuses=frozenset(raw["statuses"]), action=raw["action"])


def _latency(raw: Mapping[str, Any]) -> LatencyRule:
    return LatencyRule(**_common(raw), max_seconds=raw.get("max_seconds"))


def _timeout(raw: Mapping[str, Any]) -> TimeoutRule:
    seconds = raw.get("seconds")
    return TimeoutRule(
        **_common(raw),
        kind=kind_of("timeout", raw),
        seconds=None if seconds is None else float(seconds),
    )


def _redirects(raw: Mapping[str, Any]) -> RedirectsRule:
    return RedirectsRule(
        **_common(raw),
        kind=raw["kind"],
        statuses=frozenset(raw.get("statuses", ())),
        to_get=frozenset(raw.get("to_get", ())),
        max_hops=int(raw.get("max_hops", 0)),
    )


def _quotas(raw: Mapping[str, Any]) -> QuotasRule:
    limits = {plan: Limit(v["max"], v["per"]) for plan, v in raw["limits"].items()}
    return QuotasRule(**_common(raw), limits=limits, default_plan=raw.get("default_plan"))


def _fire_and_forget(raw: Mapping[str, Any]) -> FireAndForgetRule:
    return FireAndForgetRule(**_common(raw), enabled=raw["enabled"])


def _events(raw: Mapping[str, Any]) -> EventsRule:
    versions = raw.get("versions")
    return EventsRule(
        **_common(raw),
        complete=raw["complete"],
        versions=PayloadVersions(
            field=versions["field"],
            documents={str(d): tuple(map(str, vs)) for d, vs in versions["documents"].items()},
        )
        if versions
        else None,
    )
