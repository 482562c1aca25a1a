package dev.odooagent.odoo;

import dev.odooagent.deploy.HealthGate;
import dev.odooagent.docker.ContainerInfo;
import dev.odooagent.docker.DockerEngine;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Passes after {@code threshold} consecutive passes of the HTTP probe while the container keeps running with an
 * unchanged restart count and start time; fails when the container restarts, stops or is started again (by an engine
 * restart; a stop is watched a few seconds first, so that an engine going away is seen first), or when the timeout runs
 * out. While the engine does not answer, no probe counts, but the timeout runs on.
 */
public final class OdooHealthGate implements HealthGate {
  private static final Logger LOG = LoggerFactory.getLogger(OdooHealthGate.class);
  private final Vertx vertx;
  private final DockerEngine docker;
  private final HealthProbe probe;
  private final Duration interval;
  private final int threshold;
  private final Duration stopConfirm;
  /**
   * How long a stopped container is watched before it is a verdict. dockerd, shutting down, stops its containers and
   * then still answers inspects for about a second (seen on 20.10) before it goes away: a verdict inside that window
   * would send the rollback to an engine that is leaving.
   */
  static final Duration STOP_CONFIRM = Duration.ofSeconds(5);

  /** A gate probing every {@code interval} and needing {@code threshold} passes in a row. */
  public OdooHealthGate(Vertx vertx, DockerEngine docker, HealthProbe probe, Duration interval, int threshold) {
    this(vertx, docker, probe, interval, threshold, STOP_CONFIRM);
  }

  /** As above, confirming a stop for {@code stopConfirm} before it is a verdict. */
  OdooHealthGate(Vertx vertx, DockerEngine docker, HealthProbe probe, Duration interval, int threshold, Duration stopConfirm) {
    this.vertx = vertx;
    this.docker = docker;
    this.probe = probe;
    this.interval = interval;
    this.threshold = threshold;
    this.stopConfirm = stopConfirm;
  }

  /**
   * What the container was when the gate began (a change in either means its process was started again), and whether
   * it is probed at its own address whatever health_url's host.
   */
  private record Baseline(int restarts, String startedAt, boolean own) {}

  @Override
  public Future<Verdict> await(String containerId, Duration timeout) {
    return await(containerId, timeout, false);
  }

  @Override
  public Future<Verdict> awaitAtOwnAddress(String containerId, Duration timeout) {
    return await(containerId, timeout, true);
  }

  private Future<Verdict> await(String containerId, Duration timeout, boolean own) {
    Promise<Verdict> verdict = Promise.promise();
    long deadline = System.nanoTime() + timeout.toNanos();
    docker.inspectContainer(containerId).onComplete(first -> {
      Optional<ContainerInfo> c = first.succeeded() ? first.result() : Optional.empty();
      Baseline base = new Baseline(c.map(ContainerInfo::restartCount).orElse(0), c.map(ContainerInfo::startedAt).orElse(null),
          own);
      round(containerId, base, new Round(0, "no probe finished", null, null, 0, c.map(i -> probe.at(i, own)).orElse(null)),
          deadline, verdict);
    });
    return verdict.future();
  }

  /**
   * What the rounds so far saw: passes in a row, the last probe's reason, the engine's last error while it did not
   * answer (else null), a stop seen but not yet confirmed (else null) with when it was first seen, and the URL the
   * container is probed at (null until an inspect told its address).
   */
  private record Round(int passes, String lastReason, String engineAway, String unconfirmedStop, long stopSeenAt, URI target) {}

  private void round(String id, Baseline base, Round seen, long deadline, Promise<Verdict> verdict) {
    if (System.nanoTime() > deadline) {
      verdict.complete(new Verdict(false, "not healthy within the health timeout (last probe: " + seen.lastReason() + ")"));
      return;
    }
    Future<Optional<ContainerInfo>> state = docker.inspectContainer(id);
    Future<HealthProbe.Result> http = seen.target() == null
        ? Future.succeededFuture(new HealthProbe.Result(false, 0, "the container's address is not known yet"))
        : probe.probe(seen.target());
    Future.join(state, http).onComplete(x -> {
      if (state.failed()) {
        // the engine is away (dockerd restarting): no verdict on the container from that; the deadline still holds
        String why = "the Docker engine did not answer: " + state.cause().getMessage();
        LOG.warn("gate {}: {}", id, why);
        next(id, base, new Round(0, why, why, null, 0, seen.target()), deadline, verdict);
        return;
      }
      String during = seen.engineAway() == null ? "" : " while the Docker engine was unreachable (" + seen.engineAway() + ")";
      Optional<ContainerInfo> c = state.result();
      URI target = seen.target() != null ? seen.target() : c.map(i -> probe.at(i, base.own())).orElse(null);
      if (c.isPresent() && c.get().restartCount() != base.restarts()) {
        // the engine restarted it after it exited by itself: its own failure, not the engine's
        verdict.complete(new Verdict(false, "the container restarted " + (c.get().restartCount() - base.restarts()) + " time(s)" + during));
        return;
      }
      String stop = c.isEmpty() ? "the container disappeared"
          : !c.get().running() ? "the container stopped (" + c.get().status() + ")"
          // an engine restart starts the container again without counting it as a restart
          : base.startedAt() != null && !base.startedAt().equals(c.get().startedAt()) ? "the container was started again at " + c.get().startedAt()
          : null;
      if (stop != null && seen.engineAway() == null
          && (seen.unconfirmedStop() == null || System.nanoTime() - seen.stopSeenAt() < stopConfirm.toNanos())) {
        // an engine that shuts down stops its containers while it still answers, and goes away a moment later: watch
        // a while, so that the verdict (and the rollback after it) comes when the engine is known to be there
        long since = seen.unconfirmedStop() == null ? System.nanoTime() : seen.stopSeenAt();
        next(id, base, new Round(0, stop, null, stop, since, target), deadline, verdict);
        return;
      }
      if (stop != null) {
        verdict.complete(new Verdict(false, stop + during));
        return;
      }
      HealthProbe.Result r = http.result();
      int n = r.pass() ? seen.passes() + 1 : 0;
      LOG.debug("gate {}: probe {} in {} ms ({}), {} in a row", id, r.pass() ? "pass" : "fail", Math.round(r.seconds() * 1000), r.reason(), n);
      if (n >= threshold) {
        verdict.complete(new Verdict(true, ""));
        return;
      }
      next(id, base, new Round(n, r.pass() ? "pass" : r.reason(), seen.engineAway(), null, 0, target), deadline, verdict);
    });
  }

  private void next(String id, Baseline base, Round seen, long deadline, Promise<Verdict> verdict) {
    vertx.setTimer(interval.toMillis(), t -> round(id, base, seen, deadline, verdict));
  }
}
