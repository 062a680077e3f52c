"""A Python Package Index under ``/pypi``: PyPI's JSON API, the simple index, uploads.

``{base}/pypi`` stands for ``https://pypi.org`` (the cockpit's ``COCKPIT_PYPI_URL``), so
every path below is PyPI's own under that prefix:

- ``/pypi/{name}/json`` and ``/pypi/{name}/{version}/json``: the JSON API, in the shape
  pypi.org documents (``info``, ``urls``, ``releases`` on the project's document only,
  as Warehouse dropped it from the version's);
- ``/simple/`` and ``/simple/{name}/``: the simple repository API, HTML (PEP 503) or
  JSON (PEP 691, when ``Accept`` asks for ``application/vnd.pypi.simple.v1+json``), so
  ``pip download --index-url {base}/pypi/simple/`` installs from it;
- ``/files/{name}/{filename}``: the files themselves (their sha256 is in both APIs);
- ``/legacy/``: the upload API that ``twine upload --repository-url {base}/pypi/legacy/``
  speaks (``__token__`` and ``pypi-sandbox-upload-token``). It refuses what PyPI refuses:
  no or wrong credentials (403), a file whose name does not match the project and
  version (400), a digest that does not match (400), a file name used before (400).
- ``/project/{name}/[{version}/]``: a small page for the links the cockpit shows.

Releases arrive the way they do on PyPI: by an upload, or by a repository's publish
workflow (``publish_from_workflow``, called by the workflow simulator). A workflow that
publishes to PyPI (it uses ``pypa/gh-action-pypi-publish`` or runs ``twine upload``,
``uv publish``, ``flit publish``, ``poetry publish``, ``hatch publish``, ``pdm publish``)
in a repository with a ``pyproject.toml`` uploads, on success, an sdist and a wheel of
the version that ``pyproject.toml`` says *at the run's commit* (a tag pushed before the
version bump publishes the old version, and a check of the new one fails, as it would).
A ``dynamic`` version is taken from the tag, as setuptools-scm would. The files are small
but real (a gzipped tar with ``PKG-INFO``, a zip with ``.dist-info``), so pip can install
them. State lives in the world document under ``pypi``, the files under ``DATA/pypi/``.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import html
import io
import tarfile
import tomllib
import zipfile
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    canonicalize_version,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from cockpit.sandbox.http import json_response
from cockpit.sandbox.world import Json, now_iso

if TYPE_CHECKING:
    from cockpit.sandbox.core import Sandbox

PREFIX = "/pypi"
UPLOAD_USER = "__token__"
UPLOAD_TOKEN = "pypi-sandbox-upload-token"
"""The upload credential (``twine upload -u __token__ -p pypi-sandbox-upload-token``)."""
PUBLISHERS = ("pypa/gh-action-pypi-publish", "twine upload", "uv publish", "flit publish",
              "poetry publish", "hatch publish", "pdm publish")
"""What in a workflow file says "this uploads to PyPI"."""
SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
SIMPLE_HTML = "application/vnd.pypi.simple.v1+html"


class Refused(Exception):
    """An upload PyPI would refuse: its status and its message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


# -- the store -------------------------------------------------------------------------------

def _projects(sb: Sandbox) -> Json:
    projects: Json = sb.world.data.setdefault("pypi", {})
    return projects


def _files_dir(sb: Sandbox) -> Path:
    return sb.data_dir / "pypi"


def _version_key(version: str) -> Version:
    return Version(version)


