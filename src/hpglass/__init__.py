"""hpglass: structure–property studies of amorphous materials under high pressure."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("hpglass")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0+unknown"

from .composition import Composition  # noqa: E402
from .errors import ConvergenceError, HpglassError, InputError  # noqa: E402

__all__ = ["Composition", "ConvergenceError", "HpglassError", "InputError", "__version__"]
