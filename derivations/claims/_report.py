"""Renderings of the registry and of results: docs/claims.md (Markdown) and a self-contained LaTeX report.

claims_markdown(claims=None) -> str      (docs/claims.md is this string, never edited by hand)
latex_report(results, title=...) -> str  (a complete LaTeX document: each claim, its check, its derivation)
"""
from __future__ import annotations

from ._types import KINDS, REQUIREMENTS

DOCS_HEADER = (
    "<!-- Generated from the claim registry (derivations/claims) by `eoscope verify --write-docs` "
    "(also run by `eoscope reproduce`). Do not edit by hand. -->"
)


def claims_markdown(claims=None) -> str:
    """claims_markdown(claims=None) -> str: the Markdown page listing every registered claim.

    Static information only (statement, LaTeX, model, assumptions, kind of check, reference), so the
    page does not depend on which loss a user verifies with; run ``eoscope verify`` for results.
    """
    from ._registry import registered_claims

    claims = [c for c in (claims if claims is not None else registered_claims()) if c.source == "built-in"]
    lines = [
        DOCS_HEADER,
        "",
        "# Claims checked by `eoscope verify`",
        "",
        "Each claim of the paper (Ahn et al. 2023, arXiv 2212.07469) and of the surrounding models is checked",
        "against the project's own derivations (`derive(model)`), never against a re-typed formula. Kinds of check:",
        "",
    ]
    lines += [f"- **{k}** — {name}" for k, name in KINDS.items()]
    lines += [
        "",
        "Statuses: `verified` (a, b, c), `evidence` (d, or an identity SymPy could not simplify that vanishes",
        "numerically), `refuted` (with a counterexample), `not_checkable` (with the reason, e.g. the loss is not C²),",
        "`error` (the check could not run, e.g. a model missing from the installation).",
        "",
        "Loss-dependent claims use `--loss` (default `sqrt1p`); their assumptions on ℓ are verified symbolically",
        "from the loss before the check runs. Run `eoscope verify --json` for results, `--latex FILE` for a",
        "report with every derivation, `--claims my_claims.py` to add your own (see the end of this page).",
        "",
        "| id | model | kind | statement |",
        "|---|---|---|---|",
    ]
    for c in claims:
        lines.append(f"| [`{c.id}`](#{_anchor(c.id)}) | {c.model} | {c.kind} | {_md_cell(c.statement)} |")
    for c in claims:
        lines += [
            "",
            f"## {c.id}",
            "",
            c.statement,
            "",
            "$$",
            c.latex,
            "$$",
            "",
            f"- model: {c.model}",
            f"- assumptions: {'; '.join(c.assumptions) if c.assumptions else '—'}",
            f"- check: ({c.kind}) {KINDS[c.kind]}",
        ]
        if c.requires:
            lines.append("- verified from ℓ before checking: " + "; ".join(REQUIREMENTS[r] for r in c.requires))
        if c.loss_dependent:
            lines.append("- depends on the loss chosen with `--loss` / `--loss-expr`")
        if c.reference:
            lines.append(f"- reference: {c.reference}")
        doc = (c.check.__doc__ or "").strip()
        if doc:
            lines.append(f"- how: {' '.join(doc.split())}")
    lines += ["", "## Adding a claim", "", "```python", USER_CLAIM_EXAMPLE.strip(), "```", ""]
    lines += [
        "Run it with `eoscope verify --claims my_claims.py` (the file is executed as ordinary Python: only",
        "load files you trust). Without claim ids, only the file's claims run; name ids to mix them with",
        "built-in ones.",
        "",
    ]
    return "\n".join(lines)


