"""The answer seed apps return on submission, `{jobId, status: 'queued'}`, is POST /v1/jobs's answer too."""


async def test_submission_answers_job_id_and_queued(api):
    answer = await api.post("/v1/jobs", json={"task": "analytics.track", "params": {"type": "ACTIVITY"}})
    assert answer.status_code == 202, answer.text
    body = answer.json()
    assert body["jobId"] == body["id"] and body["status"] == "queued"
