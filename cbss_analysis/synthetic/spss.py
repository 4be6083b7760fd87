"""Writing a synthetic survey as an SPSS ``.sav`` file with its codebook's labels, byte-reproducibly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from cbss_analysis.common.files import atomic_path
from cbss_analysis.common.notices import synthetic_file_label
from cbss_analysis.errors import DataError
from cbss_analysis.survey.codebook import Codebook, Variable, load_codebook
from cbss_analysis.synthetic.assumptions import CODEBOOK, SEED

NOT_ASKED_LABEL: str = "Not asked (skip pattern)"
# SPSS .sav header (sysfile-info): the creation date ("dd mmm yy") and time ("hh:mm:ss") follow the
# 4-byte magic, 60-byte product name, five int32 fields and the float64 compression bias.
_SAV_DATE_OFFSET: int = 4 + 60 + 5 * 4 + 8
_SAV_FIXED_STAMP: bytes = b"01 Jan 1800:00:00"



def write_sav(frame: pd.DataFrame, path: str | Path, codebook: Codebook | None = None, file_label: str | None = None) -> Path:
    """Write a generated frame as an SPSS file with the codebook's labels, byte-reproducibly.

    Variable labels, value labels (plus "Not asked (skip pattern)" on missing codes), SPSS
    user-missing values and measurement levels come from the codebook; text variables are SPSS
    string (A) variables with string value labels; the file is
    zlib-compressed (SPSS "zsav" format, read by SPSS 21+ and pyreadstat). The header's
    creation date and time are overwritten with a fixed stamp after writing so that the
    same frame always gives the same bytes. The file is written beside ``path`` under a
    temporary name and moved into place only when complete, so an existing file is never
    left half-overwritten.

    Parameters
    ----------
    frame : pandas.DataFrame
        Output of :func:`generate` (``attrs["seed"]`` names the seed in the file label).
    path : str or Path
        Destination ``.sav`` file.
    codebook : Codebook, optional
        Default: the ``cbss_synthetic`` codebook.
    file_label : str, optional
        Default: :func:`~cbss_analysis.common.notices.synthetic_file_label` of the frame's seed; it must say
        SYNTHETIC (the loader recognises synthetic files by it).

    Returns
    -------
    Path
        The path written.
    """
    import pyreadstat

    codebook = codebook or load_codebook(CODEBOOK)
    path = Path(path)
    labels, value_labels, missing, measure, formats = {}, {}, {}, {}, {}
    for column in frame.columns:
        variable = codebook.variable(column)
        labels[column] = variable.label
        if variable.values or variable.missing:
            value_labels[column] = {**dict(variable.values), **dict.fromkeys(variable.missing, NOT_ASKED_LABEL)}
        if variable.missing:
            missing[column] = list(variable.missing)
        measure[column] = {"ordinal": "ordinal", "numeric": "scale", "weight": "scale"}.get(variable.type, "nominal")
        formats[column] = _text_format(frame[column], variable) if variable.is_text else _spss_format(frame[column])
    with atomic_path(path) as partial:
        pyreadstat.write_sav(
            frame,
            str(partial),
            file_label=file_label or synthetic_file_label(frame.attrs.get("seed", SEED)),
            column_labels=labels,
            compress=True,
            variable_value_labels=value_labels,
            missing_ranges=missing,
            variable_measure=measure,
            variable_format=formats,
        )
        _fix_sav_timestamp(partial)
    return path


def _spss_format(column: pd.Series) -> str:
    """SPSS print format: whole numbers without decimals, others with as many as they carry (age 2, weight 6)."""
    values = column.to_numpy(dtype=np.float64)
    values = values[~np.isnan(values)]
    width = max(8, len(str(int(np.abs(values).max()))) + 2) if values.size else 8
    for decimals in (0, 2):
        if np.allclose(values, np.round(values, decimals), rtol=0.0, atol=1e-9):
            return f"F{width + decimals}.{decimals}"
    return f"F{width + 6}.6"


def _text_format(column: pd.Series, variable: Variable) -> str:
    """SPSS string format of a text variable: as wide as its longest code (``region``: A6, as the HBSC file)."""
    codes = [str(code) for code in (*variable.values, *variable.missing)] + [str(v) for v in column.dropna()]
    return f"A{max([1, *map(len, codes)])}"


def _fix_sav_timestamp(path: Path) -> None:
    """Overwrite the creation date/time of a .sav header with a fixed stamp.

    ReadStat writes the wall-clock time into the file header, so two writes of the same data
    differ; the committed file must be byte-reproducible from its seed.
    """
    with path.open("r+b") as handle:
        magic = handle.read(4)
        if magic not in (b"$FL2", b"$FL3"):
            raise DataError(f"{path}: not an SPSS .sav file (header {magic!r}); cannot fix its timestamp")
        handle.seek(_SAV_DATE_OFFSET)
        handle.write(_SAV_FIXED_STAMP)
