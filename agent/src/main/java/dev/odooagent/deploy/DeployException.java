package dev.odooagent.deploy;

/** A deploy step failed; carries the step and, after the old container was stopped, the rollback reason. */
public final class DeployException extends RuntimeException {
  private final String step;
  private final String rollbackReason;

  /** A failure in {@code step}; {@code rollbackReason} is null before anything was changed. */
  public DeployException(String step, String rollbackReason, String message) {
    super(message);
    this.step = step;
    this.rollbackReason = rollbackReason;
  }

  /** The step that failed. */
  public String step() {
    return step;
  }

  /** The CONTRACT.md rollback reason, or null when the service was never touched. */
  public String rollbackReason() {
    return rollbackReason;
  }
}
