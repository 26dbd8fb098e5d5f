"""The `mediamill` command: parse, call one service, render (JSON with --json)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from mediamill.cli import output
from mediamill.cli.output import emit_json, fail, table
from mediamill.errors import BadInput, MediamillError

if TYPE_CHECKING:
    from mediamill.settings import Settings

# Each command imports what it runs inside its own function: `mediamill status` must not pay for the
# worker, FastAPI, SQLAlchemy and the speech stack it never uses, and `mediamill --help` loads typer
# and this module only (no settings, no rich: bench/startup.py measures it against `import typer`).
# Plain (click) help, not typer's rich panels: those import rich's markdown and syntax highlighting,
# about 0.4 s of every `--help`.
app = typer.Typer(help="mediamill: background media and content work on BullMQ.", no_args_is_help=True,
                  add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None)

JsonOpt = Annotated[bool, typer.Option("--json", help="machine-readable output")]


def _print_version(asked: bool) -> None:
    if asked:
        import mediamill

        output.console.print(f"mediamill {mediamill.__version__}", highlight=False)
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[bool, typer.Option("--version", "-V", is_eager=True, callback=_print_version,
                                          help="print the installed version and exit")] = False,
) -> None:
    """mediamill: background media and content work on BullMQ."""
QueuesOpt = Annotated[str | None, typer.Option("--queues", "-q", help="comma-separated queues (default: all)")]


def _settings(*, logging: bool = True) -> Settings:
    from mediamill.composition import install_tasks
    from mediamill.settings import get_settings

    settings = get_settings()
    install_tasks(settings)
    if logging:
        _configure_logging(settings)
    return settings


def _configure_logging(settings: Settings) -> None:
    from mediamill.logs import configure_logging  # structlog: what `--help` and `--version` skip

    configure_logging(settings)


def _start_task_server(settings: Settings, wanted: list[str] | None) -> None:
    """First, as soon as the queues are known (before even the logging): the task processes' fork server
    (a fork of this process) imports their modules while this process imports the worker."""
    from mediamill.engine.task_server import select_queues, start_task_server
    from mediamill.tasks.registry import queue_task_modules

    start_task_server(m for queue in select_queues(settings, wanted) for m in queue_task_modules(queue))


def _run(coro) -> Any:
    import asyncio

    return asyncio.run(coro)


def parse_assignments(pairs: list[str], option: str) -> dict:
    """`k=v` pairs into a dict; dotted keys nest; values are JSON when they parse, else strings."""
    result: dict = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise BadInput(f"{option} {pair!r} must look like key=value", field=option)
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        target = result
        parts = key.split(".")
        for part in parts[:-1]:
            target = target.setdefault(part, {})
            if not isinstance(target, dict):
                raise BadInput(f"{option} {pair!r} conflicts with an earlier value for {part!r}", field=option)
        target[parts[-1]] = value
    return result


# -- serving ------------------------------------------------------------------------------
@app.command()
def worker(
    queues: QueuesOpt = None,
    metrics_port: Annotated[int | None, typer.Option(
        "--metrics-port", help="serve /metrics, /healthz and /readyz on this port (0 = any free port)")] = None,
    metrics_host: Annotated[str | None, typer.Option("--metrics-host", help="bind address for --metrics-port")] = None,
    liveness_file: Annotated[Path | None, typer.Option(
        "--liveness-file", help="touch this file at every heartbeat (for an exec liveness probe)")] = None,
) -> None:
    """Run workers for some or all queues (MEDIAMILL_WORKERS works too) until SIGTERM/Ctrl-C."""
    settings = _settings(logging=False)
    overrides = {"metrics_port": metrics_port, "metrics_host": metrics_host, "worker_liveness_file": liveness_file}
    settings = settings.model_copy(update={k: v for k, v in overrides.items() if v is not None})
    wanted = [q.strip() for q in queues.split(",") if q.strip()] if queues else None
    _start_task_server(settings, wanted)
    _configure_logging(settings)
    from mediamill.serve import build_worker

    _run(build_worker(settings, wanted).serve_forever())


@app.command()
def up(
    queues: QueuesOpt = None,
    host: Annotated[str | None, typer.Option(help="API bind address")] = None,
    port: Annotated[int | None, typer.Option(help="API port")] = None,
    no_api: Annotated[bool, typer.Option("--no-api", help="workers only")] = False,
) -> None:
    """Everything in one command: embedded Redis, workers for all queues and the HTTP API."""
    settings = _settings(logging=False)
    wanted = [q.strip() for q in queues.split(",") if q.strip()] if queues else None
    _start_task_server(settings, wanted)
    _configure_logging(settings)
    from mediamill.serve import serve_all

    _run(serve_all(settings, wanted, api=not no_api, host=host, port=port))


@app.command()
def api(
    host: Annotated[str | None, typer.Option(help="bind address")] = None,
    port: Annotated[int | None, typer.Option(help="port")] = None,
) -> None:
    """Serve the HTTP API alone (workers run elsewhere)."""
    from mediamill.serve import serve_all

    _run(serve_all(_settings(), [], api=True, host=host, port=port, workers=False))


# -- jobs ---------------------------------------------------------------------------------
@app.command()
def submit(
    task: Annotated[str, typer.Argument(help="task name, e.g. file.inspect")],
    input: Annotated[list[str] | None, typer.Option("--input", "-i", help="file, artifact id or URL")] = None,
    param: Annotated[list[str] | None, typer.Option("--param", "-p", help="key=value (JSON values allowed)")] = None,
    params_json: Annotated[str | None, typer.Option("--params", help="all params as one JSON object")] = None,
    wait: Annotated[bool, typer.Option("--wait", "-w", help="wait and show progress, then the result")] = False,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="with --wait: write output files here")] = None,
    timeout: Annotated[float | None, typer.Option(help="with --wait: give up after this many seconds")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Queue a task; with --wait, show its progress and print the result."""
    from mediamill.cli.jobs import submit_command

    params = json.loads(params_json) if params_json else {}
    if not isinstance(params, dict):
        raise BadInput("--params must be a JSON object", field="params")
    params.update(parse_assignments(param or [], "--param"))
    _run(submit_command(_settings(), task, params, input or [], wait=wait or out is not None, out=out,
                        timeout=timeout, as_json=as_json))


