package dev.odooagent.notify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.odooagent.config.ConfigLoader;
import dev.odooagent.config.Secret;
import dev.odooagent.metrics.Metrics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The notifier against a real HTTP receiver on loopback. */
class NotifierTest {
  private static final String TOKEN = "T0KEN-in-the-path-7f3a";
  private static final List<Duration> FAST = List.of(Duration.ofMillis(10), Duration.ofMillis(20), Duration.ofMillis(40));

  @TempDir
  Path dir;
  Vertx vertx;
  HttpServer receiver;
  final List<JsonObject> bodies = new CopyOnWriteArrayList<>();
  final List<String> contentTypes = new CopyOnWriteArrayList<>();
  final AtomicInteger failFirst = new AtomicInteger();
  volatile int failStatus = 500;
  int port;
  Metrics metrics;

  @BeforeEach
  void up() throws Exception {
    vertx = Vertx.vertx();
    receiver = vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(b -> {
      bodies.add(b.toJsonObject());
      contentTypes.add(req.getHeader("Content-Type"));
      boolean fail = failFirst.getAndDecrement() > 0;
      req.response().setStatusCode(fail ? failStatus : 200).end("ok");
    }));
    port = get(receiver.listen(0, "127.0.0.1")).actualPort();
    metrics = new Metrics("h1", "test");
  }

  @AfterEach
  void down() throws Exception {
    get(vertx.close());
  }

  private static <T> T get(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private Notifier notifier(List<String> on, List<String> secrets) throws Exception {
    Files.writeString(dir.resolve("url"), "http://127.0.0.1:" + port + "/hooks/" + TOKEN + "\n");
    Secret url = new ConfigLoader(Map.of("ODOO_AGENT_HOST_ID", "h1", "ODOO_AGENT_NOTIFY_WEBHOOK_URL_FILE", dir.resolve("url").toString()))
        .load(null).config().notifications().webhookUrl();
    return new Notifier(vertx, url, on, secrets, metrics, FAST);
  }

  static DeployVerdict verdict(String outcome, String reason) {
    return DeployVerdict.of("h1", new JsonObject().put("id", "20260101-120000-1a2b").put("outcome", outcome)
        .put("from", new JsonObject().put("tag", "sha-aaaaaaa").put("digest", "sha256:" + "a".repeat(64)))
        .put("to", new JsonObject().put("tag", "sha-bbbbbbb").put("digest", "sha256:" + "b".repeat(64)))
        .put("started", "2026-01-01T12:00:00Z").put("finished", "2026-01-01T12:00:42.500Z").put("reason", reason).put("source", "admin"));
  }

  private double count(String result) {
    return metrics.scrape().lines().filter(l -> l.startsWith("odoo_agent_notifications_total{host=\"h1\",result=\"" + result + "\"}"))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).findFirst().orElse(Double.NaN);
  }

  @Test
  void aVerdictIsPostedAsJsonWithItsFieldsAndAChatLine() throws Exception {
    assertTrue(get(notifier(List.of("success", "rolled_back", "failed"), List.of()).send(verdict("rolled_back", "health gate failed"))));

    assertEquals(1, bodies.size());
    JsonObject b = bodies.get(0);
    assertEquals("application/json", contentTypes.get(0));
    assertEquals("h1", b.getString("host"));
    assertEquals("rolled_back", b.getString("outcome"));
    assertEquals("20260101-120000-1a2b", b.getString("deploy_id"));
    assertEquals("sha-aaaaaaa", b.getJsonObject("from").getString("tag"));
    assertEquals("sha-bbbbbbb", b.getJsonObject("to").getString("tag"));
    assertEquals("health gate failed", b.getString("reason"));
    assertEquals(42.5, b.getDouble("duration_seconds"));
    assertEquals(":rewind: h1 rolled back sha-bbbbbbb and runs sha-aaaaaaa again after 43 s: health gate failed (deploy 20260101-120000-1a2b)",
        b.getString("text"));
    assertEquals(1.0, count("sent"));
    assertEquals(0.0, count("failed"));
  }

  @Test
  void aFailingReceiverIsRetriedWithBackoffUntilItAnswers() throws Exception {
    failFirst.set(2);
    assertTrue(get(notifier(List.of("success"), List.of()).send(verdict("success", null))));
    assertEquals(3, bodies.size(), "two failures, then the third attempt went through");
    assertEquals(bodies.get(0), bodies.get(2), "every attempt carries the same message");
    assertEquals(1.0, count("sent"));
    assertEquals(0.0, count("failed"));
  }

  @Test
  void aReceiverThatNeverAnswersIsGivenUpAfterTheRetriesAndCounted() throws Exception {
    failFirst.set(100);
    failStatus = 503;
    assertFalse(get(notifier(List.of("failed"), List.of()).send(verdict("failed", "registry has no tag x"))));
    assertEquals(FAST.size() + 1, bodies.size());
    assertEquals(0.0, count("sent"));
    assertEquals(1.0, count("failed"));
  }

  @Test
  void aClientErrorIsNotRetried() throws Exception {
    failFirst.set(100);
    failStatus = 404;
    assertFalse(get(notifier(List.of("failed"), List.of()).send(verdict("failed", "x"))));
    assertEquals(1, bodies.size(), "a 404 says the URL is wrong: retrying cannot help");
    assertEquals(1.0, count("failed"));
  }

  @Test
  void aClosedPortIsRetriedThenCountedFailed() throws Exception {
    Notifier n = notifier(List.of("success"), List.of());
    get(receiver.close());
    assertFalse(get(n.send(verdict("success", null))));
    assertEquals(1.0, count("failed"));
  }

  @Test
  void outcomesNotListedInNotifyOnAreNotSent() throws Exception {
    assertFalse(get(notifier(List.of("rolled_back", "failed"), List.of()).send(verdict("success", null))));
    assertEquals(List.of(), bodies);
    assertEquals(0.0, count("sent"));
  }

  @Test
  void aSecretThatShowsUpInAReasonIsMasked() throws Exception {
    String secret = "admin-token-0123456789";
    get(notifier(List.of("failed"), List.of(secret)).send(verdict("failed", "hook said: Authorization: Bearer " + secret)));
    String body = bodies.get(0).encode();
    assertFalse(body.contains(secret), body);
    assertTrue(bodies.get(0).getString("reason").endsWith("Bearer ****"));
  }
}
