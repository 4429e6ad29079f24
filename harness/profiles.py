"""Provider profiles: find, read, merge, validate and expose them.

A profile is a folder holding `profile.yaml` (name, title, `extends`, the semantics block,
checked against `specs/_meta/profile.schema.yaml`) and `openapi.yaml` (OpenAPI 3.1: the
subscription API in `paths`, one entry per event type in `webhooks`, checked against
`specs/_meta/openapi.schema.yaml`).

A folder may also hold `derived.yaml`: the part of the OpenAPI document that a maintainer
tool derives from the provider's own machine contract (an SDK's models, a published OpenAPI;
see `tools/`). `openapi.yaml` is laid over it with merge-patch rules, so what is written by
hand (examples, descriptions, the subscription API) adds to or overrides what is derived;
the two are checked as the one document they make.

A profile whose payloads follow the subscription's API version names, in its `events.versions`
rule, a document per version that has its own (e.g. `versions/2026-04-01.yaml`, derived from
the SDK of that version): each is read into a variant of the profile, with the same
semantics and subscription API, whose `webhooks` are the document's and whose
`components.schemas` are the profile's with the document's in place of those of the same name.
`Profile.for_subscription` gives the variant a subscription's payloads come from.

Where profiles come from, later sources overriding earlier ones by name:

1. the profiles bundled with hookconform;
2. the folders in the `HOOKCONFORM_SPECS` environment variable (os.pathsep-separated);
3. the folders given with `--specs DIR` (repeatable).

A folder is either one profile (it holds `profile.yaml`) or a folder of profile folders.

`extends: PARENT` merges the parent under the child with RFC 7396 merge-patch rules: objects
merge key by key, `null` deletes a key, anything else replaces. `inherit:` narrows what is
taken from the parent (`semantics`, `paths`, `webhooks`, `components`; all by default).
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from harness import pointers
from harness.documents import iter_refs, json_path, merge_patch, read_yaml
from harness.errors import (
    HarnessError,
    Problem,
    SchemaViolation,
    SpecError,
    UnknownEventError,
    UnknownProfileError,
)
from harness.references import reference_problems
from harness.schemas import (
    error_messages,
    registry_for,
    schema_problems,
    unresolvable,
    validator_for,
)
from harness.semantics import (
    COLLECTION_ROLES,
    DEFAULT_RULES,
    ITEM_ROLES,
    KIND_KEYS,
    Semantics,
    kind_of,
    unused_parameters,
)

ENV_VAR = "HOOKCONFORM_SPECS"
PROFILE_FILE = "profile.yaml"
OPENAPI_FILE = "openapi.yaml"
DERIVED_FILE = "derived.yaml"
INHERITABLE = ("semantics", "paths", "webhooks", "components")
JSON_BODY = ("requestBody", "content", "application/json")


def bundled_specs_dir() -> Path:
    """The profiles shipped with hookconform: inside the wheel, or the repository's specs/."""
    package = Path(__file__).resolve().parent
    for candidate in (package / "_specs", package.parent / "specs"):
        if (candidate / "_meta" / "profile.schema.yaml").is_file():
            return candidate
    raise HarnessError(f"hookconform is installed without its specs folder (looked in {package})")


@functools.cache
def _meta_validators() -> tuple[Draft202012Validator, Draft202012Validator, Draft202012Validator]:
    """The validators for profile.yaml as written, as resolved, and for openapi.yaml."""
    meta = bundled_specs_dir() / "_meta"
    profile_meta, problem = read_yaml(meta / "profile.schema.yaml")
    openapi_meta, other = read_yaml(meta / "openapi.schema.yaml")
    if problem or other:
        raise SpecError([p for p in (problem, other) if p])
    registry = registry_for(
        {"urn:hookconform:meta:profile": profile_meta, "urn:hookconform:meta:openapi": openapi_meta}
    )
    return (
        validator_for("urn:hookconform:meta:profile", "/$defs/profile", registry),
        validator_for("urn:hookconform:meta:profile", "/$defs/resolved", registry),
        validator_for("urn:hookconform:meta:openapi", "", registry),
    )


@dataclass(frozen=True)
class Header:
    """A header the provider sends with an event."""

    name: str
    required: bool
    schema: Mapping[str, Any]
    description: str = ""