@app.command()
def status(job_id: str, as_json: JsonOpt = False) -> None:
    """Show a job's state, progress, attempts, result or error."""
    from mediamill.cli.jobs import status_command

    _run(status_command(_settings(), job_id, as_json))


@app.command()
def cancel(job_id: str, as_json: JsonOpt = False) -> None:
    """Cancel a queued or running job."""
    from mediamill.cli.jobs import cancel_command

    _run(cancel_command(_settings(), job_id, as_json))


@app.command()
def retry(
    queue: str,
    job_id: Annotated[str | None, typer.Argument(help="the failed job to retry")] = None,
    all_failed: Annotated[bool, typer.Option("--all-failed", help="retry every failed job of the queue")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Retry one failed job, or all failed jobs of a queue."""
    from mediamill.cli.jobs import retry_command

    if bool(job_id) == all_failed:
        raise BadInput("give either a JOB_ID or --all-failed", field="job_id")
    _run(retry_command(_settings(), queue, job_id, as_json))


@app.command()
def probe(
    target: Annotated[str, typer.Argument(help="worker or api")] = "worker",
    timeout: Annotated[float, typer.Option(help="seconds to wait for the answer")] = 3.0,
) -> None:
    """Liveness probe for containers: exit 0 when this pod's worker (its liveness file or its
    --metrics-port /healthz) or API (/healthz) answers, 1 when not."""
    from mediamill.probe import probe_api, probe_worker

    settings = _settings()
    if target not in ("worker", "api"):
        raise BadInput(f"unknown probe target {target!r}: worker or api", field="target")
    problem = probe_worker(settings, timeout) if target == "worker" else probe_api(settings, timeout)
    if problem:
        fail(problem)


# -- queues -------------------------------------------------------------------------------
@app.command()
def queues(
    as_json: JsonOpt = False,
    watch: Annotated[float | None, typer.Option("--watch", help="refresh every N seconds until Ctrl-C",
                                                min=0.2)] = None,
) -> None:
    """The health table: waiting, active, completed, failed, delayed, paused and workers online per queue;
    a queue with waiting jobs and no worker is flagged."""
    from mediamill.cli.jobs import queues_command

    try:
        _run(queues_command(_settings(), as_json, watch))
    except KeyboardInterrupt:
        pass


AllOpt = Annotated[bool, typer.Option("--all", help="every queue")]


def _queue_names(queue: str | None, every: bool) -> list[str] | None:
    if every == (queue is not None):
        raise BadInput("name one queue or pass --all", field="queue")
    return None if every else [queue]


@app.command()
def pause(queue: Annotated[str | None, typer.Argument()] = None, every: AllOpt = False,
          as_json: JsonOpt = False) -> None:
    """Pause a queue (or --all): workers finish active jobs and take no new ones."""
    from mediamill.cli.jobs import pause_command

    _run(pause_command(_settings(), _queue_names(queue, every), True, as_json))


@app.command()
def resume(queue: Annotated[str | None, typer.Argument()] = None, every: AllOpt = False,
           as_json: JsonOpt = False) -> None:
    """Resume a paused queue (or --all)."""
    from mediamill.cli.jobs import pause_command

    _run(pause_command(_settings(), _queue_names(queue, every), False, as_json))


@app.command()
def drain(
    queues: QueuesOpt = None,
    timeout: Annotated[float | None, typer.Option("--timeout", help="give up after N seconds (exit 1)",
                                                  min=0)] = None,
    as_json: JsonOpt = False,
) -> None:
    """Before a deploy: pause the queues and return when no job is active on them any more.
    The queues stay paused: `mediamill resume --all` after the deploy."""
    from mediamill.cli.jobs import drain_command

    wanted = [q.strip() for q in queues.split(",") if q.strip()] if queues else None
    _run(drain_command(_settings(), wanted, timeout, as_json))


@app.command()
def tasks(as_json: JsonOpt = False) -> None:
    """The task catalog: name, queue, isolation and description; then the families that failed to load."""
    from rich.markup import escape

    from mediamill.providers.llm.local import what_it_would_add
    from mediamill.tasks.registry import load_tasks, unavailable_families

    _settings()
    specs = sorted(load_tasks().values(), key=lambda s: s.name)
    unavailable = unavailable_families()
    if as_json:
        emit_json([{"name": s.name, "queue": s.queue, "isolation": s.isolation, "description": s.description,
                    "params": s.schema()} for s in specs])
    else:
        table("tasks", ["task", "queue", "isolation", "description"],
              [[s.name, s.queue, s.isolation, s.description.splitlines()[0] if s.description else ""]
               for s in specs])
    # On stderr, so `--json` output stays the catalog; the exit code stays 0 (the rest works).
    for module, error in sorted(unavailable.items()):
        output.err_console.print(f"[bold yellow]unavailable:[/] {module}: {error}", highlight=False, soft_wrap=True)
    optional = what_it_would_add()
    if optional:
        output.err_console.print(f"[bold]optional:[/] {escape(optional)}", highlight=False, soft_wrap=True)


# -- pipelines ----------------------------------------------------------------------------
@app.command()
def run(
    pipeline: Annotated[str, typer.Argument(help="pipeline name, see `mediamill pipelines`")],
    input: Annotated[list[str] | None, typer.Option("--input", "-i", help="[name=]file (or text/URL)")] = None,
    set_: Annotated[list[str] | None, typer.Option("--set", "-s", help="param or text input: key=value")] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="write output files here")] = None,
    no_wait: Annotated[bool, typer.Option("--no-wait", help="start the run and return its id")] = False,
    timeout: Annotated[float | None, typer.Option(help="give up waiting after this many seconds")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Run a pipeline: one progress bar per step, then the outputs (files with --out)."""
    from mediamill.cli.pipelines import run_command

    _run(run_command(_settings(), pipeline, input or [], parse_assignments(set_ or [], "--set"), out=out,
                     wait=not no_wait, as_json=as_json, timeout=timeout))


@app.command()
def runs(
    run_id: Annotated[str | None, typer.Argument(help="show one run in detail")] = None,
    limit: Annotated[int, typer.Option(help="how many recent runs")] = 20,
    as_json: JsonOpt = False,
) -> None:
    """Recent pipeline runs, or one run with its steps."""
    from mediamill.cli.pipelines import run_status_command
    from mediamill.pipelines.service import recent_runs

    settings = _settings()
    if run_id:
        _run(run_status_command(settings, run_id, as_json))
        return
    rows = recent_runs(settings, limit)
    if as_json:
        emit_json(rows)
        return
    table("runs", ["id", "pipeline", "state", "created", "error"],
          [[r["id"], r["pipeline"], r["state"], f"{r['created_at']:%Y-%m-%d %H:%M:%S}", r["error"] or ""]
           for r in rows])


@app.command("cancel-run")
def cancel_run(run_id: str, as_json: JsonOpt = False) -> None:
    """Cancel a pipeline run: pending steps never start, active ones are stopped."""
    from mediamill.cli.pipelines import control_command

    _run(control_command(_settings(), run_id, "cancel", as_json))


@app.command()
def rerun(run_id: str, as_json: JsonOpt = False) -> None:
    """Restart a failed or cancelled run from its unfinished steps, reusing completed outputs."""
    from mediamill.cli.pipelines import control_command

    _run(control_command(_settings(), run_id, "rerun", as_json))


@app.command()
def pipelines(as_json: JsonOpt = False) -> None:
    """The pipeline catalog, with what each needs and whether its tasks are installed."""
    from mediamill.pipelines.catalog import load_catalog

    entries = load_catalog(_settings())
    if as_json:
        emit_json([entry.describe() for entry in entries.values()])
        return
    table("pipelines", ["name", "source", "available", "steps", "description"],
          [[e.spec.name, e.source, "yes" if e.available else f"no: {', '.join(e.missing_tasks) or e.problem}",
            " -> ".join(e.spec.steps), e.spec.description] for e in entries.values()])


@app.command("register-pipeline")
def register_pipeline(path: Path, as_json: JsonOpt = False) -> None:
    """Validate a YAML/JSON pipeline spec and store it in the database."""
    from mediamill.pipelines.catalog import register_pipeline as register

    if not path.is_file():
        raise BadInput(f"no such file: {path}", field="path")
    spec = register(_settings(), path.read_text())
    emit_json({"name": spec.name, "registered": True}) if as_json else output.console.print(f"registered {spec.name}")


# -- speech and keys ----------------------------------------------------------------------
@app.command()
def voices(as_json: JsonOpt = False) -> None:
    """The installed Piper voices (speech.voiceover's `voice` param)."""
    from mediamill.processors.speech.voices import default_voice, list_voices

    found = list_voices()
    if as_json:
        emit_json(found)
        return
    default = default_voice() if found else None
    table("voices", ["name", "language", "quality", "sample rate", "speakers", "default"],
          [[v.get("name"), v.get("language"), v.get("quality"), v.get("sample_rate"), v.get("speakers"),
            "yes" if v.get("name") == default else ""] for v in found])


keys_app = typer.Typer(help="API keys: create, list, revoke (stored only as hashes).", no_args_is_help=True,
                       rich_markup_mode=None)
app.add_typer(keys_app, name="keys")


def _key_row(key) -> dict:
    return {"id": key.id, "name": key.name, "prefix": key.prefix, "scopes": list(key.scopes),
            "created_at": key.created_at, "last_used_at": key.last_used_at, "revoked_at": key.revoked_at}


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Option(help="who the key is for")],
    scopes: Annotated[str, typer.Option(help="comma-separated: submit, read, admin")] = "submit,read",
    as_json: JsonOpt = False,
) -> None:
    """Create a key; its secret is shown once."""
    from mediamill.services.keys import create_key

    info, token = create_key(_settings(), name, scopes)
    if as_json:
        emit_json({**_key_row(info), "token": token})
        return
    output.console.print(f"created key [bold]{info.id}[/] ({info.name}, scopes {', '.join(info.scopes)})")
    output.console.print(f"token (shown once): [bold]{token}[/]")
    output.console.print("send it as: Authorization: Bearer <token>")


