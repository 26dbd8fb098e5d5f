"""Speech: neural voice-overs (speech.voiceover) and timed captions (speech.captions), offline by default."""
