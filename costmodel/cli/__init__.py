"""Command-line interface: a thin click group. Data on stdout, messages on stderr.

Every error the user can cause becomes one line on stderr and exit status 2; a traceback
appears only with ``--debug`` (or ``COSTMODEL_DEBUG=1``).
"""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import sys
from collections.abc import Iterator

import click

from .._version import __version__
from ..errors import CostModelError, cli_spelling

__all__ = ["cli", "main", "Signalled"]

#: Signals that end a run. Each becomes a :class:`Signalled` exception, so ``finally`` blocks
#: and the atomic writer's cleanup run (no ``.…tmp`` file is left), and the exit status is
#: the shell's 128 + N (130 for Ctrl-C).
SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT")


class Signalled(BaseException):
    """A terminating signal arrived (a ``BaseException``, like ``KeyboardInterrupt``, so no
    ``except Exception`` swallows it)."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _raise_signalled(signum, frame):
    # a second signal while cleaning up is ignored: the first one is already ending the run
    for name in SIGNALS:
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_IGN)
    raise Signalled(signum)


def install_signal_handlers() -> None:
    """Turn terminating signals into :class:`Signalled` (console script only: a library
    user's process keeps its own handlers)."""
    for name in SIGNALS:
        sig = getattr(signal, name, None)
        if sig is not None and signal.getsignal(sig) is not signal.SIG_IGN:
            signal.signal(sig, _raise_signalled)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


#: Sub-command name -> module in costmodel.cli that defines it (imported on first use, so
#: ``costmodel estimate`` never imports the modules of the other commands).
COMMANDS = {
    "estimate": "estimate_cmd",
    "check": "check_cmd",
    "solve": "analysis_cmd",
    "sweep": "analysis_cmd",
    "sensitivity": "analysis_cmd",
    "backtest": "backtest_cmd",
    "gpus": "catalog_cmd",
    "presets": "catalog_cmd",
    "export-control": "check_cmd",
    "perf": "perf_cmd",
    "plan": "perf_cmd",
}


#: CostModelWarning lines waiting for the command to succeed (an error stays one line).
_PENDING: list[str] = []


def flush_warnings() -> None:
    """Print the pending ``costmodel: warning: ...`` lines on stderr, each once."""
    for text in dict.fromkeys(_PENDING):
        click.echo(f"costmodel: warning: {text}", err=True)
    _PENDING.clear()


@contextlib.contextmanager
def _warnings_to_stderr() -> Iterator[None]:
    """Within this block a :class:`~costmodel.errors.CostModelWarning` (a likely unit slip)
    becomes one line on stderr, ``costmodel: warning: ...``, each message once, printed
    when the command succeeds (or when it starts streaming, :func:`flush_warnings`): a
    command that fails prints its one error line only."""
    import warnings

    from ..errors import CostModelWarning

    _PENDING.clear()
    with warnings.catch_warnings():
        original = warnings.showwarning
        warnings.simplefilter("always", CostModelWarning)

        def show(message, category, filename, lineno, file=None, line=None):
            if not issubclass(category, CostModelWarning):
                return original(message, category, filename, lineno, file, line)
            _PENDING.append(_one_line(str(message)))

        warnings.showwarning = show
        try:
            yield
        except click.exceptions.Exit as e:
            if not e.exit_code:
                flush_warnings()
            raise
        except BaseException:
            _PENDING.clear()
            raise
        flush_warnings()


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # no real file descriptor (an in-process test runner)
        pass


class CostModelGroup(click.Group):
    """Group whose ``main`` turns every expected error into one line and exit status 2,
    and whose sub-commands are imported lazily."""

    def list_commands(self, ctx):
        return sorted(COMMANDS)

    def get_command(self, ctx, name):
        if name not in COMMANDS:
            return None
        if name not in self.commands:
            from importlib import import_module

            import_module(f"{__name__}.{COMMANDS[name]}")
        return self.commands.get(name)

    def invoke(self, ctx):
        # click itself turns EPIPE into exit status 1; a closed reader is not an error
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            _silence_stdout()
            raise click.exceptions.Exit(0) from None

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        use_ascii_fallback()  # here, not only in main(): in-process callers get it too
        argv = list(sys.argv[1:] if args is None else args)
        debug = "--debug" in argv or os.environ.get("COSTMODEL_DEBUG") == "1"
        # the exact arguments, for the command that regenerates an --html page
        extra.setdefault("obj", {"argv": argv})
        try:
            # messages name --flags here, parameters in Python; doubts are one line on stderr
            with cli_spelling(), _warnings_to_stderr():
                rv = super().main(
                    args=argv,
                    prog_name=prog_name or "costmodel",
                    complete_var=complete_var,
                    standalone_mode=False,
                    **extra,
                )
        except click.exceptions.Exit as e:
            code = e.exit_code
        except BrokenPipeError:
            # the reader went away (`costmodel sweep … | head -1`): what it wanted it got
            _silence_stdout()
            code = 0
        except click.exceptions.Abort as e:
            if isinstance(e.__context__, KeyboardInterrupt):  # click turns Ctrl-C into Abort
                click.echo("costmodel: interrupted", err=True)
                code = 128 + signal.SIGINT
            else:
                click.echo("costmodel: aborted", err=True)
                code = 2
        except Signalled as e:
            click.echo(f"costmodel: stopped by {signal.Signals(e.signum).name}", err=True)
            code = 128 + e.signum
        except click.ClickException as e:
            if debug:
                raise
            click.echo(f"costmodel: error: {_one_line(e.format_message())}", err=True)
            code = 2
        except (CostModelError, OSError, RecursionError, MemoryError, OverflowError) as e:
            if debug:
                raise
            kind = "" if isinstance(e, CostModelError) else f"{type(e).__name__}: "
            click.echo(f"costmodel: error: {kind}{_one_line(str(e))}", err=True)
            code = 2
        except KeyboardInterrupt:
            click.echo("costmodel: interrupted", err=True)
            code = 128 + signal.SIGINT
        except Exception as e:  # a bug: still one line, but exit 1 so it is noticed
            if debug:
                raise
            click.echo(
                f"costmodel: internal error: {type(e).__name__}: {_one_line(str(e))} "
                f"(rerun with --debug for the traceback, and please report it)",
                err=True,
            )
            code = 1
        else:
            code = rv if isinstance(rv, int) else 0
        if standalone_mode:
            sys.exit(code)
        return code


@click.group(
    cls=CostModelGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, "--version", prog_name="costmodel")
@click.option(
    "--presets",
    "presets_dirs",
    multiple=True,
    type=click.Path(file_okay=False),
    help="Extra preset directory (same layout as the built-in presets/); repeat "
    "for several. Overrides COSTMODEL_PRESETS. Overrides are reported.",
)
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def cli(presets_dirs: tuple[str, ...], debug: bool) -> None:
    """Estimate what it costs to train an AI model, and test published cost claims.

    \b
    Numbers (QUANTITY) take SI suffixes: 671B, 14.8T, 2.788M, 3.3e24.
    Scenario inputs (QUANTITY|DIST) also take a distribution:
      0.25..0.45  uniform:0.25,0.45   uniform
      loguniform:1,4                  log-uniform
      tri:0.2,0.35,0.5                triangular (low, mode, high)
      normal:14.8T,0.5T               normal (mean, sd), truncated to the input's domain
      lognormal:2,1.3                 lognormal (median, geometric sd)
      beta:8,15                       beta, for fractions
    With any distribution (or the utilization prior) the result is sampled
    (--samples, default 20,000); --samples 0 gives the point estimate at the medians.

    \b
    Examples:
      costmodel check deepseek-v3
      costmodel estimate --active-params 37B --tokens 14.8T --gpu h800-sxm \\
          --precision bf16 --mfu 0.35 --price-usd-per-gpu-hour 2 --n-gpus 2048
      costmodel gpus
    """
    from ..data import store

    if presets_dirs:
        store.set_user_dirs(list(presets_dirs))


#: ASCII spellings of the non-ASCII characters costmodel prints, for a terminal or pipe whose
#: encoding cannot show them (PYTHONIOENCODING=latin-1, a C locale).
ASCII_FALLBACK = {
    "≤": "<=", "≥": ">=", "≠": "!=", "≈": "~", "∝": "~", "±": "+/-", "×": "x", "÷": "/",
    "·": "*", "−": "-", "–": "-", "—": "--", "→": "->", "←": "<-", "↔": "<->", "…": "...",
    "“": '"', "”": '"', "‘": "'", "’": "'", "•": "*", "∞": "inf", "µ": "u", "μ": "u",
    "²": "^2", "³": "^3", "¹": "^1", "⁰": "^0", "⁴": "^4", "⁵": "^5", "⁶": "^6", "⁷": "^7",
    "⁸": "^8", "⁹": "^9", "⁻": "-", "σ": "sd", "Σ": "sum", "✓": "ok", "✗": "x", "\u00a0": " ",
    "\u202f": " ", "\u2009": " ", "█": "#", "▏": "|", "▕": "|", "│": "|", "─": "-",
}  # fmt: skip


def _ascii_fallback(err: UnicodeError) -> tuple[str, int]:
    """Codec error handler: each character the stream cannot encode becomes its ASCII
    spelling (NFKD-decomposed where no spelling is listed, else '?')."""
    import unicodedata

    if not isinstance(err, UnicodeEncodeError):
        raise err
    out = []
    for ch in err.object[err.start : err.end]:
        text = ASCII_FALLBACK.get(ch)
        if text is None:
            text = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode() or "?"
        out.append(text)
    return "".join(out), err.end


def use_ascii_fallback() -> None:
    """Make stdout and stderr fall back to ASCII spellings instead of raising
    ``UnicodeEncodeError`` when their encoding cannot show a character ("≤" in latin-1)."""
    import codecs

    codecs.register_error("costmodel-ascii", _ascii_fallback)
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            try:
                stream.reconfigure(errors="costmodel-ascii")
            except (ValueError, OSError):  # a closed or detached stream
                pass


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point.

    Pydantic scans every installed distribution for plugins on the first model build;
    the CLI has no use for them, so (unless the user set the variable) it skips the scan
    for a faster start. The library, imported in a user's process, leaves it alone.
    """
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    install_signal_handlers()
    try:
        return cli.main(args=argv, prog_name="costmodel")
    finally:
        # The process ends here. The interpreter's shutdown runs full garbage collections
        # over every object numpy, pydantic and click created (~0.1 s, a fifth of a point
        # estimate); frozen objects are skipped, and their memory goes back to the OS with
        # the process. Nothing relies on a collection at exit: output is flushed and temp
        # files are removed explicitly. Only here: an in-process caller keeps its collector.
        gc.freeze()
