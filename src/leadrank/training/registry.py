"""The model registry: versions per model name, moving between shadow, active and archived.

The first version of a name becomes active; later versions start in shadow, are scored beside
the active one, and are promoted by a person. Rollback returns to the version that was active
before. Artifacts live in the database (so every process and machine sees the same model) and
are also written as readable files with their report under the data directory.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from leadrank.errors import BadInput, Conflict, NotFound
from leadrank.orm.scoring import ModelVersion
from leadrank.outbox.emit import emit
from leadrank.outbox.events import MODEL_PROMOTED, OutletEvent

if TYPE_CHECKING:
    from leadrank.training.bundle import ModelBundle

STAGES = ("shadow", "active", "archived")
HEADLINE = ("roc_auc", "pr_auc", "brier", "log_loss", "precision_at_10", "lift_at_10")
METADATA_FILE = "metadata.json"  # bundle.METADATA_FILE, named here: reading it loads no learner
_NAME = re.compile(r"[^a-z0-9]+")


def model_name(text: str) -> str:
    """A registry name from free text: "Converted" -> "converted", "deal won" -> "deal-won"."""
    name = _NAME.sub("-", text.lower()).strip("-")[:60]
    if not name:
        raise BadInput(f"cannot make a model name of {text!r}; give one with --name")
    return name


def register(
    session: Session,
    *,
    bundle: ModelBundle,
    name: str,
    kind: str,
    target: str,
    data_dir: Path,
    label: dict[str, Any] | None = None,
) -> ModelVersion:
    """Store a new version of `name` (active if it is the first, else shadow) and write its
    files under data_dir/models/NAME/vN."""
    if model_name(name) != name:
        raise BadInput(
            f"model name {name!r} must be lower-case letters, digits and dashes "
            f"(for example {model_name(name)!r})"
        )
    kinds = set(session.scalars(select(ModelVersion.kind).where(ModelVersion.name == name)))
    if kinds and kind not in kinds:
        raise Conflict(
            f"{name!r} holds {kinds.pop()} models; give this {kind} model another --name"
        )
    latest = session.scalar(select(func.max(ModelVersion.version)).where(ModelVersion.name == name))
    version = (latest or 0) + 1
    has_active = session.scalar(
        select(ModelVersion.id).where(ModelVersion.name == name, ModelVersion.stage == "active")
    )
    now = datetime.now(UTC)
    directory = data_dir / "models" / name / f"v{version}"
    bundle.metadata.update({"name": name, "version": version, "kind": kind})
    metrics = bundle.metadata.get("metrics", {})
    model = ModelVersion(
        name=name,
        version=version,
        stage="shadow" if has_active else "active",
        kind=kind,
        algorithm=bundle.algorithm,
        target=target,
        label=label,
        metrics={key: metrics.get(key) for key in HEADLINE},
        data_hash=str(bundle.metadata.get("data_hash", "")),
        artifact=bundle.to_bytes(),
        path=str(directory),
        created_at=now,
        stage_changed_at=now,
    )
    session.add(model)
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict(
            f"another run registered {name}:v{version} at the same moment; train again"
        ) from exc
    bundle.save(directory)
    return model


def list_models(session: Session, *, name: str | None = None) -> list[ModelVersion]:
    """Every version, newest first."""
    query = select(ModelVersion).order_by(ModelVersion.id.desc())
    if name:
        query = query.where(ModelVersion.name == name)
    return list(session.scalars(query))


def find(session: Session, reference: str) -> ModelVersion:
    """A version by "name:vN" / "name:N", or a name's active version (else its newest)."""
    name, _, wanted = reference.partition(":")
    query = select(ModelVersion).where(ModelVersion.name == name)
    if wanted:
        number = wanted.lstrip("vV")
        if not number.isdigit() or len(number) > 9:  # a version fits a 32-bit integer
            raise BadInput(f"model version must look like {name}:v3, not {reference!r}")
        found = session.scalar(query.where(ModelVersion.version == int(number)))
    else:
        found = session.scalar(
            query.order_by((ModelVersion.stage == "active").desc(), ModelVersion.version.desc())
        )
    if found is None:
        known = ", ".join(sorted({m.name for m in list_models(session)})) or "none yet"
        raise NotFound(f"no model {reference!r} (models: {known})")
    return found


def active_version_id(session: Session, *, name: str) -> int | None:
    """The id of a name's active version, read without its artifact (cheap enough to poll)."""
    query = select(ModelVersion.id).where(ModelVersion.name == name, ModelVersion.stage == "active")
    return session.scalar(query.limit(1))


