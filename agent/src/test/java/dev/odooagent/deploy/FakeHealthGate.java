package dev.odooagent.deploy;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/** A health gate with a scripted verdict per container (by the fake engine's alias); healthy unless told otherwise. */
final class FakeHealthGate implements HealthGate {
  private final FakeDockerEngine docker;
  final Map<String, Verdict> verdicts = new HashMap<>();
  private Promise<Verdict> held;
  private Promise<Void> reached;

  FakeHealthGate(FakeDockerEngine docker) {
    this.docker = docker;
  }

  /** The next gate waits until the returned promise is completed; {@code reached} completes when it starts waiting. */
  Promise<Verdict> holdNext(Promise<Void> reached) {
    this.held = Promise.promise();
    this.reached = reached;
    return held;
  }

  @Override
  public Future<Verdict> await(String containerId, Duration timeout) {
    return await(containerId, "");
  }

  /** Recorded as {@code gate <alias> at its address}. */
  @Override
  public Future<Verdict> awaitAtOwnAddress(String containerId, Duration timeout) {
    return await(containerId, " at its address");
  }

  private Future<Verdict> await(String containerId, String where) {
    FakeDockerEngine.Box b = docker.find(containerId);
    String alias = b == null ? containerId : b.alias;
    docker.calls.add(new FakeDockerEngine.Call("gate " + alias + where, docker.journalProbe.get()));
    if (held != null) {
      Promise<Verdict> h = held;
      held = null;
      reached.complete();
      return h.future();
    }
    if (b == null || !b.running) {
      return Future.succeededFuture(new Verdict(false, "container " + alias + " is not running"));
    }
    return Future.succeededFuture(verdicts.getOrDefault(alias, new Verdict(true, "")));
  }
}
