"""The public surface is small and every name in it resolves."""

import mediamill


def test_public_names():
    assert mediamill.__all__ == ["Artifact", "AsyncClient", "BadInput", "Client", "JobHandle", "MediamillError",
                                 "TaskContext", "task"]
    for name in mediamill.__all__:
        assert getattr(mediamill, name).__name__ == name
