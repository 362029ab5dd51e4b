"""The chain's shape: order, the parallel detections, retry from a step."""

from __future__ import annotations

from pipeline import chain
from tasks import canvas


def test_chain_order_matches_the_pipeline() -> None:
    flat = ["|".join(stage) for stage in chain.STAGES]
    assert flat == [
        "validate",
        "detect_press|count_plates|detect_outputter",
        "render_preview",
        "hold",
        "upload_plate",
        "upload_preview",
        "notify_sms",
        "persist",
    ]


def test_build_passes_only_the_job_id_to_immutable_signatures() -> None:
    chain = canvas.build(42)
    tasks = chain.tasks
    assert tasks[0].task == "tasks.validate" and tasks[0].args == (42,) and tasks[0].immutable
    group = tasks[1]
    assert sorted(t.task for t in group.tasks) == [
        "tasks.count_plates",
        "tasks.detect_outputter",
        "tasks.detect_press",
    ]
    assert all(t.args == (42,) and t.immutable for t in group.tasks)
    assert str(chain).rstrip(")").endswith("persist(42")


def test_retry_starts_at_the_stage_of_the_failed_step() -> None:
    assert chain.stages_from("upload_plate")[0] == ("upload_plate",)
    assert chain.stages_from("count_plates")[0] == (
        "detect_press",
        "count_plates",
        "detect_outputter",
    )
    names = [t.task for t in canvas.build(1, "notify_sms").tasks]
    assert names == ["tasks.notify_sms", "tasks.persist"]


def test_routes_and_step_rows_come_from_the_one_chain_definition() -> None:
    import celeryconfig

    # Given the chain's definition, when Celery's routes are read
    routes = {name: route["queue"] for name, route in celeryconfig.task_routes.items()}
    # Then every step is routed to its queue and the backup to ops
    assert routes["tasks.render_preview"] == "cpu" and routes["tasks.upload_plate"] == "io"
    assert routes["tasks.backup_database"] == "ops"
    assert set(chain.STEPS) == {name.removeprefix("tasks.") for name in routes} - {
        "backup_database"
    }
    assert "tasks.upload_plate" not in celeryconfig.CPU_TASKS