@keys_app.command("list")
def keys_list(as_json: JsonOpt = False) -> None:
    """Every key (secrets are never shown again)."""
    from mediamill.services.keys import list_keys

    rows = [_key_row(k) for k in list_keys(_settings())]
    if as_json:
        emit_json(rows)
        return
    table("keys", ["id", "name", "prefix", "scopes", "created", "last used", "revoked"],
          [[r["id"], r["name"], r["prefix"], ",".join(r["scopes"]), r["created_at"] or "", r["last_used_at"] or "",
            r["revoked_at"] or ""] for r in rows])


@keys_app.command("revoke")
def keys_revoke(key_id: str, as_json: JsonOpt = False) -> None:
    """Revoke a key: requests with it get 401 from then on."""
    from mediamill.services.keys import revoke_key

    info = revoke_key(_settings(), key_id)
    emit_json(_key_row(info)) if as_json else output.console.print(f"revoked {info.id} ({info.name})")


email_app = typer.Typer(help="Email: list the templates and preview them.", no_args_is_help=True,
                        rich_markup_mode=None)
app.add_typer(email_app, name="email")


@email_app.command("templates")
def email_templates_command(as_json: JsonOpt = False) -> None:
    """Every template email.send can use (packaged, and from MEDIAMILL_EMAIL__TEMPLATES_DIR)."""
    from mediamill.services.messaging import email_templates

    rows = email_templates(_settings())
    if as_json:
        emit_json(rows)
        return
    table("email templates", ["name", "source", "unsubscribe", "description"],
          [[r["name"], "packaged" if r["packaged"] else "folder", "yes" if r["unsubscribe"] else "",
            r["description"]] for r in rows])


