"""A local HTTP server that speaks the documented OpenAI, Google Cloud TTS and ElevenLabs speech APIs.

It checks each request's shape (auth header, path, JSON or multipart fields) and answers with real
audio: Piper speaks the requested text, resampled to the rate the real service would send. The
transcription endpoint decodes the upload with PyAV and transcribes it with the bundled Whisper.
Text containing FAIL<status> makes the endpoint answer that HTTP status with the API's error body.
"""

from __future__ import annotations

import base64
import io
import re
import threading
import time
import wave

import numpy as np
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

KEY = "test-key"


def speech_pcm(text: str, rate: int = 24_000) -> bytes:
    from scipy.signal import resample_poly

    from mediamill.processors.speech.synth import PiperSynthesizer
    from mediamill.processors.speech.voices import find_voice

    voice = PiperSynthesizer(find_voice(None))
    samples = resample_poly(voice.synthesize(text), rate // 150, voice.sample_rate // 150)
    return (np.clip(samples * 0.5, -1, 1) * 32767).astype("<i2").tobytes()


def failure(text: str) -> Response | None:
    match = re.search(r"FAIL(\d{3})", text)
    if not match:
        return None
    status = int(match.group(1))
    return JSONResponse({"error": {"message": f"simulated failure {status}", "code": status}}, status_code=status)


class FakeSpeechAPIs:
    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.app = Starlette(routes=[
            Route("/v1/audio/speech", self.openai_speech, methods=["POST"]),
            Route("/v1/audio/transcriptions", self.openai_transcriptions, methods=["POST"]),
            Route("/v1/text:synthesize", self.google_synthesize, methods=["POST"]),
            Route("/v1/text-to-speech/{voice_id}", self.elevenlabs_tts, methods=["POST"]),
        ])

    def _unauthorised(self, ok: bool, body: dict) -> Response | None:
        return None if ok else JSONResponse(body, status_code=401)

    async def openai_speech(self, request: Request) -> Response:
        body = await request.json()
        self.requests.append({"api": "openai.speech", "headers": dict(request.headers), "json": body})
        denied = self._unauthorised(request.headers.get("authorization") == f"Bearer {KEY}",
                                    {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}})
        if denied:
            return denied
        assert set(body) <= {"model", "input", "voice", "response_format", "speed", "instructions"}, body
        assert body["model"] and body["voice"] and isinstance(body["input"], str) and body["input"].strip()
        assert len(body["input"]) <= 4096 and 0.25 <= body["speed"] <= 4.0
        assert body["response_format"] == "pcm"
        return failure(body["input"]) or Response(speech_pcm(body["input"]), media_type="audio/pcm")

    async def google_synthesize(self, request: Request) -> Response:
        body = await request.json()
        self.requests.append({"api": "google.synthesize", "headers": dict(request.headers), "json": body})
        denied = self._unauthorised(request.headers.get("x-goog-api-key") == KEY,
                                    {"error": {"code": 403, "message": "API key not valid.", "status": "PERMISSION_DENIED"}})
        if denied:
            return denied
        assert body["input"]["text"].strip()
        assert body["voice"]["languageCode"] and body["voice"]["name"].startswith(body["voice"]["languageCode"])
        config = body["audioConfig"]
        assert config["audioEncoding"] == "LINEAR16" and 0.25 <= config["speakingRate"] <= 4.0
        rate = config.get("sampleRateHertz", 24_000)
        if failed := failure(body["input"]["text"]):
            return failed
        buffer = io.BytesIO()
        with wave.open(buffer, "wb") as wav:  # LINEAR16 comes back with a WAV header
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(rate)
            wav.writeframes(speech_pcm(body["input"]["text"], rate))
        return JSONResponse({"audioContent": base64.b64encode(buffer.getvalue()).decode()})

    async def elevenlabs_tts(self, request: Request) -> Response:
        body = await request.json()
        self.requests.append({"api": "elevenlabs.tts", "headers": dict(request.headers), "json": body,
                              "voice_id": request.path_params["voice_id"], "query": dict(request.query_params)})
        denied = self._unauthorised(request.headers.get("xi-api-key") == KEY,
                                    {"detail": {"status": "invalid_api_key", "message": "Invalid API key"}})
        if denied:
            return denied
        assert body["text"].strip() and body["model_id"]
        assert request.query_params["output_format"] == "pcm_24000"
        return failure(body["text"]) or Response(speech_pcm(body["text"]), media_type="application/octet-stream")

    async def openai_transcriptions(self, request: Request) -> Response:
        form = await request.form()
        upload = form["file"]
        audio = await upload.read()
        self.requests.append({"api": "openai.transcriptions", "headers": dict(request.headers),
                              "form": {k: v for k, v in form.multi_items() if k != "file"},
                              "filename": upload.filename, "size": len(audio)})
        if request.headers.get("authorization") != f"Bearer {KEY}":
            return JSONResponse({"error": {"message": "Incorrect API key provided"}}, status_code=401)
        assert form["model"] == "whisper-1" and form["response_format"] == "verbose_json"
        assert form.getlist("timestamp_granularities[]") == ["word"]
        return JSONResponse(_transcribe(audio))


def _transcribe(audio: bytes) -> dict:
    import av

    from mediamill.processors.speech.transcribe import load_whisper, model_path

    with av.open(io.BytesIO(audio)) as container:  # a real upload must decode
        resampler = av.AudioResampler(format="flt", layout="mono", rate=16_000)
        samples = np.concatenate([out.to_ndarray().reshape(-1) for frame in container.decode(audio=0)
                                  for out in resampler.resample(frame)])
    segments, info = load_whisper(model_path()).transcribe(samples, language="en", word_timestamps=True)
    words = [{"word": w.word.strip(), "start": w.start, "end": w.end} for s in segments for w in s.words]
    return {"task": "transcribe", "language": "english", "duration": samples.size / 16_000,
            "text": " ".join(w["word"] for w in words), "words": words}


class RunningServer:
    """uvicorn serving the fake APIs on 127.0.0.1 (a free port) in a background thread."""

    def __init__(self, apis: FakeSpeechAPIs) -> None:
        import uvicorn

        self.apis = apis
        self.server = uvicorn.Server(uvicorn.Config(apis.app, host="127.0.0.1", port=0, log_level="warning",
                                                    lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, daemon=True, name="fake-speech-apis")

    def __enter__(self) -> RunningServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the fake speech API server did not start")
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
