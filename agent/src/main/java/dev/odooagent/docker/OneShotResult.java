package dev.odooagent.docker;

/** How a one-shot container ended: its exit code (or null when killed at the timeout) and the tail of its output. */
public record OneShotResult(Integer exitCode, boolean timedOut, String outputTail) {
  /** Whether it exited 0 within its time. */
  public boolean succeeded() {
    return !timedOut && exitCode != null && exitCode == 0;
  }
}
