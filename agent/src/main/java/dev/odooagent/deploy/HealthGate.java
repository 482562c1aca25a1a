package dev.odooagent.deploy;

import io.vertx.core.Future;
import java.time.Duration;

/** Decides whether a freshly started container is healthy; completes with the verdict, never fails. */
public interface HealthGate {
  /** Waits for the container's verdict, bounded by {@code timeout} from now. */
  Future<Verdict> await(String containerId, Duration timeout);

  /** The gate's verdict and, when it failed, why in plain words. */
  record Verdict(boolean healthy, String reason) {}
}
