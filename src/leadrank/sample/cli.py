"""`leadrank sample`: write a realistic messy multi-source workspace to a directory."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from leadrank.errors import BadInput
from leadrank.kit.console import console, progress_bar
from leadrank.sample.generator import SampleManifest, generate_workspace


def sample(
    leads: Annotated[int, typer.Option("--leads", "-n", help="How many distinct people")] = 5_000,
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Directory to write the files into")
    ] = Path("sample"),
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same files")] = 7,
) -> None:
    """Write sample lead files from several vendors plus campaign, web and deal events."""
    manifest = write_sample(out, leads=leads, seed=seed)
    render_manifest(manifest, out)


def write_sample(out: Path, *, leads: int, seed: int) -> SampleManifest:
    """Generate the sample files with a progress bar."""
    if leads < 1:
        raise BadInput("--leads must be at least 1")
    with progress_bar("sample") as progress:
        return generate_workspace(out, leads=leads, seed=seed, progress=progress)


def render_manifest(manifest: SampleManifest, out: Path) -> None:
    """Print the files written."""
    for item in manifest.files:
        console.print(f"  {out / item.name}  {item.kind:6} {item.vendor:10} {item.rows:>10,} rows")