@dataclass(eq=False)
class Event:
    """One event type of a profile: its payload schema, examples and headers."""

    name: str
    summary: str
    schema: Any
    examples: dict[str, Any]
    headers: list[Header]
    profile_name: str
    validator: Draft202012Validator = field(repr=False)

    def errors(self, payload: Any) -> list[str]:
        """Every way `payload` breaks the event schema, most relevant first; [] when valid."""
        return error_messages(self.validator, payload)

    def is_valid(self, payload: Any) -> bool:
        return self.validator.is_valid(payload)

    def validate(self, payload: Any) -> None:
        """Raise `SchemaViolation` (an AssertionError) when `payload` breaks the schema."""
        errors = self.errors(payload)
        if errors:
            raise SchemaViolation(self.profile_name, self.name, errors)

    def example(self) -> Any:
        """The first example payload (the source's own where it has one); an event without
        examples has none (see `examples`)."""
        return next(iter(self.examples.values()))


PATH_PARAMETER = re.compile(r"\{([^}]+)\}")  # a parameter in an OpenAPI path template


@dataclass(frozen=True)
class Operation:
    """One operation of the provider's subscription API."""

    operation_id: str
    method: str
    path: str
    spec: Mapping[str, Any]

    @property
    def path_parameters(self) -> list[str]:
        """The names in the path template, in order (`/hooks/{pk}/` -> ["pk"])."""
        return PATH_PARAMETER.findall(self.path)


@dataclass(eq=False)
class Profile:
    """A validated, merged profile: what the mock provider and the checks run on."""

    name: str
    title: str
    description: str
    folder: Path
    lineage: tuple[str, ...]
    sources: tuple[str, ...]
    semantics: Semantics  # the typed rules: what every module reads
    raw_semantics: dict[str, Any]  # the merged block as written, for `specs show`
    openapi: dict[str, Any]
    events: dict[str, Event]
    # The variants whose payloads differ, by the API version they serve (events.versions),
    # and for a variant the document its webhooks come from.
    versions: dict[str, Profile] = field(default_factory=dict)
    version_document: str | None = None

    def version_of(self, obj: Mapping[str, Any]) -> str | None:
        """The API version of the subscription object `obj` when its payloads differ
        (`events.versions`); None: it gets this profile's own."""
        rule = self.semantics.events.versions
        version = str(obj.get(rule.field)) if rule else None
        return version if version in self.versions else None

    def for_subscription(self, obj: Mapping[str, Any], event: str | None = None) -> Profile:
        """The profile (or its variant) whose payloads the subscription object `obj` gets:
        the one of the API version in its `events.versions.field`; this profile when the
        variant lacks `event` (a version changed after subscribing)."""
        version = self.version_of(obj)
        variant = self.versions[version] if version else self
        return self if event and event not in variant.events else variant

    def event(self, name: str) -> Event:
        try:
            return self.events[name]
        except KeyError:
            known = ", ".join(self.events)
            raise UnknownEventError(
                f"profile {self.name!r} has no event {name!r} (known: {known})"
            ) from None

    def validate(self, event: str, payload: Any) -> None:
        """Raise `SchemaViolation` when `payload` is not a valid body for `event`."""
        self.event(event).validate(payload)

    def resolve(self, node: Any) -> Any:
        """`node` with its `$ref` chain followed (references inside this document only)."""
        return resolved(self.openapi, node)

    @functools.cached_property
    def operations(self) -> dict[str, Operation]:
        """The subscription API's operations by operationId."""
        found = {}
        for path, item in self.openapi.get("paths", {}).items():
            for method, spec in item.items():
                if isinstance(spec, dict) and "operationId" in spec:
                    found[spec["operationId"]] = Operation(
                        spec["operationId"], method.upper(), path, spec
                    )
        return found

    def subscription_operation(self, role: str) -> Operation | None:
        """The operation that plays `role` (create, list, get, update, delete, deliveries,
        delivery, sample), if any."""
        operation_id = self.semantics.subscription.operations.get(role)
        return self.operations.get(operation_id) if operation_id else None

    @functools.cached_property
    def id_parameter(self) -> str | None:
        """The path parameter that holds a subscription's id: `subscription.id_parameter`,
        else the one the item operations (get, update, delete) have beyond the collection's
        (create, list); None when there is no such single name."""
        if self.semantics.subscription.id_parameter is not None:
            return self.semantics.subscription.id_parameter
        roles = [self.subscription_operation(r) for r in COLLECTION_ROLES]
        collection = next((o for o in roles if o is not None), None)
        outer = set(collection.path_parameters) if collection else set()
        extra: set[str] = set()
        for role in ITEM_ROLES:
            operation = self.subscription_operation(role)
            if operation is not None:
                extra |= set(operation.path_parameters) - outer
        return next(iter(extra)) if len(extra) == 1 else None


