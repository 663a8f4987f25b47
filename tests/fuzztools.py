"""Fuzzing either app's JSON API from the OpenAPI description it serves (CONTRACT.md: client input never
causes a 5xx, and every error is the contract's envelope).

A request to one operation of /api/v1/openapi.json is drawn with hypothesis: its path parameters, query
string, headers and body. Bodies are built from the operation's JSON schema (mostly valid, with the world's
SKUs, location codes and ids for strings, so that the handlers are reached), then mutated, replaced by
arbitrary JSON, or by bytes that are not JSON at all; they may be sent gzipped, with a lying Content-Type or
Content-Encoding. The bearer token is the role allowed to call the operation, another role, none or garbage.

CI runs a fixed number of examples, derandomized; FUZZ_EXAMPLES=2000 (say) runs more locally."""
from __future__ import annotations

import gzip
import json
import os
import re
from dataclasses import dataclass, field
from datetime import timedelta, timezone
from urllib.parse import quote

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

API = "/api/v1"
GENERIC_CODES = {400: {"bad_request"}, 401: {"unauthorized", "invalid_credentials"}, 403: {"forbidden"},
                 405: {"method_not_allowed"}, 413: {"payload_too_large"}, 429: {"too_many_attempts"}}


def fuzz_settings(examples: int) -> settings:
    """``examples`` in CI (the same ones every run), or FUZZ_EXAMPLES of them."""
    return settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", examples)), derandomize=True, database=None,
                    deadline=None, print_blob=False,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large, HealthCheck.filter_too_much])


def api_routes(app) -> set[tuple[str, str]]:
    """(method, OpenAPI path) of every route of the app's URL map under /api/v1."""
    return {(method.lower(), re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix(API)))
            for rule in app.url_map.iter_rules() if rule.rule.startswith(API + "/")
            for method in rule.methods - {"HEAD", "OPTIONS"}}


def operations(spec: dict) -> dict[tuple[str, str], dict]:
    return {(method, path): operation for path, by_method in spec["paths"].items()
            for method, operation in by_method.items()}


class Words:
    """Strings the world knows, by field name (SKUs for `sku`, location codes for `location`...), and the ids
    its answers told since (for every field or path parameter named `id` or `*_id`): drawn for strings so
    that generated requests find things. Drawn by index at draw time, so learned ids count."""

    def __init__(self, shapes: dict[str, dict] | None = None, **known: list[str]):
        self.shapes = shapes or {}  # field name -> a JSON schema of what it holds, where the description is vaguer
        self.known = {name: list(values) for name, values in known.items()}
        self.known.setdefault("id", [])

    def learn(self, answer) -> None:
        if isinstance(answer, dict):
            for key, value in answer.items():
                if (key == "id" or key.endswith("_id")) and isinstance(value, (str, int)) \
                        and str(value) not in self.known["id"] and len(self.known["id"]) < 500:
                    self.known["id"].append(str(value))
                if key in ("acked_seq", "expected_seq") and isinstance(value, int):  # the seq a push goes on from
                    self.known["seq"] = [value + (key == "acked_seq")]
                self.learn(value)
        elif isinstance(answer, list):
            for item in answer[:20]:
                self.learn(item)

    def _of(self, name: str | None) -> list[str]:
        if name in self.known and self.known[name]:
            return self.known[name]
        if name and name.endswith("_id") and self.known["id"]:
            return self.known["id"]
        return [word for words in self.known.values() for word in words] or [""]

    def strategy(self, name: str | None = None) -> st.SearchStrategy[str]:
        return st.integers(0, 10**6).map(lambda i: (words := self._of(name))[i % len(words)])


# Arbitrary JSON: every type, edge numbers, unicode (control characters, NUL, astral planes), long strings.
edge_numbers = st.sampled_from([0, -1, 1, 2, 2**31, 2**63, -(2**63), 2**64, 10**12, 10**12 + 1, 10**30, -(10**30),
                                0.5, -0.0, 1e308, 1.0])
texts = st.one_of(st.text(max_size=12), st.text(st.characters(codec="utf-8"), max_size=40),
                  st.sampled_from(["", " ", "\x00", "null", "' OR 1=1 --", "%00", "../../etc", "Cà phê ☕",
                                   "\u202e", "𝔘𝔫𝔦", "1e400", "-1", "2026-02-30", "x" * 5_000]))
