"""repr()/str() of tensors, following torch._tensor_str: precision 4, scientific notation when the
nonzero finite magnitudes span more than 1000x or leave [1e-4, 1e8], summarisation with `...`
above 1000 elements (3 edge items), 80-column lines. Values are formatted from NumPy copies
(16-bit floats via float64, exactly)."""
import dataclasses
import math

import numpy as _np

from . import _C


@dataclasses.dataclass
class _PrinterOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: object = None


PRINT_OPTS = _PrinterOptions()

_DEFAULT_DTYPES = ("float32", "int64", "bool")


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None):
    """Same options and profiles as torch.set_printoptions."""
    if profile is not None:
        presets = {"default": (4, 1000, 3, 80), "short": (2, 1000, 2, 80), "full": (4, math.inf, 3, 80)}
        if profile not in presets:
            raise ValueError(f"[set_printoptions] unknown profile {profile!r}")
        PRINT_OPTS.precision, PRINT_OPTS.threshold, PRINT_OPTS.edgeitems, PRINT_OPTS.linewidth = presets[profile]
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions():
    return dataclasses.asdict(PRINT_OPTS)


def _dtype_name(t):
    return repr(t.dtype).split(".")[-1]


def _to_numpy(t):
    """A NumPy view of the values (no copy on the CPU; bfloat16 goes through float32). Formatting
    touches only the printed elements, so summarised huge tensors are never converted whole."""
    if t.device.type != "cpu":
        t = t.cpu()
    if _dtype_name(t) == "bfloat16":
        t = t.float()
    return t.detach().numpy()


class _Formatter:
    def __init__(self, values, floating):
        self.floating_dtype = floating
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        flat = values.reshape(-1)
        if not floating:
            for v in flat.tolist():
                self.max_width = max(self.max_width, len(f"{v}"))
            return
        flat = flat.astype(_np.float64)  # exact for every float dtype; avoids float16 overflow
        nonzero_finite = flat[_np.isfinite(flat) & (flat != 0)]
        if nonzero_finite.size == 0:
            return
        absv = _np.abs(nonzero_finite)
        vmin, vmax = float(absv.min()), float(absv.max())
        self.int_mode = bool(_np.all(nonzero_finite == _np.ceil(nonzero_finite)))
        if PRINT_OPTS.sci_mode is None:
            self.sci_mode = vmax / vmin > 1000.0 or vmax > 1.0e8 or vmin < 1.0e-4
        else:
            self.sci_mode = PRINT_OPTS.sci_mode
        p = PRINT_OPTS.precision
        vals = nonzero_finite.tolist()
        if self.sci_mode:
            for v in vals:
                self.max_width = max(self.max_width, len(f"{v:.{p}e}"))
        elif self.int_mode:
            for v in vals:
                self.max_width = max(self.max_width, len(f"{v:.0f}") + 1)
        else:
            for v in vals:
                self.max_width = max(self.max_width, len(f"{v:.{p}f}"))

    def width(self):
        return self.max_width

    def format(self, value):
        p = PRINT_OPTS.precision
        if self.floating_dtype:
            if self.sci_mode:
                ret = f"{value:{self.max_width}.{p}e}"
            elif self.int_mode:
                ret = f"{value:.0f}"
                if not (math.isinf(value) or math.isnan(value)):
                    ret += "."
            else:
                ret = f"{value:.{p}f}"
        else:
            ret = f"{value}"
        return (self.max_width - len(ret)) * " " + ret


def _vector_str(a, indent, summarize, formatter):
    element_length = formatter.width() + 2
    elements_per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / element_length))
    e = PRINT_OPTS.edgeitems
    if summarize and not e:
        data = ["..."]
    elif summarize and a.shape[0] > 2 * e:
        data = ([formatter.format(v) for v in a[:e].tolist()] + [" ..."]
                + [formatter.format(v) for v in a[-e:].tolist()])
    else:
        data = [formatter.format(v) for v in a.tolist()]
    lines = [", ".join(data[i:i + elements_per_line]) for i in range(0, len(data), elements_per_line)]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _str_with_formatter(a, indent, summarize, formatter):
    dim = a.ndim
    if dim == 0:
        return formatter.format(a.item())
    if dim == 1:
        return _vector_str(a, indent, summarize, formatter)
    e = PRINT_OPTS.edgeitems
    if summarize and a.shape[0] > 2 * e:
        slices = ([_str_with_formatter(a[i], indent + 1, summarize, formatter) for i in range(e)] + ["..."]
                  + [_str_with_formatter(a[i], indent + 1, summarize, formatter)
                     for i in range(a.shape[0] - e, a.shape[0])])
    else:
        slices = [_str_with_formatter(a[i], indent + 1, summarize, formatter) for i in range(a.shape[0])]
    return "[" + ("," + "\n" * (dim - 1) + " " * (indent + 1)).join(slices) + "]"


def _summarized(a):
    """The edge items along every dimension (what the formatter measures when summarising)."""
    e = PRINT_OPTS.edgeitems
    if a.ndim == 0:
        return a
    if a.ndim == 1:
        return _np.concatenate((a[:e], a[-e:])) if a.shape[0] > 2 * e else a
    if not e:
        return a[tuple(slice(0, 0) for _ in range(a.ndim))]
    rows = list(range(e)) + list(range(a.shape[0] - e, a.shape[0])) if a.shape[0] > 2 * e else range(a.shape[0])
    return _np.stack([_summarized(a[i]) for i in rows])


def _tensor_str(t, indent):
    if t.numel() == 0:
        return "[]"
    summarize = t.numel() > PRINT_OPTS.threshold
    a = _to_numpy(t)
    formatter = _Formatter(_summarized(a) if summarize else a, t.dtype.is_floating_point)
    return _str_with_formatter(a, indent, summarize, formatter)


def _add_suffixes(tensor_str, suffixes, indent):
    out = [tensor_str]
    last_line_len = len(tensor_str) - tensor_str.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > PRINT_OPTS.linewidth:
            out.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            out.append(", " + suffix)
            last_line_len += len(suffix) + 2
    out.append(")")
    return "".join(out)


def _str(t):
    prefix = "tensor("
    indent = len(prefix)
    suffixes = []
    if t.device.type != "cpu":
        suffixes.append(f"device='{t.device}'")
    name = _dtype_name(t)
    if t.numel() == 0:
        if t.dim() != 1:
            suffixes.append("size=" + str(tuple(t.shape)))
        if name != "float32":
            suffixes.append("dtype=tessera." + name)
        tensor_str = "[]"
    else:
        if not PRINT_OPTS.edgeitems:
            suffixes.append("size=" + str(tuple(t.shape)))
        if name not in _DEFAULT_DTYPES:
            suffixes.append("dtype=tessera." + name)
        tensor_str = _tensor_str(t, indent)
    return _add_suffixes(prefix + tensor_str, suffixes, indent)


_C.Tensor.__repr__ = _str
_C.Tensor.__str__ = _str