USER_CLAIM_EXAMPLE = '''
# my_claims.py — a user claim: checked against the project's own derivation
from eoscope.derivations import ETA, derive, single_neuron
from eoscope.derivations.claims import Claim, identity_outcome, register


def check(context):
    model = single_neuron(context.loss)
    x, y = model.state
    g = model.outer.heads[1](x * y)
    x_next, y_next = derive(model).generic["gd_map"]
    stated = (1 - ETA**2 * g**2) * (x**2 - y**2)
    return identity_outcome(x_next**2 - y_next**2 - stated, concrete=model.concrete,
                            what="invariant evolution")


register(Claim(id="my.invariant", statement="x'^2 - y'^2 = (1 - eta^2 g^2)(x^2 - y^2)",
               latex=r"x'^2 - y'^2 = (1-\\eta^2 g^2)(x^2-y^2)", model="single-neuron",
               assumptions=("l in C^1",), kind="a", check=check, requires=("C1",), loss_dependent=True))
'''


def _anchor(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum() or ch in "-_ ").replace(" ", "-")


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|")


# ---------------------------------------------------------------------------------------------- LaTeX

_UNICODE = {
    "ℓ": r"\ell", "η": r"\eta", "λ": r"\lambda", "δ": r"\delta", "φ": r"\varphi", "Φ": r"\Phi", "π": r"\pi",
    "ξ": r"\xi", "θ": r"\theta", "ε": r"\varepsilon", "∇": r"\nabla", "∞": r"\infty", "≤": r"\le", "≥": r"\ge",
    "≠": r"\neq", "≈": r"\approx", "−": "-", "·": r"\cdot", "√": r"\surd", "∈": r"\in", "⇔": r"\Leftrightarrow",
    "→": r"\to", "∘": r"\circ", "×": r"\times", "±": r"\pm", "∓": r"\mp", "ℝ": r"\mathbb{R}", "∫": r"\int",
    "²": "^2", "³": "^3", "⁴": "^4", "¹": "^1", "⁰": "^0", "₊": "_+", "₋": "_-", "₀": "_0", "∑": r"\sum",
    "μ": r"\mu", "σ": r"\sigma", "α": r"\alpha", "β": r"\beta", "γ": r"\gamma", "ω": r"\omega", "⊂": r"\subset",
    "∪": r"\cup", "∩": r"\cap", "∀": r"\forall", "∃": r"\exists", "′": "'", "…": r"\dots", "∂": r"\partial",
}
_TEXT_MATH = {"'": "'", "<": "<", ">": ">", "|": "|"}  # wrong glyphs in OT1 text mode: typeset as math
_TEXT_ONLY = {"–": "--", "—": "---", "“": "``", "”": "''", "’": "'", "‘": "`", "\u00a0": "~", "§": r"\S{}", "½": r"\ensuremath{\tfrac12}"}
_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
            "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def latex_text(text: str) -> str:
    """Plain (Unicode) text → LaTeX text: specials escaped, math symbols as inline math, other
    non-ASCII characters replaced by '?' so the document always compiles with pdflatex."""
    out = []
    for ch in str(text):
        if ch in _SPECIAL:
            out.append(_SPECIAL[ch])
        elif ch in _UNICODE:
            out.append(f"\\ensuremath{{{_UNICODE[ch]}}}")
        elif ch in _TEXT_MATH:
            out.append(f"\\ensuremath{{{_TEXT_MATH[ch]}}}")
        elif ch in _TEXT_ONLY:
            out.append(_TEXT_ONLY[ch])
        elif ord(ch) < 128:
            out.append(ch)
        else:
            out.append("?")
    return "".join(out)


def _latex_math(text: str) -> str:
    """A LaTeX math string made ASCII (SymPy's latex output is ASCII already)."""
    return "".join(_UNICODE.get(ch, ch if ord(ch) < 128 else "?") for ch in text)


_STATUS_COLOUR = {"verified": "green!50!black", "evidence": "blue!70!black", "refuted": "red!70!black",
                  "not_checkable": "orange!80!black", "error": "red"}


