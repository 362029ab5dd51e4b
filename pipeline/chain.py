"""The per-file chain, defined once: its steps in order, each step's queue and label.

    validate -> (detect_press | count_plates | detect_outputter) -> render_preview
             -> upload_plate -> upload_preview -> notify_sms -> persist

Everything else is derived from :data:`CHAIN`: the Celery canvas (tasks/canvas.py), the step
rows of a new job and their order (models/store.py, models/steps.py), the task routes
(celeryconfig.py) and the step names the dashboard and ``prepress show`` display. Adding a
step means adding one :class:`StepDef` here (and its task in tasks/stages.py).

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
    """One step of the chain: its name (task ``tasks.<name>``), queue and display label."""

    name: str
    queue: str
    label: str

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
    StepDef("hold", CPU, "preflight and hold"),
    StepDef("upload_plate", IO, "send to bureau"),
    StepDef("upload_preview", IO, "send to press"),
    StepDef("notify_sms", IO, "SMS"),
    StepDef("persist", IO, "archive"),
)

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


def label_of(name: str) -> str:
    """What the dashboard and ``prepress show`` call the step."""
    step = BY_NAME.get(name)
    return step.label if step else name


def queues_by_task() -> dict[str, str]:
    """Celery task name -> queue, for every step and operator task."""
    return {**{s.task: s.queue for s in STEP_DEFS}, **OPERATOR_TASKS}
