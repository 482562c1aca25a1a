package dev.odooagent.deploy;

import dev.odooagent.docker.DockerException;

/**
 * Why a deploy did not go through: either {@link Refused} before anything on the host changed, or {@link Broke}
 * after the old container was stopped, with the rollback reason.
 */
public abstract sealed class DeployException extends RuntimeException permits DeployException.Refused, DeployException.Broke {
  private final Step step;

  private DeployException(Step step, String message) {
    super(message);
    this.step = step;
  }

  /** The step that failed. */
  public Step step() {
    return step;
  }

  /** Refused before any change: the service still runs as before. */
  public static final class Refused extends DeployException {
    /** A refusal in {@code step}. */
    public Refused(Step step, String message) {
      super(step, message);
    }
  }

  /** Failed after the old container was stopped: to be rolled back for {@code reason}. */
  public static final class Broke extends DeployException {
    private final RollbackReason reason;

    /** A failure in {@code step} that calls for a rollback. */
    public Broke(Step step, RollbackReason reason, String message) {
      super(step, message);
      this.reason = reason;
    }

    /** The rollback reason. */
    public RollbackReason reason() {
      return reason;
    }
  }

  /** The failure for an unexpected error in {@code step}: a refusal before the host changed, an engine failure after. */
  public static DeployException in(Step step, Throwable e) {
    if (e instanceof Broke || (e instanceof Refused && !step.changesHost())) {
      return (DeployException) e;
    }
    String m = e.getMessage() == null ? e.toString() : e.getMessage();
    if (!step.changesHost()) {
      return new Refused(step, m);
    }
    // the engine's own errors say so; a step's timeout or failure keeps the step's reason
    RollbackReason why = e instanceof DockerException ? RollbackReason.ENGINE_FAILED : step.failure();
    return new Broke(step, why, step.word() + ": " + m);
  }
}