scalars = st.none() | st.booleans() | st.integers() | edge_numbers | st.floats(allow_nan=False) | texts
json_values = st.recursive(scalars, lambda children: st.lists(children, max_size=4)
                           | st.dictionaries(texts, children, max_size=4), max_leaves=12)


def from_schema(schema: dict, spec: dict, words: Words, name: str | None = None, valid: bool = True
                ) -> st.SearchStrategy:
    """Values of a (pydantic) JSON schema with the world's words for strings: valid ones, or (``valid`` False)
    also its bounds' neighbours, overlong strings, any id."""
    def of(sub, key=None):
        return from_schema(sub, spec, words, key, valid)

    if name in words.shapes and schema is not words.shapes[name]:
        return st.one_of(of(words.shapes[name], name), of(words.shapes[name], name), of(schema))
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    if "anyOf" in schema:
        return st.one_of([of(option, name) for option in schema["anyOf"]])
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind == "object":
        properties = schema.get("properties")
        if not properties:  # a free object: arbitrary JSON
            return st.dictionaries(words.strategy() | texts, json_values, max_size=6)
        required = set(schema.get("required", ()))
        return st.fixed_dictionaries({key: of(sub, key) for key, sub in properties.items() if key in required},
                                     optional={key: of(sub, key) for key, sub in properties.items()
                                               if key not in required})
    if kind == "array":
        low = schema.get("minItems", 0)
        return st.lists(of(schema["items"]), min_size=low, max_size=min(schema.get("maxItems", low + 3), low + 3))
    if kind == "integer":
        low, high = schema.get("minimum"), schema.get("maximum")
        small = st.integers(low if low is not None else -5, (low if low is not None else 0) + 5)
        within = st.one_of(small, st.integers(low, high), st.sampled_from([v for v in (low, high) if v is not None]
                                                                               or [0]))
        if name in words.known:
            within = st.one_of(words.strategy(name), within)
        return within if valid else within | st.sampled_from([v + step for v in (low, high) if v is not None
                                                              for step in (-1, 1)] or [2**63])
    if kind == "string":
        if schema.get("format") == "uuid":
            return st.uuids().map(str) if valid else words.strategy(name) | texts
        if schema.get("format") == "date-time":
            zones = st.sampled_from([timezone.utc, timezone(timedelta(hours=7)), timezone(timedelta(hours=-9.5))])
            moments = st.datetimes(timezones=zones).map(lambda moment: moment.isoformat())
            return moments if valid else moments | texts
        low, high = schema.get("minLength", 0), schema.get("maxLength", 40)
        text = st.text(min_size=low, max_size=min(high, 40))
        if valid:
            return words.strategy(name) if name in words.known else text
        return st.one_of(
            words.strategy(name), text, st.just("é" * (high + 1)), st.text(max_size=low))
    if kind == "boolean":
        return st.booleans()
    return json_values


def mutated(value, replacement) -> st.SearchStrategy:
    """``value`` with one place in it (itself, a field, an item) replaced, removed, or given an extra key."""
    places = []

    def walk(node, trail):
        places.append(trail)
        if isinstance(node, dict):
            for key, child in node.items():
                walk(child, (*trail, key))
        elif isinstance(node, list):
            for index, child in enumerate(node):
                walk(child, (*trail, index))

    walk(value, ())

    def apply(choice):
        trail, action, new = choice
        if not trail:
            return new
        copy = json.loads(json.dumps(value))
        parent = copy
        for part in trail[:-1]:
            parent = parent[part]
        if action == "remove":
            del parent[trail[-1]]
        elif action == "extra" and isinstance(parent, dict):
            parent[f"{trail[-1]}_"] = new
        else:
            parent[trail[-1]] = new
        return copy

    return st.tuples(st.sampled_from(places), st.sampled_from(["replace", "remove", "extra"]), replacement).map(apply)