@dataclass
class _Raw:
    """A profile folder as read, before `extends` is merged."""

    folder: Path
    profile: dict[str, Any]
    openapi: dict[str, Any]

    @property
    def name(self) -> str:
        return str(self.profile["name"])

    def file(self, filename: str) -> str:
        return str(self.folder / filename)


def specs_dirs(extra: Iterable[str | os.PathLike[str]] = ()) -> list[Path]:
    """The folders profiles are loaded from, lowest precedence first."""
    env = [p for p in os.environ.get(ENV_VAR, "").split(os.pathsep) if p.strip()]
    return [bundled_specs_dir(), *(Path(p) for p in env), *(Path(p) for p in extra)]


def profile_folders(root: Path) -> list[Path]:
    """The profile folders in `root`: itself if it holds profile.yaml, else its subfolders."""
    if not root.is_dir():
        raise HarnessError(f"specs folder not found: {root}")
    if (root / PROFILE_FILE).is_file():
        return [root]
    folders = sorted(p for p in root.iterdir() if (p / PROFILE_FILE).is_file())
    if not folders:
        raise HarnessError(
            f"no profiles in {root}: a profile is a folder holding {PROFILE_FILE}"
            f" and {OPENAPI_FILE}"
        )
    return folders


def _read(folder: Path, problems: list[Problem]) -> _Raw | None:
    """Read and check one folder as written; None when it cannot be used at all."""
    profile, problem = read_yaml(folder / PROFILE_FILE)
    if problem:
        problems.append(problem)
        return None
    file = str(folder / PROFILE_FILE)
    if not isinstance(profile, dict):
        problems.append(Problem(file, "$", "a profile must be a mapping"))
        return None
    written, _, _ = _meta_validators()
    # null is always allowed as written: in a derived profile it deletes the parent's key.
    found = _schema_problems(file, written, _without_nulls(profile))
    problems.extend(found)
    if found:
        return None
    problems.extend(_missing_files(file, folder, profile))
    if profile["name"] != folder.name:
        problems.append(
            Problem(
                file, "$.name", f"name {profile['name']!r} differs from its folder {folder.name!r}"
            )
        )
        return None
    openapi: Any = {}
    openapi_file = folder / OPENAPI_FILE
    if openapi_file.is_file():
        openapi = _mapping(openapi_file, problems)
        if openapi is None:
            return None
    elif "extends" not in profile:
        problems.append(
            Problem(str(openapi_file), "$", "missing: a profile needs an OpenAPI document")
        )
        return None
    if (folder / DERIVED_FILE).is_file():
        derived = _mapping(folder / DERIVED_FILE, problems)
        if derived is None:
            return None
        openapi = merge_patch(derived, openapi)
    return _Raw(folder, profile, openapi)


def _mapping(file: Path, problems: list[Problem]) -> dict[str, Any] | None:
    """An OpenAPI document (or part of one) read from `file`; None, with the problem noted,
    when it is not a YAML mapping."""
    document, problem = read_yaml(file)
    if problem:
        problems.append(problem)
        return None
    if not isinstance(document, dict):
        problems.append(Problem(str(file), "$", "an OpenAPI document must be a mapping"))
        return None
    return document


def _documents(profile: Mapping[str, Any]) -> Iterator[tuple[list[str | int], str]]:
    """Every document a profile.yaml cites, with where: `sources` and each rule's `source`."""
    for index, doc in enumerate(profile.get("sources") or []):
        yield ["sources", index], doc
    for name, rule in (profile.get("semantics") or {}).items():
        source = rule.get("source") if isinstance(rule, dict) else None
        items = source if isinstance(source, list) else [source] if source else []
        for index, item in enumerate(items):
            at: list[str | int] = ["semantics", name, "source"]
            at += [index] if isinstance(source, list) else []
            if isinstance(item, dict):
                yield [*at, "doc"], item["doc"]
            else:
                yield at, item


