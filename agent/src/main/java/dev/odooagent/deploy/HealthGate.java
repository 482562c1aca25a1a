package dev.odooagent.deploy;

import io.vertx.core.Future;
import java.time.Duration;

/** Decides whether a freshly started container is healthy; completes with the verdict, never fails. */
public interface HealthGate {
  /**
   * Waits for the container's verdict, bounded by {@code timeout} from now, probing deploy.health_url (in its alias
   * form, at the container's own address).
   */
  Future<Verdict> await(String containerId, Duration timeout);

  /** As {@link #await}, probing the container at its own network address with health_url's port and path. */
  Future<Verdict> awaitAtOwnAddress(String containerId, Duration timeout);

  /** The gate's verdict and, when it failed, why in plain words. */
  record Verdict(boolean healthy, String reason) {}
}
