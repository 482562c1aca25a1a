package dev.odooagent.docker;

import java.io.IOException;

/** An engine call failed; the message names the verb, the object and what the engine said. */
public final class DockerException extends RuntimeException {
  private final boolean engineUnreachable;

  /** Creates the exception with its user-facing message and cause; an I/O failure in the cause means the engine was unreachable. */
  public DockerException(String message, Throwable cause) {
    this(message, cause, ioFailure(cause));
  }

  /** Creates the exception, saying explicitly whether the engine could not be reached (a transient failure worth a retry). */
  public DockerException(String message, Throwable cause, boolean engineUnreachable) {
    super(message, cause);
    this.engineUnreachable = engineUnreachable;
  }

  /** True when the engine could not be reached or dropped the connection (dockerd stopped or restarting), not when it refused. */
  public boolean engineUnreachable() {
    return engineUnreachable;
  }

  /** True when {@code e} or one of its causes is a {@link DockerException} for an unreachable engine. */
  public static boolean isEngineUnreachable(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof DockerException d && d.engineUnreachable) {
        return true;
      }
    }
    return false;
  }

  private static boolean ioFailure(Throwable cause) {
    for (Throwable t = cause; t != null; t = t.getCause()) {
      if (t instanceof DockerException d) {
        return d.engineUnreachable;
      }
      if (t instanceof IOException) {
        return true;
      }
    }
    return false;
  }
}
