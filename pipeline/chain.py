"""The per-file chain, defined once: its steps in order, each step's queue, label and facts.

    validate -> (detect_press | count_plates | detect_outputter) -> render_preview
             -> hold -> upload_plate -> upload_preview -> notify_sms -> persist

(:func:`diagram` draws it from :data:`CHAIN`; a test holds this copy and the README's to it.)
Everything else is derived from :data:`CHAIN`: the Celery canvas (tasks/canvas.py), the step
rows of a new job and their order (models/store.py, models/steps.py), the task routes
(celeryconfig.py), the step names the dashboard and ``prepress show`` display, the target each
step sends to (pipeline/targets.py), the upload steps the grid shows, the hold step and where
an approved job resumes. Adding a step means adding one :class:`StepDef` here (and its task in
tasks/stages.py).

Also defined once here, for models/, tasks/, commands/ and web/ alike: the queues, the modes
and the final job statuses. Plain data, no imports: the domain rule of what runs in what order.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Queue of CPU-bound steps (prefork pool).
CPU = "cpu"
#: Queue of network and database steps (threads); Celery's default queue.
IO = "io"
#: Queue of operator tasks that need the main host (pg_dump, the backup key).
OPS = "ops"
#: Every queue a worker may serve; a worker host serves some of them.
QUEUES = (CPU, IO, OPS)

#: Run-time modes the operator switches between (DOMAIN.md).
MODES = ("normal", "import", "dry-run")

#: Job statuses.
QUEUED, RUNNING, DONE, REJECTED, FAILED = "queued", "running", "done", "rejected", "failed"
#: Job statuses after which no step runs any more.
FINAL_STATUSES = (DONE, REJECTED, FAILED)
#: Job status of a job the hold stopped before its plate upload, until a person decides: no
#: step runs and no message waits for it (tasks/hold.py).
HELD = "held"
#: Every status a job is shown with, each one a filter (``prepress jobs --status``, the
#: grid): ``waiting`` is a queued or running job whose step waits to retry a transient fault.
SHOWN_STATUSES = (QUEUED, RUNNING, "waiting", HELD, DONE, REJECTED, FAILED)


@dataclass(frozen=True)
class StepDef:
    """One step of the chain: its name (task ``tasks.<name>``), queue and display label, the
    kind of target it sends to (``bureau``, ``press``, ``sms``: pipeline/targets.py), whether
    it uploads a file, and whether it holds a job until a person decides (an approved job
    resumes at the stage after it)."""

    name: str
    queue: str
    label: str
    target: str | None = None
    uploads: bool = False
    holds: bool = False

    @property
    def task(self) -> str:
        """The Celery task name of the step."""
        return f"tasks.{self.name}"


#: The chain, stage by stage; a tuple is a group of steps that run side by side.
CHAIN: tuple[StepDef | tuple[StepDef, ...], ...] = (
    StepDef("validate", CPU, "check file"),
    (
        StepDef("detect_press", CPU, "press"),
        StepDef("count_plates", CPU, "plates"),
        StepDef("detect_outputter", CPU, "bureau"),
    ),
    StepDef("render_preview", CPU, "preview"),
    StepDef("hold", CPU, "preflight and hold", holds=True),
    StepDef("upload_plate", IO, "send to bureau", target="bureau", uploads=True),
    StepDef("upload_preview", IO, "send to press", target="press", uploads=True),
    StepDef("notify_sms", IO, "SMS", target="sms"),
    StepDef("persist", IO, "archive"),
)

#: Longest line of :func:`diagram`.
DIAGRAM_WIDTH = 80
#: Operator tasks (not steps of a job) and the queue each runs on.
OPERATOR_TASKS: dict[str, str] = {"tasks.backup_database": OPS}

#: The stages as tuples of step names, in order.
STAGES: tuple[tuple[str, ...], ...] = tuple(
    tuple(s.name for s in stage) if isinstance(stage, tuple) else (stage.name,) for stage in CHAIN
)
#: Every step, in chain order.
STEP_DEFS: tuple[StepDef, ...] = tuple(
    s for stage in CHAIN for s in (stage if isinstance(stage, tuple) else (stage,))
)
#: Every step name, in chain order.
STEPS: tuple[str, ...] = tuple(s.name for s in STEP_DEFS)
#: Step name -> its definition.
BY_NAME: dict[str, StepDef] = {s.name: s for s in STEP_DEFS}
#: The steps that upload a file (the grid shows their state): the plate file, the preview.
UPLOAD_STEPS: tuple[str, ...] = tuple(s.name for s in STEP_DEFS if s.uploads)
#: The step that uploads the plate file to the CTP bureau: where plates are bought.
PLATE_UPLOAD: str = next(s.name for s in STEP_DEFS if s.uploads and s.target == "bureau")
#: The step that holds a job until a person approves or rejects it.
HOLD_STEP: str = next(s.name for s in STEP_DEFS if s.holds)
#: The step an approved job's chain resumes at: the first of the stage after the hold.
RESUME_AFTER_HOLD: str = STAGES[next(i for i, t in enumerate(STAGES) if HOLD_STEP in t) + 1][0]
#: The last step: a job that ends it is done, its file archived.
LAST_STEP: str = STEPS[-1]


def stage_of(name: str) -> int:
    """Index of the stage holding step ``name``."""
    for index, stage in enumerate(STAGES):
        if name in stage:
            return index
    raise ValueError(f"unknown step {name!r}; the chain's steps are {', '.join(STEPS)}")


def stages_from(name: str) -> tuple[tuple[str, ...], ...]:
    """The stages from the one holding step ``name`` to the end."""
    return STAGES[stage_of(name) :]


def order_of(name: str) -> int:
    """Position of step ``name`` in chain order (unknown names last), for sorting."""
    return STEPS.index(name) if name in BY_NAME else len(STEPS)


def target_of(name: str) -> str | None:
    """The kind of target step ``name`` sends to (``bureau``, ``press``, ``sms``), if any."""
    step = BY_NAME.get(name)
    return step.target if step else None


def diagram() -> str:
    """The chain as the docstring above and the README draw it: stages joined by ``->``, a
    group in parentheses, lines wrapped before an arrow at DIAGRAM_WIDTH, the arrows of
    later lines under the first."""
    parts = [" | ".join(stage).join("()") if len(stage) > 1 else stage[0] for stage in STAGES]
    lines, indent = [parts[0]], " " * len(parts[0])
    for part in parts[1:]:
        piece = f" -> {part}"
        if len(lines[-1] + piece) > DIAGRAM_WIDTH:
            lines.append(indent + piece)
        else:
            lines[-1] += piece
    return "\n".join(lines)


def label_of(name: str) -> str:
    """What the dashboard and ``prepress show`` call the step."""
    step = BY_NAME.get(name)
    return step.label if step else name


def queues_by_task() -> dict[str, str]:
    """Celery task name -> queue, for every step and operator task."""
    return {**{s.task: s.queue for s in STEP_DEFS}, **OPERATOR_TASKS}
