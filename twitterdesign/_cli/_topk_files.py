"""Columnar input for ``twitterdesign topk``: Parquet, CSV and Arrow files, locally or on Dask.

pyarrow (and, for ``--dask``, Dask) are imported only when such input is asked for.
"""

from __future__ import annotations

import glob
import logging
import os
from collections.abc import Iterator
from typing import Any

from twitterdesign._cli._common import fail, progress

FORMATS = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".csv": "csv",
    ".arrow": "arrow",
    ".feather": "arrow",
    ".ipc": "arrow",
}
_ROWS = 100_000


def is_columnar_path(path: str) -> bool:
    """Whether ``path`` names (or globs) Parquet, CSV or Arrow files by its suffix."""
    return os.path.splitext(path)[1].lower() in FORMATS


def expand(pattern: str) -> list[tuple[str, str]]:
    """The files ``pattern`` names (a path or a glob), sorted, each with its format."""
    files = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
    if not files:
        fail(f"no file matches {pattern!r}")
    out = []
    for name in files:
        fmt = FORMATS.get(os.path.splitext(name)[1].lower())
        if fmt is None:
            known = ", ".join(sorted(FORMATS))
            fail(f"{name}: unknown columnar format (expected a file ending in {known})")
        if not os.path.isfile(name):
            fail(f"{name}: no such file")
        out.append((name, fmt))
    return out


def _require_arrow() -> Any:
    try:
        import pyarrow
    except ImportError:
        fail(
            'reading Parquet, CSV or Arrow files needs pyarrow: pip install "twitterdesign[arrow]"'
        )
    return pyarrow


def _batches(path: str, fmt: str, column: str) -> Iterator[Any]:
    """The column of ``path``, an Arrow array per record batch."""
    pa = _require_arrow()
    try:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            reader = pq.ParquetFile(path)
            _check_column(path, column, reader.schema_arrow.names)
            for batch in reader.iter_batches(batch_size=_ROWS, columns=[column]):
                yield batch.column(0)
        elif fmt == "csv":
            import pyarrow.csv as pcsv

            # An empty field is a missing value (skipped), as pandas and Dask read it.
            options = pcsv.ConvertOptions(strings_can_be_null=True)
            stream = pcsv.open_csv(path, convert_options=options)
            _check_column(path, column, stream.schema.names)
            for batch in stream:
                yield batch.column(column)
        else:
            table = _ipc_table(path)
            _check_column(path, column, table.schema.names)
            for batch in table.select([column]).to_batches(max_chunksize=_ROWS):
                yield batch.column(0)
    except (pa.ArrowInvalid, OSError) as exc:
        fail(f"{path}: cannot read it as {fmt}: {' '.join(str(exc).split())}")


def check_columns(files: list[tuple[str, str]], column: str) -> None:
    """Fail before any counting if a file cannot be read or lacks ``column``."""
    pa = _require_arrow()
    for path, fmt in files:
        try:
            if fmt == "parquet":
                import pyarrow.parquet as pq

                names = pq.read_schema(path).names
            elif fmt == "csv":
                import pyarrow.csv as pcsv

                names = pcsv.open_csv(path).schema.names
            else:
                names = _ipc_table(path).schema.names
        except (pa.ArrowInvalid, OSError) as exc:
            fail(f"{path}: cannot read it as {fmt}: {' '.join(str(exc).split())}")
        _check_column(path, column, names)


def _check_column(path: str, column: str, names: list[str]) -> None:
    if column not in names:
        fail(f"{path} has no column {column!r} (columns: {', '.join(names)})")


def count_files(files: list[tuple[str, str]], column: str, sinks: list[Any]) -> int:
    """Feed ``column`` of every file to every sink, batch by batch; return the events."""
    from twitterdesign.errors import InvalidParameterError

    check_columns(files, column)
    events = 0
    total = sum(os.path.getsize(name) for name, _ in files)
    with progress() as bar:
        task = bar.add_task("counting", total=total)
        for name, fmt in files:
            for array in _batches(name, fmt, column):
                try:
                    for sink in sinks:
                        sink.update_many(array)
                except InvalidParameterError:
                    fail(
                        f"{name}: column {column!r} holds {array.type}: "
                        "expected strings or integers"
                    )
                events += len(array) - array.null_count
            bar.advance(task, os.path.getsize(name))
    return events


def count_on_dask(files: list[tuple[str, str]], column: str, template: Any, address: str) -> Any:
    """Reduce ``column`` of the files with `twitterdesign.topk.dask` on a Dask cluster.

    ``address`` is a scheduler address, or ``"local"`` for a local cluster of worker
    processes started (and stopped) here.
    """
    _require_arrow()
    try:
        import distributed

        from twitterdesign.topk.dask import reduce_sketch
    except ImportError:
        fail('--dask needs Dask: pip install "twitterdesign[dask]"')
    frame = _dask_frame(files, column)
    cluster = None
    try:
        if address == "local":
            cluster = distributed.LocalCluster(
                processes=True, dashboard_address=":0", silence_logs=logging.ERROR
            )
            client = distributed.Client(cluster)
        else:
            client = distributed.Client(address, timeout="10s")
    except OSError as exc:
        fail(f"cannot reach the Dask scheduler at {address}: {exc}")
    try:
        with progress() as bar:
            bar.add_task(f"counting on Dask ({len(files)} files)", total=None)
            return reduce_sketch(frame, template, column=column)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _dask_frame(files: list[tuple[str, str]], column: str) -> Any:
    import dask.dataframe as dd

    formats = {fmt for _, fmt in files}
    if len(formats) > 1:
        fail(f"--dask reads one format at a time, got {', '.join(sorted(formats))}")
    names = [name for name, _ in files]
    check_columns(files, column)
    fmt = formats.pop()
    if fmt == "parquet":
        return dd.read_parquet(names, columns=[column])
    if fmt == "csv":
        return dd.read_csv(names, usecols=[column])
    return dd.from_map(_read_arrow_frame, names, column=column)


def _read_arrow_frame(path: str, column: str) -> Any:
    """One file's column as a pandas DataFrame (a Dask partition)."""
    return _ipc_table(path).select([column]).to_pandas()


def _ipc_table(path: str) -> Any:
    import pyarrow as pa

    with pa.memory_map(path) as source:
        try:
            return pa.ipc.open_file(source).read_all()
        except pa.ArrowInvalid:
            source.seek(0)
            return pa.ipc.open_stream(source).read_all()
