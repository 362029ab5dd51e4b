"""The chain's shape: order, the parallel detections, retry from a step."""

from __future__ import annotations

from tasks import canvas


def test_chain_order_matches_the_pipeline() -> None:
    flat = [s if isinstance(s, str) else "|".join(s) for s in canvas.CHAIN]
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
    assert canvas.stages_from("upload_plate")[0] == "upload_plate"
    assert canvas.stages_from("count_plates")[0] == (
        "detect_press",
        "count_plates",
        "detect_outputter",
    )
    names = [t.task for t in canvas.build(1, "notify_sms").tasks]
    assert names == ["tasks.notify_sms", "tasks.persist"]
