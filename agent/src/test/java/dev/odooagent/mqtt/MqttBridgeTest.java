package dev.odooagent.mqtt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.odooagent.event.Verdict;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MqttBridgeTest {

  @TempDir
  Path dir;
  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private MqttBridge bridge(String url, Path stateDir, Path ca) {
    MqttSettings settings = new MqttSettings(url, "odoo-agent", "pw", ca, "odoo", "h1", null, stateDir,
        "ghcr.io/jgtolentino/odoo-ce");
    return new MqttBridge(vertx, settings, t -> Verdict.IGNORED, (s, r) -> { }, c -> Future.succeededFuture(),
        () -> new JsonObject().put("state", "idle"));
  }

  private static int closedPort() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  @Test
  void startCompletesWithoutABrokerAndKeepsRetrying() throws Exception {
    MqttBridge bridge = bridge("mqtt://127.0.0.1:" + closedPort(), dir.resolve("state"), null);
    bridge.start().await(20, TimeUnit.SECONDS);
    assertFalse(bridge.connected());
    assertTrue(Files.exists(dir.resolve("state").resolve(MqttBridge.COMMAND_ID_FILE)));
    bridge.publishStatus(new JsonObject().put("state", "deploying")).await(5, TimeUnit.SECONDS);
    bridge.publishEvent(new JsonObject().put("step", "pull")).await(5, TimeUnit.SECONDS);
    bridge.stop().await(10, TimeUnit.SECONDS);
  }

  @Test
  void startFailsWhenTheStateDirectoryIsUnusable() throws Exception {
    Path notADirectory = Files.writeString(dir.resolve("file"), "x");
    MqttBridge bridge = bridge("mqtt://127.0.0.1:" + closedPort(), notADirectory, null);
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> bridge.start().toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS));
    assertTrue(e.getCause().getMessage().startsWith("mqtt: cannot open the command id file " + notADirectory),
        e.getCause().getMessage());
    assertTrue(e.getCause().getMessage().endsWith("(check that state_dir is writable by the agent)"));
  }

  @Test
  void startFailsWhenTheCaFileIsMissing() throws Exception {
    Path missing = dir.resolve("missing-ca.crt");
    MqttBridge bridge = bridge("mqtts://127.0.0.1:" + closedPort(), dir.resolve("state"), missing);
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> bridge.start().toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS));
    assertEquals("mqtt: the CA file " + missing + " is not readable (fix mqtt.ca_file)", e.getCause().getMessage());
  }
}
