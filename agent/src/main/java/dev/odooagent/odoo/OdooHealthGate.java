package dev.odooagent.odoo;

import dev.odooagent.deploy.HealthGate;
import dev.odooagent.docker.ContainerInfo;
import dev.odooagent.docker.DockerEngine;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Passes after {@code threshold} consecutive passes of the HTTP probe while the container keeps running with an
 * unchanged restart count; fails at once when the container stops or restarts, or when the timeout runs out.
 */
public final class OdooHealthGate implements HealthGate {
  private static final Logger LOG = LoggerFactory.getLogger(OdooHealthGate.class);
  private final Vertx vertx;
  private final DockerEngine docker;
  private final HealthProbe probe;
  private final Duration interval;
  private final int threshold;

  /** A gate probing every {@code interval} and needing {@code threshold} passes in a row. */
  public OdooHealthGate(Vertx vertx, DockerEngine docker, HealthProbe probe, Duration interval, int threshold) {
    this.vertx = vertx;
    this.docker = docker;
    this.probe = probe;
    this.interval = interval;
    this.threshold = threshold;
  }

  @Override
  public Future<Verdict> await(String containerId, Duration timeout) {
    Promise<Verdict> verdict = Promise.promise();
    long deadline = System.nanoTime() + timeout.toNanos();
    docker.inspectContainer(containerId).onComplete(first -> {
      int restarts = first.succeeded() ? first.result().map(ContainerInfo::restartCount).orElse(0) : 0;
      round(containerId, restarts, 0, deadline, "no probe finished", verdict);
    });
    return verdict.future();
  }

  private void round(String id, int restarts, int passes, long deadline, String lastReason, Promise<Verdict> verdict) {
    if (System.nanoTime() > deadline) {
      verdict.complete(new Verdict(false, "not healthy within the health timeout (last probe: " + lastReason + ")"));
      return;
    }
    Future<Optional<ContainerInfo>> state = docker.inspectContainer(id);
    Future<HealthProbe.Result> http = probe.probe();
    Future.join(state, http).onComplete(x -> {
      Optional<ContainerInfo> c = state.succeeded() ? state.result() : Optional.empty();
      if (c.isEmpty()) {
        verdict.complete(new Verdict(false, "the container disappeared"));
        return;
      }
      if (!c.get().running()) {
        verdict.complete(new Verdict(false, "the container stopped (" + c.get().status() + ")"));
        return;
      }
      if (c.get().restartCount() != restarts) {
        verdict.complete(new Verdict(false, "the container restarted " + (c.get().restartCount() - restarts) + " time(s)"));
        return;
      }
      HealthProbe.Result r = http.result();
      int n = r.pass() ? passes + 1 : 0;
      LOG.debug("gate {}: probe {} in {} ms ({}), {} in a row", id, r.pass() ? "pass" : "fail", Math.round(r.seconds() * 1000), r.reason(), n);
      if (n >= threshold) {
        verdict.complete(new Verdict(true, ""));
        return;
      }
      vertx.setTimer(interval.toMillis(), t -> round(id, restarts, n, deadline, r.pass() ? "pass" : r.reason(), verdict));
    });
  }
}