# Bytes that are no JSON object, or that push a parser: cut, nested deep, huge numbers, other encodings.
raw_bodies = st.one_of(
    st.binary(max_size=64),
    st.sampled_from([b"", b"{", b'{"a": 1} x', b"[]", b"null", b"\x00", b"{'a': 1}", b"NaN", b'"\xff\xfe"',
                     b'{"qty": 1e400}', b'{"qty": -Infinity}', b'{"a": "\\ud800"}', '{"a": 1}'.encode("utf-16")]),
    st.integers(1, 50_000).map(lambda depth: b"[" * depth + b"]" * depth),
    st.integers(1, 20_000).map(lambda depth: b'{"lines":' * depth + b"1" + b"}" * depth),
    st.integers(1, 5_000).map(lambda digits: b'{"qty": ' + b"9" * digits + b"}"),
    st.integers(900_000, 1_100_000).map(lambda size: b'{"note": "' + b"x" * size + b'"}'),
)

CONTENT_TYPES = ["application/json", "application/json; charset=utf-8", "text/plain",
                 "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json; charset=latin-1",
                 "application/xml", "", "*/*", "application/json\x00"]
ENCODINGS = [None, "gzip", "gzip", "gzip-garbage", "deflate", "br", "gzip, gzip", "identity", "x" * 300]
LANGUAGES = ["vi", "en", "vi-VN,vi;q=0.9,en;q=0.8", "*", "xx", "en;q=abc", "zh-Hant-TW;q=0.5", ",,,;", "é" * 500]


def header_text() -> st.SearchStrategy[str]:
    """Header values as a server hands them over: any UTF-8 bytes, read as latin-1."""
    return texts.map(lambda text: text.encode("utf-8").decode("latin-1").replace("\n", " ").replace("\r", " "))


@dataclass
class Request:
    method: str
    path: str  # the route, as in the description
    url: str  # the path with its parameters filled in, under /api/v1, and the query string
    auth: str  # a role of the test's tokens, or an Authorization header as it is ("" for none)
    headers: dict[str, str] = field(default_factory=dict)
    data: bytes | None = None


def path_values(parameter: dict, words: Words) -> st.SearchStrategy[str]:
    if parameter["schema"]["type"] == "integer":
        values = st.integers(0, 6).map(str) | st.sampled_from(["-1", "0", str(2**63), str(10**30), "1.5", "١"])
    else:
        values = words.strategy(parameter["name"]) | st.sampled_from(["%00", "%ED%A0%80", "x" * 5_000, "%F0%9F%93%A6", ".", "%2F"])
    return values | texts.map(lambda text: quote(text, safe=""))


def query_strings(operation: dict, words: Words) -> st.SearchStrategy[str]:
    """The operation's query parameters (schema values, arbitrary text, raw escapes), repeated or unknown ones."""
    names = [p["name"] for p in operation["parameters"] if p["in"] == "query"]
    schemas = {p["name"]: p["schema"] for p in operation["parameters"] if p["in"] == "query"}
    raw = st.sampled_from(["%00", "%ED%A0%80", "%FF", "%", "%%", "+", "2026-02-30", "2026-01-01T00:00:00+07:00",
                           "-1", "0", "9" * 40, "²", "1e3", "%25" * 20_000, "NaN"])

    def value(name):
        schema = schemas.get(name, {"type": "string"})
        typed = from_schema(schema, {}, words, name, valid=False).map(lambda v: quote(str(v), safe=""))
        return typed | raw | texts.map(lambda text: quote(text, safe=""))

    def pairs(name):
        return st.tuples(st.just(quote(name, safe="")), value(name))

    known = [pairs(name) for name in names]
    unknown = st.tuples(texts.map(lambda text: quote(text, safe="")), raw | texts.map(quote))
    pair = st.one_of(*known, unknown) if known else unknown
    return st.lists(pair, max_size=4).map(lambda items: "&".join(f"{k}={v}" for k, v in items))


def bodies(operation: dict, spec: dict, words: Words, clean: bool) -> st.SearchStrategy:
    """A JSON value (a valid-ish one when ``clean``) or raw bytes (``bytes``) for the operation's body."""
    if "requestBody" not in operation:
        return st.none() if clean else st.none() | json_values | raw_bodies
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    valid = from_schema(schema, spec, words)
    if clean:
        return valid
    return st.one_of(from_schema(schema, spec, words, valid=False), valid.flatmap(lambda body: mutated(body, json_values)),
                     json_values, raw_bodies)