@email_app.command("preview")
def email_preview(
    template: str,
    data: Annotated[str | None, typer.Option(help="template data as JSON (default: the template's sample)")] = None,
    subject: Annotated[str | None, typer.Option(help="subject shown in the HTML title")] = None,
    out: Annotated[Path, typer.Option(help="folder for TEMPLATE.html and TEMPLATE.txt")] = Path("email-preview"),
    as_json: JsonOpt = False,
) -> None:
    """Render TEMPLATE to an HTML and a text file that a person can open and read."""
    from mediamill.services.messaging import preview_email, write_preview

    try:
        parsed = None if data is None else json.loads(data)
    except json.JSONDecodeError as exc:
        raise BadInput(f"--data is not valid JSON: {exc}", field="data") from None
    preview = preview_email(_settings(), template, parsed, subject)
    html_path, text_path = write_preview(preview, out)
    if as_json:
        emit_json({"template": template, "html": str(html_path), "text": str(text_path),
                   "unsubscribe_url": preview.unsubscribe_url})
        return
    output.console.print(f"wrote [bold]{html_path}[/] and [bold]{text_path}[/]")


artifacts_app = typer.Typer(help="Artifacts: delete one with everything derived from it.", no_args_is_help=True)
app.add_typer(artifacts_app, name="artifacts")