def active_model(session: Session, *, kind: str | None = None) -> ModelVersion | None:
    """The most recently activated model (of a kind), or None: scoring then uses rules alone."""
    query = select(ModelVersion).where(ModelVersion.stage == "active")
    if kind:
        query = query.where(ModelVersion.kind == kind)
    return session.scalar(query.order_by(ModelVersion.stage_changed_at.desc()).limit(1))


def shadow_models(session: Session, *, name: str) -> list[ModelVersion]:
    """Shadow versions of a name, scored beside its active version."""
    query = select(ModelVersion).where(ModelVersion.name == name, ModelVersion.stage == "shadow")
    return list(session.scalars(query.order_by(ModelVersion.version)))


def promote(session: Session, *, reference: str) -> tuple[ModelVersion, ModelVersion | None]:
    """Make a version active; the version it replaces is archived. Without a version number,
    the newest shadow version of the name is promoted."""
    if ":" in reference:
        chosen = find(session, reference)
    else:
        shadows = shadow_models(session, name=reference)
        if not shadows:
            find(session, reference)  # says so when the name is unknown
            raise Conflict(f"model {reference!r} has no shadow version to promote")
        chosen = shadows[-1]
    if chosen.stage == "active":
        raise Conflict(f"{label(chosen)} is already active")
    replaced = session.scalar(
        select(ModelVersion).where(ModelVersion.name == chosen.name, ModelVersion.stage == "active")
    )
    chosen.previous_active_id = replaced.id if replaced is not None else None
    _switch(session, active=chosen, archived=replaced, how="promote")
    return chosen, replaced


def rollback(
    session: Session, *, name: str, version: int | None = None
) -> tuple[ModelVersion, ModelVersion]:
    """Archive the active version of `name` and reactivate the one it replaced; with
    `version`, only if that is the active one (a page shown before someone else's change must
    not undo that change instead)."""
    current = session.scalar(
        select(ModelVersion).where(ModelVersion.name == name, ModelVersion.stage == "active")
    )
    if current is None:
        find(session, name)
        raise Conflict(f"model {name!r} has no active version to roll back")
    if version is not None and current.version != version:
        raise Conflict(f"{name}:v{version} is not the active version ({label(current)} is)")
    if current.previous_active_id is None:
        raise Conflict(f"{label(current)} replaced no earlier version: nothing to roll back to")
    previous = session.get(ModelVersion, current.previous_active_id)
    assert previous is not None
    _switch(session, active=previous, archived=current, how="rollback")
    return previous, current


def _switch(
    session: Session, *, active: ModelVersion, archived: ModelVersion | None, how: str
) -> None:
    """Archive one version, then activate another: in that order, so the database's rule of
    one active version per name holds at every step. Another process that changed the name's
    active version meanwhile makes this a conflict, not a second active version."""
    now, name = datetime.now(UTC), active.name
    try:
        if archived is not None:
            archived.stage, archived.stage_changed_at = "archived", now
            session.flush()
        active.stage, active.stage_changed_at = "active", now
        session.flush()
    except IntegrityError as exc:
        raise Conflict(
            f"the active version of {name!r} changed while this ran; look at "
            "`leadrank models list` and try again"
        ) from exc
    emit(
        session,
        [
            OutletEvent(
                MODEL_PROMOTED,
                {
                    "model": name,
                    "version": active.version,
                    "previous_version": archived.version if archived is not None else None,
                    "how": how,
                    "promoted_at": now.isoformat(),
                },
                f"model:{name}",
            )
        ],
    )


def load(model: ModelVersion) -> ModelBundle:
    """The stored bundle of a version."""
    from leadrank.training.bundle import ModelBundle  # LightGBM loads only when a model does

    bundle = ModelBundle.from_bytes(model.artifact)
    bundle.metadata.setdefault("name", model.name)
    bundle.metadata.setdefault("version", model.version)
    return bundle


def metadata(model: ModelVersion) -> dict[str, Any]:
    """A version's metadata (metrics, importances, leaks, ...), read without loading its learner."""
    with zipfile.ZipFile(io.BytesIO(model.artifact)) as archive:
        if METADATA_FILE not in archive.namelist():
            return {}
        found: dict[str, Any] = json.loads(archive.read(METADATA_FILE).decode("utf-8"))
    return found


def label(model: ModelVersion) -> str:
    """ "converted:v3"."""
    return f"{model.name}:v{model.version}"