def latex_report(results, title: str = "eoscope verify: claims of the edge-of-stability paper") -> str:
    """latex_report(results, title=...) -> str: a self-contained LaTeX document (article class, amsmath,
    amssymb, xcolor, longtable) with a summary table and, for each claim, its statement, assumptions,
    check, status, message, counterexample or enclosure, and every derivation step."""
    records = [r.to_dict() for r in results]
    version = records[0]["version"] if records else ""
    lines = [
        r"\documentclass[10pt]{article}",
        r"\usepackage[margin=2cm]{geometry}",
        r"\usepackage{amsmath,amssymb}",
        r"\usepackage[table]{xcolor}",
        r"\usepackage{longtable}",
        r"\allowdisplaybreaks",
        r"\setlength{\parindent}{0pt}\setlength{\parskip}{4pt}",
        rf"\title{{{latex_text(title)}}}",
        rf"\author{{eoscope {latex_text(version)}}}",
        r"\date{}",
        r"\begin{document}",
        r"\maketitle",
        r"Kinds of check: " + "; ".join(f"({k}) {latex_text(v)}" for k, v in KINDS.items()) + ".",
        "",
        r"\begin{longtable}{p{5.2cm}cp{2.2cm}rp{3.2cm}}",
        r"\textbf{claim} & \textbf{kind} & \textbf{status} & \textbf{time (s)} & \textbf{loss} \\ \hline",
    ]
    for rec in records:
        colour = _STATUS_COLOUR.get(rec["status"], "black")
        lines.append(
            rf"\texttt{{{latex_text(rec['id'])}}} & {rec['kind']} & \textcolor{{{colour}}}{{{latex_text(rec['status'])}}} "
            rf"& {rec['seconds']:.2f} & {latex_text(rec['loss'] or '--')} \\"
        )
    lines += [r"\end{longtable}", ""]
    for rec in records:
        colour = _STATUS_COLOUR.get(rec["status"], "black")
        lines += [
            rf"\section*{{\texttt{{{latex_text(rec['id'])}}}}}",
            latex_text(rec["statement"]),
            r"\begin{equation*}",
            r"\begin{gathered}" + _latex_math(rec["latex"]) + r"\end{gathered}",
            r"\end{equation*}",
            r"\textbf{Model:} " + latex_text(rec["model"]) + r"\\",
            r"\textbf{Assumptions:} " + latex_text("; ".join(rec["assumptions"]) or "none") + r"\\",
            rf"\textbf{{Check:}} ({rec['kind']}) {latex_text(rec['kind_name'])}\\",
            rf"\textbf{{Status:}} \textcolor{{{colour}}}{{\textbf{{{latex_text(rec['status'])}}}}}"
            + (rf" (loss: {latex_text(rec['loss'])})" if rec["loss"] else "")
            + rf", {rec['seconds']:.2f}\,s\\",
            r"\textbf{Result:} " + latex_text(rec["message"]),
        ]
        if rec["reference"]:
            lines.append(r"\\ \textbf{Reference:} " + latex_text(rec["reference"]))
        if rec["counterexample"]:
            lines.append(r"\par\textbf{Counterexample:} " + latex_text(_flat(rec["counterexample"])))
        if rec["enclosure"]:
            lines.append(r"\par\textbf{Certified enclosures:} " + latex_text(_flat(rec["enclosure"])))
        if rec["derivation"]:
            lines.append(r"\par\textbf{Derivation.}")
            for step in rec["derivation"]:
                lines.append(r"\par " + latex_text(step["label"]) + ":")
                if step["latex"] is None:
                    lines.append(r"\par {\small " + latex_text(step["text"]) + "}")
                elif step["latex"]:
                    body = _latex_math(step["latex"])
                    if len(body) > 2500:
                        lines.append(r"\par {\small (expression too long to typeset: " + str(len(body)) + " characters of LaTeX; see --json)}")
                    else:
                        lines += [r"\begin{equation*}", r"\begin{gathered}" + body + r"\end{gathered}", r"\end{equation*}"]
        lines.append("")
    lines += [r"\end{document}", ""]
    return "\n".join(lines)


def _flat(value) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_flat(v)}" for k, v in value.items() if k != "point_text")
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_flat(v) for v in value) + "]"
    return str(value)
