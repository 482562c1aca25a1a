package dev.odooagent.event;

/** What the downstream policy said about a trigger it was offered. */
public enum Verdict {
  ACCEPTED,
  IGNORED
}