def add_file(sb: Sandbox, name: str, version: str, filename: str, content: bytes,
             *, summary: str = "", requires_python: str | None = None,
             sha256: str | None = None) -> Json:
    """Store one distribution file of ``name`` ``version``, as PyPI's upload does; raises
    ``Refused`` where PyPI refuses. Returns the file's record."""
    try:
        parsed = Version(version)
    except InvalidVersion:
        raise Refused(400, f"Invalid value for version. Error: '{version}' is an invalid "
                           "value for Version.") from None
    project = canonicalize_name(name)
    try:
        if filename.endswith(".whl"):
            file_name, file_version, _build, _tags = parse_wheel_filename(filename)
            packagetype, python_version = "bdist_wheel", filename.split("-")[-3]
        else:
            file_name, file_version = parse_sdist_filename(filename)
            packagetype, python_version = "sdist", "source"
    except (InvalidSdistFilename, InvalidWheelFilename) as exc:
        raise Refused(400, f"Invalid distribution file. {exc}") from None
    if file_name != project or file_version != parsed:
        raise Refused(400, f"Start filename for {name!r} with "
                           f"{project.replace('-', '_')!r}-{parsed}.")
    digest = hashlib.sha256(content).hexdigest()
    if sha256 is not None and sha256.lower() != digest:
        raise Refused(400, "The digest supplied does not match a digest calculated from the "
                           "uploaded file.")
    now = now_iso()
    record = {"filename": filename, "packagetype": packagetype,
              "python_version": python_version, "size": len(content), "sha256": digest,
              "md5": hashlib.md5(content).hexdigest(),
              "blake2b_256": hashlib.blake2b(content, digest_size=32).hexdigest(),
              "upload_time": now, "requires_python": requires_python}
    with sb.world.lock:
        projects = _projects(sb)
        used = {f["filename"] for p in projects.values() for r in p["releases"].values()
                for f in r["files"]}
        if filename in used:
            raise Refused(400, f"File already exists ({filename!r}, with blake2_256 hash "
                               f"{record['blake2b_256']!r}). See "
                               "https://pypi.org/help/#file-name-reuse for more information.")
        entry = projects.setdefault(project, {"name": name, "releases": {}})
        release = entry["releases"].setdefault(str(parsed), {
            "summary": summary, "requires_python": requires_python, "yanked": False,
            "yanked_reason": None, "files": []})
        release["files"].append(record)
        entry["serial"] = sb.world.new_id()
        folder = _files_dir(sb) / project
        folder.mkdir(parents=True, exist_ok=True)
        (folder / filename).write_bytes(content)
    sb.world.save()
    return record


def _find(sb: Sandbox, name: str) -> tuple[str, Json] | None:
    project = canonicalize_name(name)
    entry = _projects(sb).get(project)
    return (project, entry) if entry is not None else None


def _release(entry: Json, version: str) -> tuple[str, Json] | None:
    """The release of ``version`` in any spelling PyPI accepts (``1.0.0-rc1``, ``1.0rc1``)."""
    try:
        wanted = canonicalize_version(version)
    except InvalidVersion:
        return None
    for have, release in entry["releases"].items():
        if canonicalize_version(have) == wanted:
            return have, dict(release)
    return None


def _latest(entry: Json) -> str:
    """PyPI's ``info.version``: the highest final release, else the highest of all."""
    versions: list[str] = sorted(entry["releases"], key=_version_key)
    finals = [v for v in versions if not Version(v).is_prerelease]
    return (finals or versions)[-1]


# -- the JSON API ------------------------------------------------------------------------------

def _file_json(sb: Sandbox, project: str, f: Json, release: Json) -> Json:
    return {
        "comment_text": "", "digests": {"md5": f["md5"], "sha256": f["sha256"],
                                        "blake2b_256": f["blake2b_256"]},
        "downloads": -1, "filename": f["filename"], "has_sig": False,
        "md5_digest": f["md5"], "packagetype": f["packagetype"],
        "python_version": f["python_version"], "requires_python": f["requires_python"],
        "size": f["size"], "upload_time": f["upload_time"].rstrip("Z"),
        "upload_time_iso_8601": f["upload_time"].replace("Z", ".000000Z"),
        "url": f"{sb.base_url}{PREFIX}/files/{project}/{f['filename']}",
        "yanked": release["yanked"], "yanked_reason": release["yanked_reason"],
    }


def _info(sb: Sandbox, project: str, entry: Json, version: str, release: Json) -> Json:
    web = f"{sb.base_url}{PREFIX}/project/{project}"
    return {
        "name": entry["name"], "version": version, "summary": release["summary"],
        "requires_python": release["requires_python"] or "", "yanked": release["yanked"],
        "yanked_reason": release["yanked_reason"], "project_url": f"{web}/",
        "package_url": f"{web}/", "release_url": f"{web}/{version}/",
        "author": None, "license": None, "classifiers": [], "description": "",
        "home_page": None, "keywords": None, "project_urls": None, "requires_dist": None,
    }


def _not_found() -> Response:
    return json_response({"message": "Not Found"}, 404)


