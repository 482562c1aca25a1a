package dev.odooagent.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.odooagent.config.ConfigLoader;
import dev.odooagent.config.Secret;
import dev.odooagent.deploy.Commands;
import dev.odooagent.metrics.Metrics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(VertxExtension.class)
class AdminServerTest {
  private static final String TOKEN = "admin-test-token";

  @TempDir
  Path dir;

  private final List<String> calls = new ArrayList<>();
  private AdminServer server;
  private WebClient client;
  private int port;

  /** Records each command; "boom" as a tag makes deploy throw the way a bad value does. */
  private final Commands commands = new Commands() {
    @Override
    public Future<String> deploy(String tag, String digest, boolean force, String source) {
      if ("boom".equals(tag)) {
        throw new IllegalArgumentException("tag \"boom\" is not a valid tag");
      }
      calls.add("deploy " + tag + " force=" + force);
      return Future.succeededFuture("d-1");
    }

    @Override
    public Future<String> pin(String tag, String digest, String source) {
      calls.add("pin " + tag);
      return Future.succeededFuture("d-2");
    }

    @Override
    public Future<String> unpin(String source) {
      calls.add("unpin");
      return Future.succeededFuture(null);
    }

    @Override
    public Future<String> rollback(RollbackMode mode, String source) {
      calls.add("rollback");
      return Future.succeededFuture("d-3");
    }

    @Override
    public Future<String> approve(String source) {
      calls.add("approve");
      return Future.succeededFuture("d-4");
    }

    @Override
    public JsonObject rollbackPlan() {
      return new JsonObject();
    }

    @Override
    public JsonObject status() {
      return new JsonObject().put("state", "idle");
    }

    @Override
    public JsonArray history(int limit) {
      return new JsonArray();
    }
  };

  @BeforeEach
  void start(Vertx vertx, VertxTestContext ctx) throws Exception {
    Path token = dir.resolve("admin-token");
    Files.writeString(token, TOKEN);
    Secret secret = new ConfigLoader(Map.of()).load(write("http:\n  admin_token_file: " + token + "\n")).config().http().adminToken();
    server = new AdminServer(vertx, new Metrics("h1", "test"), commands, secret);
    client = WebClient.create(vertx);
    server.start("127.0.0.1", 0).onComplete(ctx.succeeding(p -> {
      port = p;
      ctx.completeNow();
    }));
  }

  private Path write(String yaml) throws Exception {
    Path f = dir.resolve("agent.yaml");
    Files.writeString(f, yaml);
    return f;
  }

  @AfterEach
  void stop(VertxTestContext ctx) {
    client.close();
    server.stop().onComplete(ctx.succeedingThenComplete());
  }

  private Future<HttpResponse<Buffer>> post(String path, String contentType, String body) {
    var req = client.post(port, "127.0.0.1", path).putHeader("Authorization", "Bearer " + TOKEN);
    if (contentType != null) {
      req.putHeader("Content-Type", contentType);
    }
    return body == null ? req.send() : req.sendBuffer(Buffer.buffer(body));
  }

  private static String error(HttpResponse<Buffer> r, int status) {
    assertEquals(status, r.statusCode(), r.bodyAsString());
    assertEquals("application/json", r.getHeader("Content-Type"));
    return r.bodyAsJsonObject().getString("error");
  }

  @Test
  void formPostIsRefused415AndNothingRuns(VertxTestContext ctx) {
    post("/deploy", "application/x-www-form-urlencoded", "tag=sha-0123abc").onComplete(ctx.succeeding(r -> ctx.verify(() -> {
      String e = error(r, 415);
      assertTrue(e.contains("application/x-www-form-urlencoded") && e.contains("Content-Type: application/json"), e);
      assertTrue(calls.isEmpty(), calls.toString());
      ctx.completeNow();
    })));
  }

  @Test
  void multipartUploadIsRefusedWithoutTouchingTheFileSystem(VertxTestContext ctx) {
    String body = "--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.txt\"\r\n\r\nhello\r\n--XyZ--\r\n";
    post("/pin", "multipart/form-data; boundary=XyZ", body).onComplete(ctx.succeeding(r -> ctx.verify(() -> {
      error(r, 415);
      assertFalse(Files.exists(Path.of(BodyHandler.DEFAULT_UPLOADS_DIRECTORY)), "an upload directory was created");
      assertTrue(calls.isEmpty(), calls.toString());
      ctx.completeNow();
    })));
  }

  @Test
  void jsonAndJsonWithCharsetAreAccepted(VertxTestContext ctx) {
    post("/deploy", "application/json", "{\"tag\":\"sha-0123abc\"}")
        .compose(a -> post("/pin", "application/json; charset=utf-8", "{\"tag\":\"sha-0123abc\"}").map(b -> List.of(a, b)))
        .onComplete(ctx.succeeding(rs -> ctx.verify(() -> {
          assertEquals(202, rs.get(0).statusCode(), rs.get(0).bodyAsString());
          assertEquals(202, rs.get(1).statusCode(), rs.get(1).bodyAsString());
          assertEquals(List.of("deploy sha-0123abc force=false", "pin sha-0123abc"), calls);
          ctx.completeNow();
        })));
  }

  @Test
  void aBodilessPostNeedsNoContentType(VertxTestContext ctx) {
    post("/unpin", null, null).onComplete(ctx.succeeding(r -> ctx.verify(() -> {
      assertEquals(202, r.statusCode(), r.bodyAsString());
      assertEquals(List.of("unpin"), calls);
      ctx.completeNow();
    })));
  }

  @Test
  void bodiesThatBreakAHandlerAre400WithAReason(VertxTestContext ctx) {
    post("/deploy", "application/json", "[1,2]")
        .compose(a -> post("/deploy", "application/json", "{\"tag\":\"sha-0123abc\",\"force\":\"yes\"}").map(b -> List.of(a, b)))
        .compose(ab -> post("/deploy", "application/json", "{\"tag\":\"boom\"}").map(c -> List.of(ab.get(0), ab.get(1), c)))
        .compose(abc -> post("/deploy", "application/json", "{\"tag\":").map(d -> List.of(abc.get(0), abc.get(1), abc.get(2), d)))
        .onComplete(ctx.succeeding(rs -> ctx.verify(() -> {
          assertTrue(error(rs.get(0), 400).contains("not a JSON object"));
          assertTrue(error(rs.get(1), 400).contains("could not be used"));
          assertTrue(error(rs.get(2), 400).contains("\"boom\""));
          assertTrue(error(rs.get(3), 400).contains("not a JSON object"));
          for (HttpResponse<Buffer> r : rs) {
            assertFalse(r.bodyAsString().contains("Exception"), r.bodyAsString());
          }
          assertTrue(calls.isEmpty(), calls.toString());
          ctx.completeNow();
        })));
  }

  @Test
  void aBodyOverTheLimitIs413AsJson(VertxTestContext ctx) {
    post("/deploy", "application/json", "{\"tag\":\"" + "a".repeat(70 * 1024) + "\"}").onComplete(ctx.succeeding(r -> ctx.verify(() -> {
      assertTrue(error(r, 413).contains("larger than"));
      assertTrue(calls.isEmpty(), calls.toString());
      ctx.completeNow();
    })));
  }
}