def _missing_files(file: str, folder: Path, profile: Mapping[str, Any]) -> list[Problem]:
    """A cited file of the spec writer's own (`./...`, `../...`) must exist beside the profile."""
    return [
        Problem(file, json_path(at), f"cited file {doc!r} not found (looked in {folder})")
        for at, doc in _documents(profile)
        if doc.startswith(("./", "../")) and not (folder / doc).is_file()
    ]


def _without_nulls(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _without_nulls(v) for k, v in node.items() if v is not None}
    if isinstance(node, list):
        return [_without_nulls(v) for v in node]
    return node


def _schema_problems(file: str, validator: Draft202012Validator, instance: Any) -> list[Problem]:
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    return [Problem(file, json_path(e.absolute_path), _short(e.message)) for e in errors]


def _short(message: str, limit: int = 300) -> str:
    return message if len(message) <= limit else message[: limit - 3] + "..."


def _lineage(raw: _Raw, by_name: Mapping[str, _Raw]) -> tuple[list[_Raw], Problem | None]:
    """The chain from the profile up through its parents, or the problem with it."""
    chain = [raw]
    while "extends" in chain[-1].profile:
        parent = chain[-1].profile["extends"]
        names = [r.name for r in chain]
        if parent in names:
            cycle = " -> ".join([*names[names.index(parent) :], parent])
            return chain, Problem(raw.file(PROFILE_FILE), "$.extends", f"extends cycle: {cycle}")
        if parent not in by_name:
            where = chain[-1].file(PROFILE_FILE)
            return chain, Problem(where, "$.extends", f"extends unknown profile {parent!r}")
        chain.append(by_name[parent])
    return chain, None