async def project_json(request: Request) -> Response:
    sb: Sandbox = request.app.state.sandbox
    found = _find(sb, request.path_params["name"])
    if found is None or not found[1]["releases"]:
        return _not_found()
    project, entry = found
    latest = _latest(entry)
    release = entry["releases"][latest]
    return json_response({
        "info": _info(sb, project, entry, latest, release), "last_serial": entry["serial"],
        "releases": {v: [_file_json(sb, project, f, r) for f in r["files"]]
                     for v, r in entry["releases"].items()},
        "urls": [_file_json(sb, project, f, release) for f in release["files"]],
        "vulnerabilities": []})


async def release_json(request: Request) -> Response:
    sb: Sandbox = request.app.state.sandbox
    found = _find(sb, request.path_params["name"])
    release = _release(found[1], request.path_params["version"]) if found else None
    if found is None or release is None:
        return _not_found()
    project, entry = found
    version, data = release
    return json_response({
        "info": _info(sb, project, entry, version, data), "last_serial": entry["serial"],
        "urls": [_file_json(sb, project, f, data) for f in data["files"]],
        "vulnerabilities": []})


# -- the simple index (PEP 503 HTML, PEP 691 JSON) --------------------------------------------

def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    if request.query_params.get("format") == SIMPLE_JSON:
        return True
    return SIMPLE_JSON in accept and SIMPLE_HTML not in accept.split(SIMPLE_JSON)[0]


def _simple_html(title: str, links: list[tuple[str, str, str]]) -> Response:
    """``links``: (href, text, extra attributes)."""
    body = "\n".join(f'    <a href="{html.escape(href)}"{attrs}>{html.escape(text)}</a><br />'
                     for href, text, attrs in links)
    return HTMLResponse(f'<!DOCTYPE html>\n<html>\n  <head>\n    <meta name="pypi:repository-'
                        f'version" content="1.1">\n    <title>{html.escape(title)}</title>\n'
                        f"  </head>\n  <body>\n    <h1>{html.escape(title)}</h1>\n{body}\n"
                        "  </body>\n</html>\n", media_type=f"{SIMPLE_HTML}")


async def simple_index(request: Request) -> Response:
    sb: Sandbox = request.app.state.sandbox
    projects = sorted(_projects(sb))
    if _wants_json(request):
        return json_response({"meta": {"api-version": "1.1", "_last-serial": 0},
                              "projects": [{"name": p} for p in projects]},
                             headers={"content-type": SIMPLE_JSON})
    return _simple_html("Simple index", [(f"{p}/", p, "") for p in projects])


async def simple_project(request: Request) -> Response:
    sb: Sandbox = request.app.state.sandbox
    name = request.path_params["name"]
    found = _find(sb, name)
    if found is None:
        return PlainTextResponse("404 Not Found", 404)
    project, entry = found
    if name != project:  # PEP 503: the normalized name is the one URL
        return RedirectResponse(f"{sb.base_url}{PREFIX}/simple/{project}/", 301)
    files = [(v, r, f) for v, r in sorted(entry["releases"].items(),
                                          key=lambda item: _version_key(item[0]))
             for f in r["files"]]
    base = f"{sb.base_url}{PREFIX}/files/{project}"
    if _wants_json(request):
        return json_response({
            "meta": {"api-version": "1.1", "_last-serial": entry["serial"]},
            "name": project, "versions": sorted(entry["releases"], key=_version_key),
            "files": [{"filename": f["filename"], "url": f"{base}/{f['filename']}",
                       "hashes": {"sha256": f["sha256"]},
                       "requires-python": f["requires_python"], "size": f["size"],
                       "upload-time": f["upload_time"].replace("Z", ".000000Z"),
                       "yanked": r["yanked_reason"] or r["yanked"]} for _v, r, f in files]},
            headers={"content-type": SIMPLE_JSON})
    links = []
    for _v, r, f in files:
        attrs = ""
        if f["requires_python"]:
            attrs += f' data-requires-python="{html.escape(f["requires_python"])}"'
        if r["yanked"]:
            attrs += f' data-yanked="{html.escape(r["yanked_reason"] or "")}"'
        links.append((f"{base}/{f['filename']}#sha256={f['sha256']}", f["filename"], attrs))
    return _simple_html(f"Links for {project}", links)


async def file_download(request: Request) -> Response:
    sb: Sandbox = request.app.state.sandbox
    project, filename = request.path_params["name"], request.path_params["filename"]
    path = _files_dir(sb) / canonicalize_name(project) / filename
    if "/" in filename or not path.is_file():
        return PlainTextResponse("Not Found", 404)
    return Response(path.read_bytes(), media_type="application/octet-stream")


