package dev.odooagent.docker;

/** An engine call failed; the message names the verb, the object and what the engine said. */
public final class DockerException extends RuntimeException {
  /** Creates the exception with its user-facing message and cause. */
  public DockerException(String message, Throwable cause) {
    super(message, cause);
  }
}