@artifacts_app.command("delete")
def artifacts_delete(
    artifact_id: str,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="only list what would be deleted")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Delete an artifact and what was derived from it (thumbnails, variants, at any depth)."""
    from mediamill.cli.lifecycle import delete_command

    delete_command(_settings(), artifact_id, dry_run=dry_run, as_json=as_json)


share_app = typer.Typer(help="Share links: public links to an artifact, with expiry, password, download limit.",
                        no_args_is_help=True)
app.add_typer(share_app, name="share")


@share_app.command("create")
def share_create(
    artifact_id: str,
    expires_in_hours: Annotated[float | None, typer.Option(help="lifetime (default: shares.default_expiry_hours)")] = None,
    password: Annotated[str | None, typer.Option(help="asked for before the download")] = None,
    max_downloads: Annotated[int | None, typer.Option(help="downloads allowed in all (default: unlimited)")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Make a share link; its URL is shown once."""
    from mediamill.cli.lifecycle import share_create_command

    body = {"expires_in_hours": expires_in_hours, "password": password, "max_downloads": max_downloads}
    share_create_command(_settings(), artifact_id, {k: v for k, v in body.items() if v is not None}, as_json=as_json)


@share_app.command("list")
def share_list(
    artifact_id: Annotated[str | None, typer.Argument(help="only this artifact's links")] = None,
    active: Annotated[bool, typer.Option("--active", help="only links not deactivated")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Share links, newest first, with their state and download counts."""
    from mediamill.cli.lifecycle import share_list_command

    share_list_command(_settings(), artifact_id, active=active, as_json=as_json)


@share_app.command("revoke")
def share_revoke(share_id: str, as_json: JsonOpt = False) -> None:
    """Revoke a share link: it answers 410 from then on."""
    from mediamill.cli.lifecycle import share_revoke_command

    share_revoke_command(_settings(), share_id, as_json=as_json)


@app.command()
def schedules(as_json: JsonOpt = False) -> None:
    """Every recurring job (the cleanup kinds, the pipeline sweep) with its next run."""
    from mediamill.cli.lifecycle import schedules_command

    schedules_command(_settings(), as_json=as_json)


@app.command()
def cleanup(
    kinds: Annotated[list[str] | None, typer.Argument(
        help="expired_artifacts, temp_files, expired_links, old_variants, old_analytics, old_records, old_emails "
             "(or the seed's EXPIRED_LINKS...); none = all")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="count what would go, remove nothing")] = False,
    batch_size: Annotated[int | None, typer.Option(help="most items per kind (default: cleanup.batch_size)")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Run maintenance kinds now, in this process (the schedules run them on a cleanup worker)."""
    from mediamill.cli.lifecycle import cleanup_command

    options = {"dry_run": dry_run, **({"batch_size": batch_size} if batch_size else {})}
    cleanup_command(_settings(), kinds or [], options, as_json=as_json)


def main() -> None:
    """Console entry point: errors are one clear line and a non-zero exit, never a traceback."""
    try:
        app(standalone_mode=False)
    except MediamillError as exc:
        fail(exc.message, 2 if isinstance(exc, BadInput) else 1)
    except typer.Abort:
        fail("aborted", 130)
    except KeyboardInterrupt:
        fail("interrupted", 130)
    except (typer.BadParameter, typer.Exit) as exc:
        raise exc
    except Exception as exc:  # noqa: BLE001 - the last line of defence for a readable error
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            raise SystemExit(exc.exit_code) from None
        if isinstance(exc, click.exceptions.Exit):
            raise SystemExit(exc.exit_code) from None
        fail(f"{type(exc).__name__}: {exc}")


if __name__ == "__main__":
    main()
