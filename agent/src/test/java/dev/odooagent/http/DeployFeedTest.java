package dev.odooagent.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.odooagent.Await;
import dev.odooagent.deploy.Commands;
import dev.odooagent.metrics.Metrics;
import dev.odooagent.notify.DeployVerdict;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** GET /deploys/{id}/events and GET / on a real admin listener, over a hand-made deploy. */
class DeployFeedTest {
  Vertx vertx;
  DeployFeed feed;
  AdminServer admin;
  int port;
  volatile boolean inProgress;
  final JsonArray history = new JsonArray();
  final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void up() throws Exception {
    vertx = Vertx.vertx();
    feed = new DeployFeed(vertx);
    Commands commands = new Commands() {
      @Override
      public Future<String> deploy(String tag, String digest, boolean force, String source) {
        throw new UnsupportedOperationException();
      }

      @Override
      public Future<String> pin(String tag, String digest, String source) {
        throw new UnsupportedOperationException();
      }

      @Override
      public Future<String> unpin(String source) {
        throw new UnsupportedOperationException();
      }

      @Override
      public Future<String> rollback(RollbackMode mode, String source) {
        throw new UnsupportedOperationException();
      }

      @Override
      public Future<String> approve(String source) {
        throw new UnsupportedOperationException();
      }

      @Override
      public JsonObject rollbackPlan() {
        throw new UnsupportedOperationException();
      }

      @Override
      public JsonObject status() {
        return StatusPageTest.status().put("deploy_in_progress", inProgress);
      }

      @Override
      public JsonArray history(int limit) {
        return history.copy();
      }
    };
    admin = new AdminServer(vertx, new Metrics("h1", "test"), commands, null).withFeed(feed);
    port = admin.start("127.0.0.1", 0).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void down() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /** Reads the stream's data lines on another thread until it ends. */
  private CompletableFuture<List<JsonObject>> follow(String id, List<JsonObject> seen) {
    return http.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/deploys/" + id + "/events")).build(),
        HttpResponse.BodyHandlers.ofLines()).thenApply(r -> {
          assertEquals(200, r.statusCode());
          assertEquals("text/event-stream; charset=utf-8", r.headers().firstValue("Content-Type").orElse(""));
          try (Stream<String> lines = r.body()) {
            lines.filter(l -> l.startsWith("data:")).map(l -> new JsonObject(l.substring(5).trim())).forEach(seen::add);
          }
          return seen;
        });
  }

  private static JsonObject step(String id, String step, String state) {
    return new JsonObject().put("deploy_id", id).put("step", step).put("state", state).put("at", "2026-01-01T12:00:00Z");
  }

  private static DeployVerdict verdict(String id) {
    return DeployVerdict.of("h1", new JsonObject().put("id", id).put("outcome", "rolled_back").put("reason", "gate failed")
        .put("started", "2026-01-01T12:00:00Z").put("finished", "2026-01-01T12:00:30Z"));
  }

  @Test
  void aFollowerSeesPastAndNewStepsThenTheVerdictAndTheStreamEnds() throws Exception {
    inProgress = true;
    feed.event(step("d1", "pull", "started"));
    List<JsonObject> seen = new CopyOnWriteArrayList<>();
    CompletableFuture<List<JsonObject>> done = follow("d1", seen);
    Await.until("the replayed step", Duration.ofSeconds(5), Duration.ofMillis(20), () -> seen.size() == 1);
    feed.event(step("d1", "pull", "done"));
    feed.event(step("other", "pull", "started"));
    feed.event(step("d1", "verdict", "rolled_back"));
    Await.until("the new step", Duration.ofSeconds(5), Duration.ofMillis(20), () -> seen.size() == 2);
    feed.verdict(verdict("d1"));
    List<JsonObject> all = done.get(5, TimeUnit.SECONDS);
    assertEquals(List.of("pull/started", "pull/done", "verdict/rolled_back"), all.stream().map(e -> e.getString("step") + "/" + e.getString("state")).toList());
    assertEquals("gate failed", all.get(2).getString("reason"));
    assertEquals(30.0, all.get(2).getDouble("duration_seconds"));
  }

  @Test
  void aDeployThatEndedBeforeTheAgentStartedIsAnsweredFromTheJournal() throws Exception {
    history.add(new JsonObject().put("id", "old1").put("outcome", "success").put("started", "2026-01-01T12:00:00Z")
        .put("finished", "2026-01-01T12:00:05Z").put("to", new JsonObject().put("tag", "v2")));
    List<JsonObject> all = follow("old1", new CopyOnWriteArrayList<>()).get(5, TimeUnit.SECONDS);
    assertEquals(1, all.size());
    assertEquals("success", all.get(0).getString("state"));
    assertEquals("v2", all.get(0).getJsonObject("to").getString("tag"));
  }

  @Test
  void aDeployNoOneRunsEndsTheStreamWithUnknown() throws Exception {
    inProgress = false;
    List<JsonObject> all = follow("20260101-000000-dead", new CopyOnWriteArrayList<>()).get(10, TimeUnit.SECONDS);
    assertEquals(1, all.size());
    assertEquals("unknown", all.get(0).getString("state"));
    assertTrue(all.get(0).getString("reason").contains("a newer command replaced it"));
  }

  @Test
  void aMalformedIdIsRefused() throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/deploys/a%20b/events")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(400, r.statusCode());
    assertTrue(r.body().contains("not a deploy id"));
  }

  @Test
  void thePageIsServedAsHtmlWithAStrictPolicyAndNoToken() throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode());
    assertEquals("text/html; charset=utf-8", r.headers().firstValue("Content-Type").orElse(""));
    assertEquals(StatusPage.CSP, r.headers().firstValue("Content-Security-Policy").orElse(""));
    assertTrue(r.body().contains("sha-0123456"));
  }
}
