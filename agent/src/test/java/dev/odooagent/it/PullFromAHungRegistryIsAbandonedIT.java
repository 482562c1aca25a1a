package dev.odooagent.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.odooagent.docker.DockerException;
import dev.odooagent.docker.DockerJavaEngine;
import dev.odooagent.docker.RegistryAuth;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * dockerd has no timeout for a registry that accepts connections and never answers, so a pull (and docker-java's wait
 * for it) would hang forever. The engine client's bounded pull gives up at its timeout and closes the stream, and
 * dockerd cancels the pull: once the registry answers again, the same pull goes through at once instead of joining
 * the hung one.
 */
class PullFromAHungRegistryIsAbandonedIT {
  Vertx vertx;
  DockerJavaEngine engine;
  RegistryProxy registry;

  @AfterEach
  void down() {
    if (engine != null) {
      engine.close();
    }
    if (vertx != null) {
      vertx.close();
    }
    if (registry != null) {
      registry.close();
      TestBed.dockerQuiet("rmi", registry.image() + "@" + TestBed.digest("v2"));
    }
  }

  @Test
  void aPullHeldAtTheRegistryFailsAtItsTimeoutAndIsCancelled() throws Exception {
    registry = new RegistryProxy(15126, Integer.parseInt(TestBed.env("REGISTRY").replaceAll(".*:", "")), true);
    TestBed.dockerQuiet("rmi", registry.image() + "@" + TestBed.digest("v2"));
    vertx = Vertx.vertx();
    engine = new DockerJavaEngine(vertx, "unix:///var/run/docker.sock", Duration.ofMinutes(5));
    RegistryAuth auth = new RegistryAuth("127.0.0.1:" + registry.port, TestBed.env("REGISTRY_USER"), TestBed.secret("REGISTRY_PASSWORD_FILE"));

    long t0 = System.nanoTime();
    Future<Void> hung = engine.pullImage(registry.image(), TestBed.digest("v2"), auth, line -> { }, Duration.ofSeconds(5));
    Throwable failure = hung.toCompletionStage().toCompletableFuture().handle((ok, e) -> e).get(60, TimeUnit.SECONDS);
    Duration took = Duration.ofNanos(System.nanoTime() - t0);

    assertTrue(registry.held.get() > 0, "dockerd's pull reached the registry and was held there");
    assertTrue(failure != null && failure.getMessage().contains("deploy.pull_timeout"), "the pull failed at its timeout: " + failure);
    assertTrue(!DockerException.isEngineUnreachable(failure), "a hung registry is not an engine failure");
    assertTrue(took.compareTo(Duration.ofSeconds(20)) < 0, "abandoned near its 5 s timeout, not after " + took.toSeconds() + " s");

    registry.relay();
    engine.pullImage(registry.image(), TestBed.digest("v2"), auth, line -> { }, Duration.ofSeconds(60))
        .toCompletionStage().toCompletableFuture().get(90, TimeUnit.SECONDS);
    assertTrue(engine.inspectImage(registry.image() + "@" + TestBed.digest("v2")).toCompletionStage().toCompletableFuture()
        .get(30, TimeUnit.SECONDS).isPresent(), "the next pull went through: dockerd had cancelled the hung one");
  }
}
