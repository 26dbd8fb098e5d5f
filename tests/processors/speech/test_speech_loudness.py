"""BS.1770 meter and true-peak limiter: calibration tones, streaming, and FFmpeg's ebur128 as referee."""

import math

import numpy as np
import pytest
from speech_media import ffmpeg_loudness, write_wav

from mediamill.processors.speech.loudness import LoudnessMeter, limit, true_peak


def sine(rate: int, seconds: float, amplitude: float, freq: float = 997.0) -> np.ndarray:
    return amplitude * np.sin(2 * np.pi * freq * np.arange(int(rate * seconds)) / rate)


@pytest.mark.parametrize("rate", [48_000, 44_100, 22_050, 16_000])
def test_full_scale_997_hz_sine_reads_minus_3_lufs(rate):
    # BS.1770's calibration: a 0 dBFS 997 Hz sine on one channel reads -3.01 LKFS.
    meter = LoudnessMeter(rate)
    meter.feed(sine(rate, 5, 1.0))
    assert meter.integrated_lufs == pytest.approx(-3.01, abs=0.1)
    assert meter.true_peak_dbtp == pytest.approx(0.0, abs=0.05)


def test_chunked_feeding_matches_one_pass():
    signal = sine(22_050, 6, 0.25, 440) * np.linspace(0.2, 1, 22_050 * 6)
    whole, chunked = LoudnessMeter(22_050), LoudnessMeter(22_050)
    whole.feed(signal)
    for part in np.array_split(signal, 53):
        chunked.feed(part)
    assert chunked.integrated_lufs == pytest.approx(whole.integrated_lufs, abs=0.01)
    assert chunked.true_peak_dbtp == pytest.approx(whole.true_peak_dbtp, abs=0.05)


def test_gates_ignore_silence():
    rate = 16_000
    tone = sine(rate, 3, 0.5)
    with_silence = np.concatenate([tone, np.zeros(rate * 10), tone])
    plain, gated = LoudnessMeter(rate), LoudnessMeter(rate)
    plain.feed(tone)
    gated.feed(with_silence)
    # Only the few 400 ms blocks straddling the tone's edges pass the gates besides the tone itself;
    # without gating the silence would pull the reading down by over 4 LU.
    assert gated.integrated_lufs == pytest.approx(plain.integrated_lufs, abs=0.3)
    silent = LoudnessMeter(rate)
    silent.feed(np.zeros(rate * 2))
    assert silent.integrated_lufs == -math.inf


def test_true_peak_sees_intersample_peaks():
    # A quarter-rate sine sampled at 45 degrees never hits its crest on a sample: sample peak 0.707.
    rate = 48_000
    signal = np.sin(2 * np.pi * (rate / 4) * np.arange(rate) / rate + np.pi / 4)
    assert np.abs(signal).max() == pytest.approx(0.707, abs=0.01)
    assert true_peak(signal) == pytest.approx(1.0, abs=0.03)


def test_limiter_holds_the_ceiling_and_leaves_quiet_audio_alone():
    rate = 22_050
    rng = np.random.default_rng(1)
    loud = (rng.normal(0, 0.5, rate * 3) * np.sin(np.arange(rate * 3) / 3000) ** 2).astype(np.float32)
    limited = limit(loud * 4, -1.0, rate)
    assert 20 * math.log10(true_peak(limited)) <= -0.95
    quiet = sine(rate, 1, 0.1).astype(np.float32)
    assert np.array_equal(limit(quiet, -1.0, rate), quiet)


def test_meter_agrees_with_ffmpeg_ebur128(tmp_path):
    rate = 22_050
    rng = np.random.default_rng(7)
    envelope = 0.5 + 0.5 * np.sin(np.arange(rate * 8) / 5000)
    signal = np.clip(rng.normal(0, 0.08, rate * 8) * envelope, -1, 1)
    path = write_wav(tmp_path / "noise.wav", signal, rate)
    meter = LoudnessMeter(rate)
    meter.feed(np.clip(signal * 32767, -32768, 32767).astype(np.int16) / 32767)
    reference_lufs, reference_peak = ffmpeg_loudness(path)
    assert meter.integrated_lufs == pytest.approx(reference_lufs, abs=0.2)
    assert meter.true_peak_dbtp == pytest.approx(reference_peak, abs=0.3)


@pytest.mark.parametrize("gain_db", [-20.0, 0.0, 6.0, 12.0])
def test_the_gain_search_estimate_matches_a_real_limited_pass(gain_db):
    from mediamill.processors.speech.loudness import (
        block_energies,
        block_peaks,
        limiter_gain,
        loudness_after_limiting,
    )

    rate, ceiling = 22050, -1.0
    rng = np.random.default_rng(7)
    # Speech-like: bursts of filtered noise with loud onsets, at several levels, in uneven chunks.
    chunks, peaks, energies, pieces, offset, meter = [], [], [], [], 0, LoudnessMeter(rate, true_peak=False)
    for _ in range(12):
        size = int(rate * rng.uniform(0.4, 2.5))
        envelope = np.exp(-np.linspace(0, rng.uniform(1, 6), size)) * rng.uniform(0.05, 0.9)
        piece = (np.convolve(rng.standard_normal(size), np.ones(8) / 4, mode="same") * envelope).astype(np.float32)
        chunks.append((offset, size))
        peaks.append(block_peaks(piece, rate))
        energies.append(block_energies(meter.feed(piece), rate))
        pieces.append(piece)
        offset += size
    estimate = loudness_after_limiting(chunks, peaks, energies, gain_db, ceiling, rate)

    exact = LoudnessMeter(rate, true_peak=False)
    for piece, chunk_peaks in zip(pieces, peaks, strict=True):
        exact.feed(piece * limiter_gain(chunk_peaks, piece.size, gain_db, ceiling, rate))
    assert estimate == pytest.approx(exact.integrated_lufs, abs=0.15)
    if gain_db == -20.0:  # nothing to limit: plain gain, exactly
        assert estimate == pytest.approx(meter.integrated_lufs - 20, abs=0.01)
    else:
        assert estimate < meter.integrated_lufs + gain_db - 0.5, "the limiter took its share"
