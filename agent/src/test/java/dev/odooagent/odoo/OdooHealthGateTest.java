package dev.odooagent.odoo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.odooagent.deploy.HealthGate;
import dev.odooagent.docker.ContainerInfo;
import dev.odooagent.docker.DockerEngine;
import dev.odooagent.docker.DockerException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The gate's verdicts when the engine goes away under it: the orderings a dockerd restart produces, one inspect at a time. */
class OdooHealthGateTest {
  final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() {
    vertx.close();
  }

  private static Object running(String startedAt) {
    return new ContainerInfo("c1", "odoo", "img", "sha256:1", true, "running", 0, startedAt, Map.of(), new JsonObject());
  }

  private static Object restarted(String startedAt) {
    return new ContainerInfo("c1", "odoo", "img", "sha256:1", true, "running", 1, startedAt, Map.of(), new JsonObject());
  }

  private static Object exited() {
    return new ContainerInfo("c1", "odoo", "img", "sha256:1", false, "exited", 0, "A", Map.of(), new JsonObject());
  }

  private static final Object AWAY = new DockerException("inspect container c1 failed: connection refused", null, true);

  /** The gate's verdict within {@code timeout} over an engine whose inspects answer {@code answers} in turn (the last repeats). */
  private HealthGate.Verdict verdict(Duration timeout, Object... answers) throws Exception {
    Deque<Object> queue = new ArrayDeque<>(java.util.List.of(answers));
    DockerEngine docker = (DockerEngine) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {DockerEngine.class},
        (proxy, method, args) -> {
          if (!method.getName().equals("inspectContainer")) {
            throw new UnsupportedOperationException(method.getName());
          }
          Object a = queue.size() > 1 ? queue.poll() : queue.peek();
          return a instanceof DockerException e ? Future.failedFuture(e) : Future.succeededFuture(Optional.of(a));
        });
    // nothing listens on port 1: every probe fails, so only the container's state can end the gate early
    HealthProbe probe = new HealthProbe(vertx, URI.create("http://127.0.0.1:1/web/health"), Duration.ofSeconds(1));
    return new OdooHealthGate(vertx, docker, probe, Duration.ofMillis(10), 3, Duration.ofMillis(200)).await("c1", timeout)
        .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void aContainerStartedAgainAfterTheEngineWasAwayFailsNamingTheEngine() throws Exception {
    HealthGate.Verdict v = verdict(Duration.ofSeconds(20), running("A"), running("A"), AWAY, AWAY, running("B"));
    assertFalse(v.healthy());
    assertTrue(v.reason().startsWith("the container was started again at B while the Docker engine was unreachable"), v.reason());
  }

  @Test
  void aStopSeenJustBeforeTheEngineGoesAwayIsJudgedOnlyWhenItIsBack() throws Exception {
    HealthGate.Verdict v = verdict(Duration.ofSeconds(20), running("A"), exited(), AWAY, AWAY, exited());
    assertFalse(v.healthy());
    assertTrue(v.reason().startsWith("the container stopped (exited) while the Docker engine was unreachable"), v.reason());
  }

  @Test
  void aStopThatLastsWithTheEngineThereIsAPlainStop() throws Exception {
    HealthGate.Verdict v = verdict(Duration.ofSeconds(20), running("A"), exited());
    assertEquals(new HealthGate.Verdict(false, "the container stopped (exited)"), v);
  }

  @Test
  void aContainerThatCrashedAndWasRestartedByItsPolicyFailsAtOnce() throws Exception {
    HealthGate.Verdict v = verdict(Duration.ofSeconds(20), running("A"), restarted("B"));
    assertEquals(new HealthGate.Verdict(false, "the container restarted 1 time(s)"), v);
  }

  @Test
  void anEngineThatStaysAwayRunsOutTheTimeoutNamingIt() throws Exception {
    HealthGate.Verdict v = verdict(Duration.ofMillis(300), running("A"), AWAY);
    assertFalse(v.healthy());
    assertTrue(v.reason().contains("the Docker engine did not answer"), v.reason());
  }
}