def _merge(chain: Sequence[_Raw]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Merge a lineage, root first, into one profile.yaml and one openapi.yaml; the rules a
    profile leaves out that have a default (`DEFAULT_RULES`) get it."""
    profile: dict[str, Any] = {}
    openapi: dict[str, Any] = {}
    for raw in reversed(chain):
        inherit = raw.profile.get("inherit", INHERITABLE) if profile else INHERITABLE
        sources = [*profile.get("sources", []), *raw.profile.get("sources", [])]
        base_profile = {k: v for k, v in profile.items() if k == "semantics" and k in inherit}
        if "semantics" in base_profile:
            base_profile["semantics"] = _inherited_rules(
                base_profile["semantics"], raw.profile.get("semantics") or {}
            )
        profile = merge_patch(base_profile, raw.profile) if profile else dict(raw.profile)
        profile.pop("extends", None)
        profile.pop("inherit", None)
        profile["sources"] = list(dict.fromkeys(sources))
        base_openapi = {k: v for k, v in openapi.items() if k not in INHERITABLE or k in inherit}
        openapi = merge_patch(base_openapi, raw.openapi) if openapi else dict(raw.openapi)
    if isinstance(profile.get("semantics"), dict):
        # In a rule, null only ever means "not set": one the parent lacks is not kept.
        semantics = profile["semantics"] = _without_nulls(profile["semantics"])
        for name, default in DEFAULT_RULES.items():
            semantics.setdefault(name, dict(default))
    return profile, openapi


def _inherited_rules(parent: Mapping[str, Any], child: Mapping[str, Any]) -> dict[str, Any]:
    """The parent's rules a child merges onto: all, but for a rule whose kind the child
    changes (`KIND_KEYS`), none of it, so no parameter, source or note of the old kind
    lingers."""
    kept = {}
    for name, rule in parent.items():
        theirs = child.get(name)
        changed = (
            isinstance(rule, dict)
            and isinstance(theirs, dict)
            and KIND_KEYS.get(name) in theirs
            and kind_of(name, theirs) != kind_of(name, rule)
        )
        if not changed:
            kept[name] = rule
    return kept


def _webhook_body(webhook: Mapping[str, Any]) -> Mapping[str, Any]:
    node: Any = webhook["post"]
    for key in JSON_BODY:
        node = node[key]
    body: Mapping[str, Any] = node
    return body


def _build(chain: Sequence[_Raw], problems: list[Problem]) -> Profile | None:
    """Merge, validate and compile one profile; None (and problems) when it is invalid."""
    raw = chain[0]
    profile, openapi = _merge(chain)
    after = f" (after merging extends: {chain[1].name})" if len(chain) > 1 else ""
    profile_file, openapi_file = raw.file(PROFILE_FILE), raw.file(OPENAPI_FILE)
    _, resolved, openapi_meta = _meta_validators()
    found = [
        Problem(p.file, p.path, p.message + after)
        for p in _schema_problems(profile_file, resolved, profile)
    ]
    found += [
        Problem(profile_file, json_path(["semantics", rule, parameter]), message + after)
        for rule, parameter, message in unused_parameters(profile.get("semantics") or {})
    ]
    structure = [
        Problem(p.file, p.path, p.message + after)
        for p in _schema_problems(openapi_file, openapi_meta, openapi)
    ]
    if structure:  # the checks below need the document's structure
        problems.extend([*found, *structure])
        return None

    events, compiled = _compiled(raw.name, openapi, openapi_file)
    found += compiled
    if events is None or found:
        problems.extend(found)
        return None
    built = Profile(
        name=raw.name,
        title=profile["title"],
        description=profile.get("description", "").strip(),
        folder=raw.folder,
        lineage=tuple(r.name for r in chain),
        sources=tuple(profile["sources"]),
        semantics=Semantics.read(profile["semantics"]),
        raw_semantics=profile["semantics"],
        openapi=openapi,
        events=events,
    )
    references = [
        Problem(p.file, p.path, p.message + after)
        for p in reference_problems(built, profile_file, openapi_file)
    ]
    problems.extend(references)
    if references:
        return None
    versions = _versions(built, chain, problems)
    return None if versions is None else replace(built, versions=versions)


def _compiled(
    name: str, openapi: Mapping[str, Any], file: str, variant: str = ""
) -> tuple[dict[str, Event] | None, list[Problem]]:
    """The events of a structurally valid document, and the problems of its schemas,
    references and examples (no events when a schema or reference is broken)."""
    uri = f"urn:hookconform:profile:{name}{variant}"
    registry = registry_for({uri: openapi})
    schemas = _invalid_schemas(file, openapi)
    for parts, ref in iter_refs(openapi):
        reason = unresolvable(registry, uri, ref)
        if reason:
            schemas.append(Problem(file, json_path([*parts, "$ref"]), reason))
    if schemas:  # examples can only be checked against valid schemas
        return None, schemas
    events, found = {}, []
    for event_name in openapi["webhooks"]:
        event = _event(name, event_name, openapi, uri, registry)
        body_path = ["webhooks", event_name, "post", *JSON_BODY, "examples"]
        for example_name, example in event.examples.items():
            for message in event.errors(example)[:3]:
                where = json_path([*body_path, example_name, "value"])
                found.append(Problem(file, where, f"example does not validate: {message}"))
        events[event_name] = event
    return events, found


def _versions(
    built: Profile, chain: Sequence[_Raw], problems: list[Problem]
) -> dict[str, Profile] | None:
    """The variants of `built` that `events.versions` names, by version; None (and
    problems) when a document is missing or invalid. A document is looked up in the
    profile's folder, then in its parents' (the rule may be inherited)."""
    rule = built.semantics.events.versions
    if rule is None:
        return {}
    variants: dict[str, Profile] = {}
    failed = False
    _, _, openapi_meta = _meta_validators()
    for document, versions in rule.documents.items():
        file = next((r.folder / document for r in chain if (r.folder / document).is_file()), None)
        if file is None:
            where = json_path(["semantics", "events", "versions", "documents", document])
            folders = ", ".join(str(r.folder) for r in chain)
            problems.append(
                Problem(chain[0].file(PROFILE_FILE), where, f"not found (looked in {folders})")
            )
            failed = True
            continue
        written = _mapping(file, problems)
        if written is None:
            failed = True
            continue
        components = built.openapi.get("components", {})
        own = {"webhooks": written.get("webhooks", {}), "components": written.get("components", {})}
        # Its own webhooks, and its schemas in place of the profile's of the same names.
        schemas = {**components.get("schemas", {}), **own["components"].get("schemas", {})}
        openapi = {
            **built.openapi,
            "webhooks": own["webhooks"],
            "components": {**components, "schemas": schemas},
        }
        # Only what the document brings is checked for structure: the rest was, as the profile's.
        heading = {k: built.openapi[k] for k in ("openapi", "info")}
        structure = _schema_problems(str(file), openapi_meta, {**heading, **own})
        events, found = (
            (None, structure)
            if structure
            else _compiled(built.name, openapi, str(file), f"@{document}")
        )
        unknown = sorted(set(events or {}) - set(built.events))
        found += [
            Problem(str(file), json_path(["webhooks", e]), f"{e!r} is not an event of the profile")
            for e in unknown
        ]
        if events is None or found:
            problems.extend(found)
            failed = True
            continue
        variant = replace(built, openapi=openapi, events=events, version_document=document)
        variants.update(dict.fromkeys(versions, variant))
    return None if failed else variants


def _schemas_in(openapi: Mapping[str, Any]) -> Iterator[tuple[list[str | int], Any]]:
    """Every JSON Schema in the document: components and webhook payloads."""
    for name, schema in openapi.get("components", {}).get("schemas", {}).items():
        yield ["components", "schemas", name], schema
    for name, webhook in openapi.get("webhooks", {}).items():
        yield ["webhooks", name, "post", *JSON_BODY, "schema"], _webhook_body(webhook)["schema"]


def _invalid_schemas(file: str, openapi: Mapping[str, Any]) -> list[Problem]:
    found = []
    for parts, schema in _schemas_in(openapi):
        for error in schema_problems(schema):
            where = json_path([*parts, *error.absolute_path])
            found.append(Problem(file, where, f"invalid JSON Schema: {_short(error.message)}"))
    return found


def resolved(openapi: Mapping[str, Any], node: Any) -> Any:
    """`node` with its `$ref` chain followed through `openapi` (references inside the
    document only; a reference elsewhere, or a cycle, is left as it is)."""
    seen = set()
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        ref = node["$ref"]
        if not ref.startswith("#/") or ref in seen:
            break
        seen.add(ref)
        node = pointers.get(openapi, ref[1:])
    return node


def _event(profile: str, name: str, openapi: Mapping[str, Any], uri: str, registry: Any) -> Event:
    webhook = openapi["webhooks"][name]
    operation = webhook["post"]
    body = _webhook_body(webhook)
    parameters = [resolved(openapi, p) for p in operation.get("parameters", [])]
    headers = [
        Header(
            name=p["name"],
            required=bool(p.get("required", False)),
            schema=p.get("schema", {}),
            description=p.get("description", ""),
        )
        for p in parameters
    ]
    fragment = pointers.join(["webhooks", name, "post", *JSON_BODY, "schema"])
    return Event(
        name=name,
        summary=operation.get("summary", ""),
        schema=body["schema"],
        examples={key: example["value"] for key, example in body.get("examples", {}).items()},
        headers=headers,
        profile_name=profile,
        validator=validator_for(uri, fragment, registry),
    )


@dataclass
class Catalog:
    """The loaded profiles by name, and where each came from."""

    profiles: dict[str, Profile]
    folders: list[Path]

    def __iter__(self) -> Iterator[Profile]:
        return iter(self.profiles.values())

    def __len__(self) -> int:
        return len(self.profiles)

    def __contains__(self, name: object) -> bool:
        return name in self.profiles

    def get(self, name: str) -> Profile:
        try:
            return self.profiles[name]
        except KeyError:
            known = ", ".join(sorted(self.profiles)) or "none"
            raise UnknownProfileError(f"unknown profile {name!r} (known: {known})") from None


def check_folders(folders: Sequence[Path]) -> tuple[Catalog, list[Problem]]:
    """Load every profile folder; the valid profiles and the problems of the others."""
    problems: list[Problem] = []
    by_name: dict[str, _Raw] = {}
    for folder in folders:
        raw = _read(folder, problems)
        if raw is not None:
            by_name[raw.name] = raw  # a later folder overrides an earlier one by name
    profiles = {}
    for raw in by_name.values():
        chain, problem = _lineage(raw, by_name)
        if problem:
            problems.append(problem)
            continue
        built = _build(chain, problems)
        if built is not None:
            profiles[built.name] = built
    return Catalog(dict(sorted(profiles.items())), list(folders)), problems


def load_profiles(extra_dirs: Iterable[str | os.PathLike[str]] = ()) -> Catalog:
    """Load the bundled profiles plus HOOKCONFORM_SPECS and `extra_dirs`.

    Raises `SpecError` listing every problem when any profile is invalid, and `HarnessError`
    when a folder is missing or holds no profile.
    """
    folders = [f for root in specs_dirs(extra_dirs) for f in profile_folders(root)]
    catalog, problems = check_folders(folders)
    if problems:
        raise SpecError(problems)
    return catalog