async def project_page(request: Request) -> Response:
    """The page a link to a project (or one version of it) opens."""
    sb: Sandbox = request.app.state.sandbox
    found = _find(sb, request.path_params["name"])
    version = request.path_params.get("version")
    release = _release(found[1], version) if found and version else None
    if found is None or (version and release is None):
        return HTMLResponse("<!doctype html><title>Not Found</title><h1>Not Found</h1>", 404)
    _project, entry = found
    shown = [release] if release else sorted(entry["releases"].items(),
                                             key=lambda item: _version_key(item[0]))
    items = "".join(f"<li>{html.escape(f['filename'])} ({f['packagetype']}, sha256 "
                    f"{f['sha256'][:12]}…)</li>" for _v, r in shown for f in r["files"])
    title = f"{entry['name']} {version}" if version else entry["name"]
    return HTMLResponse(f"<!doctype html><meta charset=utf-8><title>{html.escape(title)} · "
                        f"cockpit sandbox PyPI</title><h1>{html.escape(title)}</h1>"
                        f"<ul>{items}</ul>")


# -- uploads (the legacy API twine speaks) -----------------------------------------------------

def _authorized(request: Request) -> bool:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        user, _, password = base64.b64decode(encoded).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return False
    return user == UPLOAD_USER and password == UPLOAD_TOKEN


def _form(content_type: str, body: bytes) -> tuple[dict[str, str], tuple[str, bytes] | None]:
    """A ``multipart/form-data`` body's fields, and its ``content`` file (name, bytes)."""
    message = BytesParser(policy=policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    fields: dict[str, str] = {}
    upload = None
    if not message.is_multipart():
        return fields, None
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if not isinstance(name, str) or not isinstance(payload, bytes):
            continue
        filename = part.get_filename()
        if name == "content" and filename:
            upload = (filename, payload)
        else:
            fields[name] = payload.decode(errors="replace")
    return fields, upload


async def legacy_upload(request: Request) -> Response:
    sb: Sandbox = request.app.state.sandbox
    if not _authorized(request):
        return PlainTextResponse("403 Invalid or non-existent authentication information. "
                                 "See https://pypi.org/help/#invalid-auth for more "
                                 "information.", 403)
    fields, upload = _form(request.headers.get("content-type", ""), await request.body())
    if fields.get(":action") != "file_upload" or upload is None:
        return PlainTextResponse("400 Upload payload does not have a file.", 400)
    missing = [f for f in ("name", "version") if not fields.get(f)]
    if missing:
        return PlainTextResponse(f"400 '{missing[0]}' is a required field.", 400)
    try:
        add_file(sb, fields["name"], fields["version"], upload[0], upload[1],
                 summary=fields.get("summary", ""),
                 requires_python=fields.get("requires_python") or None,
                 sha256=fields.get("sha256_digest") or None)
    except Refused as exc:
        return PlainTextResponse(f"{exc.status} {exc.message}", exc.status)
    return PlainTextResponse("OK")


# -- a repository's publish workflow ---------------------------------------------------------

def _dist_name(name: str) -> str:
    """The file-name form of a project name (PEP 625 / the wheel spec)."""
    return canonicalize_name(name).replace("-", "_")


def core_metadata(name: str, version: str, summary: str, requires_python: str | None) -> bytes:
    """The core metadata (``PKG-INFO``, ``METADATA``) of a built distribution."""
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}",
             f"Summary: {summary}"]
    if requires_python:
        lines.append(f"Requires-Python: {requires_python}")
    return ("\n".join(lines) + "\n").encode()


def build_sdist(name: str, version: str, pyproject: bytes, metadata: bytes) -> tuple[str, bytes]:
    """A small real sdist: ``{name}-{version}/PKG-INFO`` and ``pyproject.toml``, the same
    bytes for the same input (no time in the tar or the gzip header), as a reproducible
    build gives: a rerun of a release finds the very file it would upload."""
    filename = f"{_dist_name(name)}-{version}.tar.gz"
    root = filename.removesuffix(".tar.gz")
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for member, data in (("PKG-INFO", metadata), ("pyproject.toml", pyproject)):
            info = tarfile.TarInfo(f"{root}/{member}")
            info.size, info.mtime = len(data), 0
            tar.addfile(info, io.BytesIO(data))
    return filename, gzip.compress(out.getvalue(), mtime=0)