def requests(spec: dict, key: tuple[str, str], words: Words, roles: list[str]) -> st.SearchStrategy[Request]:
    """A request to the operation ``key`` of ``spec``: ``roles[0]`` is the role allowed to call it (None: it is
    public), the others are not. Six in ten are clean (the allowed role, a valid-ish JSON body sent as JSON) so
    that the handlers are what is fuzzed; the others break anything: body, token, Content-Type, Content-Encoding."""
    method, path = key
    operation = operations(spec)[key]
    allowed, *others = roles
    garbage = st.sampled_from(["Bearer", "Bearer ", "Bearer x", "bearer {}", "Basic dXNlcjpwYXNz",
                               "Bearer " + "A" * 5_000]) | header_text().map(lambda text: "Bearer " + text)
    auth = st.integers(0, 3).flatmap(lambda who: st.just(allowed or "") if who < 2 else st.sampled_from(
        [*others, ""]) if who < 3 else garbage)
    path_parameters = [p for p in operation["parameters"] if p["in"] == "path"]

    @st.composite
    def draw(draw):
        clean = draw(st.integers(0, 9)) < 6
        url = path
        for parameter in path_parameters:
            url = url.replace("{%s}" % parameter["name"], draw(path_values(parameter, words)))
        query = draw(query_strings(operation, words))
        body = draw(bodies(operation, spec, words, clean))
        headers = {}
        if body is None:
            data = None
        elif isinstance(body, bytes):
            data = body
        else:
            data = json.dumps(body, ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")
        if clean:
            if data is not None:
                headers["Content-Type"] = "application/json"
        else:
            if data is not None or draw(st.booleans()):
                content_type = draw(st.sampled_from(CONTENT_TYPES))
                if content_type:
                    headers["Content-Type"] = content_type
            encoding = draw(st.sampled_from(ENCODINGS))
            if encoding == "gzip" and data is not None:
                data = gzip.compress(data, mtime=0)
            if encoding == "gzip-garbage":
                encoding, data = "gzip", draw(st.sampled_from([b"", b"\x1f\x8b", b"not gzip", gzip.compress(b"{}")[:-5]])
                                                     | st.binary(max_size=40))
            if encoding:
                headers["Content-Encoding"] = encoding
        for name, values in (("Accept-Language", st.sampled_from(LANGUAGES) | header_text()),
                             ("X-Kiosk-Pending", st.sampled_from(["0", "3", "-1", "9" * 40, "١٢", " 7 "]) | header_text()),
                             ("X-Kiosk-Last-Error", header_text() | st.just("%E1%BA%A5t%00%ZZ" * 50)),
                             ("Accept", st.sampled_from(["application/json", "text/html", "*/*", "image/png"])),
                             ("X-Forwarded-For", header_text())):
            if draw(st.booleans()):
                headers[name] = draw(values)
        url = f"{API}{url}" + (f"?{query}" if query else "")
        return Request(method.upper(), path, url, allowed or "" if clean else draw(auth), headers, data)

    return draw()


def send(client, request: Request, tokens: dict[str, str]):
    headers = dict(request.headers)
    if request.auth in tokens:
        headers["Authorization"] = f"Bearer {tokens[request.auth]}"
    elif request.auth:
        headers["Authorization"] = request.auth
    return client.open(request.url, method=request.method, headers=headers, data=request.data)


def assert_contract_answer(request: Request, response, allowed_5xx: frozenset[str] = frozenset()) -> None:
    """No 5xx (but those the contract names, by code), and every error the contract's envelope."""
    status = response.status_code
    where = f"{request.method} {request.url[:200]} auth={request.auth[:40]!r} headers={request.headers!r:.300}"
    if status < 400:
        return
    assert response.mimetype == "application/json", (status, response.mimetype, where)
    body = response.get_json(silent=True)
    assert isinstance(body, dict) and set(body) == {"error"}, (status, response.get_data()[:300], where)
    error = body["error"]  # more keys than code, message and field are allowed (CONTRACT.md: seq_gap's expected_seq)
    assert isinstance(error["code"], str) and isinstance(error["message"], str) and error["message"], (error, where)
    assert isinstance(error.get("field", ""), str), (error, where)
    assert status < 500 or error["code"] in allowed_5xx, (status, error, where)
    assert status not in GENERIC_CODES or error["code"] in GENERIC_CODES[status], (status, error, where)


