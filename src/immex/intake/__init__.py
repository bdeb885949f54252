"""Intake: stage → validate → confirm. Problems are values, never the first exception."""