def build_wheel(name: str, version: str, metadata: bytes) -> tuple[str, bytes]:
    """A small real pure-Python wheel (``py3-none-any``) with its ``.dist-info``."""
    dist = f"{_dist_name(name)}-{version}"
    files = {f"{dist}.dist-info/METADATA": metadata,
             f"{dist}.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: cockpit-sandbox\n"
                                        b"Root-Is-Purelib: true\nTag: py3-none-any\n"}
    record = "".join(
        f"{path},sha256={base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=').decode()},"
        f"{len(data)}\n" for path, data in files.items()) + f"{dist}.dist-info/RECORD,,\n"
    files[f"{dist}.dist-info/RECORD"] = record.encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as wheel:
        for path, data in files.items():
            wheel.writestr(zipfile.ZipInfo(path, date_time=(1980, 1, 1, 0, 0, 0)), data)
    return f"{dist}-py3-none-any.whl", out.getvalue()


def publishes(workflow: bytes) -> bool:
    """Whether a workflow file uploads to PyPI."""
    text = workflow.decode(errors="replace")
    return any(marker in text for marker in PUBLISHERS)


def publish_from_workflow(sb: Sandbox, full: str, run: Json) -> list[str] | None:
    """A successful run of a workflow that publishes to PyPI: upload the sdist and wheel of
    the version ``pyproject.toml`` names at the run's commit, and say so in the job log.
    None when the run's workflow does not publish to PyPI (another effect may apply)."""
    git = sb.repos[full]
    workflow = git.blob_at(run["head_sha"], run["workflow_path"])
    pyproject = git.blob_at(run["head_sha"], "pyproject.toml")
    if workflow is None or pyproject is None or not publishes(workflow[1]):
        return None
    try:
        project: Any = tomllib.loads(pyproject[1].decode()).get("project") or {}
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        return [f"##[error]pyproject.toml does not parse: {exc}"]
    name = project.get("name")
    raw = project.get("version")
    tag = str(run["head_branch"])
    if raw is None and "version" in (project.get("dynamic") or []) and \
            git.resolve(f"refs/tags/{tag}") is not None:
        raw = tag.removeprefix("v")  # from the tag, as setuptools-scm does
    if not isinstance(name, str) or not isinstance(raw, str):
        return ["##[error]pyproject.toml names no [project] name and version"]
    try:
        version = str(Version(raw))
    except InvalidVersion:
        return [f"##[error]{raw!r} is not a valid version (PEP 440)"]
    summary = str(project.get("description") or "")
    requires = project.get("requires-python")
    requires_python = requires if isinstance(requires, str) else None
    metadata = core_metadata(name, version, summary, requires_python)
    lines = [f"Building {name} {version} from pyproject.toml"]
    for filename, content in (build_sdist(name, version, pyproject[1], metadata),
                              build_wheel(name, version, metadata)):
        try:
            add_file(sb, name, version, filename, content, summary=summary,
                     requires_python=requires_python)
        except Refused as exc:
            lines.append(f"Skipping {filename}: {exc.message}")
            continue
        lines.append(f"Uploading {filename} ({len(content)} bytes) to "
                     f"{sb.base_url}{PREFIX}/legacy/")
    lines.append(f"View at: {sb.base_url}{PREFIX}/project/{canonicalize_name(name)}/{version}/")
    return lines


def routes() -> list[BaseRoute]:
    return [Mount(PREFIX, routes=[
        Route("/pypi/{name}/json", project_json, methods=["GET"]),
        Route("/pypi/{name}/{version}/json", release_json, methods=["GET"]),
        Route("/simple/", simple_index, methods=["GET"]),
        Route("/simple/{name}/", simple_project, methods=["GET"]),
        Route("/files/{name}/{filename}", file_download, methods=["GET"]),
        Route("/project/{name}/", project_page, methods=["GET"]),
        Route("/project/{name}/{version}/", project_page, methods=["GET"]),
        Route("/legacy/", legacy_upload, methods=["POST"]),
    ])]


__all__ = ["PUBLISHERS", "UPLOAD_TOKEN", "UPLOAD_USER", "Refused", "add_file", "build_sdist",
           "build_wheel", "core_metadata", "publish_from_workflow", "publishes", "routes"]
